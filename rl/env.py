"""A gymnasium environment for choosing which hypothesis to test next.

One episode = one candidate pool (a list of `Hypothesis`, padded to ``max_candidates``). Each
step the agent picks one untested candidate, the lab answers, and the reward is 1 for a
confirmed discovery minus ``cost_weight * outcome.cost``. The episode ends when ``budget``
tests are spent or every candidate has been tested.

Observation (float32, shape ``(max_candidates * (len(score_keys) + 5) + 1,)``), per slot:

* each configured score, min-max normalised within the pool (0.5 when all are equal,
  0 for a missing score or a padding slot);
* ``tested`` (0/1) and ``outcome`` (+1 confirmed, -1 refuted, 0 untested or undecided);
* feedback: the number of confirmed and of refuted tested candidates that share a group
  with this one, divided by ``budget``; a candidate's groups are its entities (subject,
  object and intermediate ids) and, when the environment is given ``categories``, its
  classes (those of its subject and object, e.g. a disease's MeSH organ system);
* ``present`` (1 for a real candidate, 0 for padding);

then the remaining budget as a fraction of ``budget``.

The info dict (for rule-based policies) holds, in slot order: ``ids`` (hypothesis ids),
``entities`` and ``classes`` (each candidate's groups of the two kinds), ``tested``, ``outcomes``
(+1/-1/0), raw ``scores`` by key, ``discoveries`` so far and the last ``outcome``. The
hypotheses themselves are ``env.candidates``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, ConfigDict, Field

from agent.types import Hypothesis, Outcome
from rl.labs import Lab

N_FIXED_FEATURES = 5  # tested, outcome, confirmed links, refuted links, present


class InvalidActionError(ValueError):
    """The chosen slot is padding, already tested, or out of range."""


class EnvConfig(BaseModel):
    """Shape of the selection environment; a trained policy only runs with the same one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_candidates: int = Field(gt=0, description="Slots per pool; smaller pools are padded.")
    score_keys: tuple[str, ...] = Field(
        default=(), description="`Hypothesis.scores` keys shown to the agent, in this order."
    )
    cost_weight: float = Field(default=0.0, ge=0.0, description="Reward penalty per unit cost.")
    shuffle: bool = Field(default=True, description="Shuffle candidate order at every reset.")
    drop_pool_wide_entities: bool = Field(
        default=False,
        description="Leave entities and classes that every candidate of a pool shares (the "
        "target of a per-target pool) out of the feedback links and the info dict: they link every "
        "candidate to every other and so tell none apart.",
    )

    @property
    def n_features(self) -> int:
        return len(self.score_keys) + N_FIXED_FEATURES

    @classmethod
    def for_pools(cls, pools: Sequence[Sequence[Hypothesis]], **overrides: Any) -> EnvConfig:
        """The largest pool size and the sorted union of score keys, unless overridden."""
        keys = sorted({k for pool in pools for h in pool for k in h.scores})
        values: dict[str, Any] = {
            "max_candidates": max(len(p) for p in pools),
            "score_keys": tuple(keys),
        }
        return cls(**(values | overrides))


class _MaskedDiscrete(spaces.Discrete):
    """`Discrete` whose unmasked ``sample()`` draws only currently valid actions.

    Random agents (and gymnasium's and SB3's env checkers, which step with ``sample()``) thus
    exercise legal moves, while an explicit illegal action still raises. Pickles as a plain
    `Discrete` so saved models do not drag the environment along.
    """

    valid: np.ndarray | None = None

    def sample(
        self, mask: np.ndarray | None = None, probability: np.ndarray | None = None
    ) -> np.int64:
        if mask is None and probability is None and self.valid is not None and self.valid.any():
            mask = self.valid.astype(np.int8)
        return super().sample(mask=mask, probability=probability)

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return spaces.Discrete, (int(self.n),)


class HypothesisSelectionEnv(gym.Env[np.ndarray, np.int64]):
    """Pick hypotheses to test from a pool under a budget (see the module docstring).

    Args:
        pools: candidate pools; each episode draws one (or ``options={"pool": i}``).
        lab: answers the tests.
        budget: number of tests per episode.
        config: observation layout and reward; default `EnvConfig.for_pools(pools)`.
        categories: entity id -> ids of the classes it belongs to. Candidates whose subject
            or object share a class are linked in the feedback features as if they shared
            an entity: a toxicologist who confirms that a drug harms the liver looks at its
            other liver outcomes next. Default: no classes.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium declares it so)

    def __init__(
        self,
        pools: Sequence[Sequence[Hypothesis]],
        lab: Lab,
        budget: int,
        config: EnvConfig | None = None,
        categories: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        if not pools or any(len(p) == 0 for p in pools):
            raise ValueError("`pools` must be a non-empty list of non-empty hypothesis lists")
        if budget < 1:
            raise ValueError(f"`budget` must be at least 1 test, got {budget}")
        self.config = config or EnvConfig.for_pools(pools)
        too_big = [i for i, p in enumerate(pools) if len(p) > self.config.max_candidates]
        if too_big:
            raise ValueError(
                f"pool {too_big[0]} has {len(pools[too_big[0]])} candidates, more than "
                f"`max_candidates`={self.config.max_candidates}; raise it or split the pool"
            )
        self.pools = [list(p) for p in pools]
        self.lab, self.budget = lab, budget
        self.categories = categories or {}
        n, f = self.config.max_candidates, self.config.n_features
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(n * f + 1,), dtype=np.float32)
        self._space = _MaskedDiscrete(n)
        self.action_space = self._space
        self.pool_index = 0
        self.candidates: list[Hypothesis] = []
        self.history: list[tuple[Hypothesis, Outcome]] = []
        self._prepare_pool()

    # --- episode ------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a pool (``options={"pool": i}`` picks one) and clear the tests."""
        super().reset(seed=seed)
        options = options or {}
        index = options.get("pool")
        if index is None:
            index = int(self.np_random.integers(len(self.pools)))
        elif not 0 <= index < len(self.pools):
            raise ValueError(f"options['pool']={index} is outside 0..{len(self.pools) - 1}")
        self.pool_index = int(index)
        pool = self.pools[self.pool_index]
        order = self.np_random.permutation(len(pool)) if self.config.shuffle else range(len(pool))
        self.candidates = [pool[i] for i in order]
        self.history = []
        self._prepare_pool()
        return self._observation(), self._info(None)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Test the candidate in slot ``action``.

        Raises:
            InvalidActionError: the slot is padding, already tested or out of range.
            RuntimeError: the episode is over; call `reset` first.
        """
        if not self.candidates or self._done():
            raise RuntimeError("the episode is over (budget spent or pool exhausted); call reset()")
        slot = self._check_action(action)
        outcome = self.lab.test(self.candidates[slot])
        self.history.append((self.candidates[slot], outcome))
        self._tested[slot] = True
        self._outcome[slot] = {True: 1.0, False: -1.0, None: 0.0}[outcome.confirmed]
        self._space.valid = self.action_masks()
        reward = float(outcome.confirmed is True) - self.config.cost_weight * outcome.cost
        return self._observation(), reward, self._done(), False, self._info(outcome)

    def action_masks(self) -> np.ndarray:
        """Boolean mask over slots: True for real candidates not yet tested (for MaskablePPO)."""
        mask = self._present & ~self._tested
        if len(self.history) >= self.budget:
            mask[:] = False
        return mask

    @property
    def discoveries(self) -> int:
        """Confirmed outcomes so far in this episode."""
        return sum(o.confirmed is True for _, o in self.history)

    # --- internals ------------------------------------------------------------------------

    def _prepare_pool(self) -> None:
        n, count = self.config.max_candidates, len(self.candidates)
        self._present = np.zeros(n, dtype=bool)
        self._present[:count] = True
        self._tested = np.zeros(n, dtype=bool)
        self._outcome = np.zeros(n, dtype=np.float32)
        self._raw_scores = np.full((n, len(self.config.score_keys)), np.nan)
        for i, h in enumerate(self.candidates):
            for k, key in enumerate(self.config.score_keys):
                self._raw_scores[i, k] = h.scores.get(key, np.nan)
        self._scores = _minmax(self._raw_scores[:count], n)
        # Plain tuples, not the Hypothesis objects: SB3 deep-copies every info dict.
        self._ids = tuple(h.id for h in self.candidates)
        entities = self._distinct([entity_ids(h) for h in self.candidates])
        classes = self._distinct([entity_classes(h, self.categories) for h in self.candidates])
        self._entities = tuple(tuple(sorted(g)) for g in entities)
        self._classes = tuple(tuple(sorted(g)) for g in classes)
        self._links = np.zeros((n, n), dtype=np.float32)
        self._links[:count, :count] = link_matrix(
            [e | c for e, c in zip(entities, classes, strict=True)]
        )
        self._space.valid = self.action_masks()

    def _distinct(self, groups: list[set[str]]) -> list[set[str]]:
        if self.config.drop_pool_wide_entities and len(groups) > 1:
            pool_wide = set.intersection(*groups)
            return [g - pool_wide for g in groups]
        return groups

    def _check_action(self, action: Any) -> int:
        try:
            slot = int(action)
        except (TypeError, ValueError):
            raise InvalidActionError(f"action must be an integer slot, got {action!r}") from None
        n = self.config.max_candidates
        if not 0 <= slot < n:
            raise InvalidActionError(f"action {slot} is outside the slots 0..{n - 1}")
        if not self._present[slot]:
            raise InvalidActionError(
                f"action {slot} is a padding slot (this pool has {len(self.candidates)} "
                "candidates); use action_masks() to pick valid slots"
            )
        if self._tested[slot]:
            raise InvalidActionError(
                f"action {slot} ({self.candidates[slot].text()}) was already tested this "
                "episode; use action_masks() to pick untested slots"
            )
        return slot

    def _done(self) -> bool:
        return len(self.history) >= self.budget or not (self._present & ~self._tested).any()

    def _observation(self) -> np.ndarray:
        confirmed = (self._outcome > 0).astype(np.float32)
        refuted = (self._outcome < 0).astype(np.float32)
        per_slot = np.column_stack(
            [
                self._scores,
                self._tested.astype(np.float32),
                self._outcome,
                self._links @ confirmed / self.budget,
                self._links @ refuted / self.budget,
                self._present.astype(np.float32),
            ]
        )
        remaining = 1.0 - len(self.history) / self.budget
        return np.append(per_slot.ravel(), remaining).astype(np.float32)

    def _info(self, outcome: Outcome | None) -> dict[str, Any]:
        return {
            "pool": self.pool_index,
            "ids": self._ids,
            "entities": self._entities,
            "classes": self._classes,
            "tested": self._tested.copy(),
            "outcomes": self._outcome.copy(),
            "scores": {
                k: self._raw_scores[:, i].copy() for i, k in enumerate(self.config.score_keys)
            },
            "discoveries": self.discoveries,
            "outcome": outcome,
        }


def entity_ids(hypothesis: Hypothesis) -> set[str]:
    """Subject, object and intermediate entity ids: the groups a hypothesis belongs to."""
    ids = {hypothesis.subject.id, hypothesis.object.id}
    ids.update(e.id for e in hypothesis.provenance.intermediates)
    return ids


def entity_classes(
    hypothesis: Hypothesis, categories: Mapping[str, Collection[str]] | None
) -> set[str]:
    """The classes ``categories`` gives the hypothesis's subject and object."""
    if not categories:
        return set()
    return {*categories.get(hypothesis.subject.id, ()), *categories.get(hypothesis.object.id, ())}


def shared_entities(candidates: Sequence[Hypothesis]) -> np.ndarray:
    """Square 0/1 matrix: 1 where two distinct candidates share at least one entity id."""
    return link_matrix([entity_ids(h) for h in candidates])


def link_matrix(groups: Sequence[Collection[str]]) -> np.ndarray:
    """Square 0/1 matrix: 1 where two distinct members of ``groups`` share an element."""
    # Through a (candidates x entities) incidence matrix: pools of 100+ candidates would
    # otherwise cost 10^4 set intersections at every reset.
    column = {e: i for i, e in enumerate(sorted(set().union(*groups)))}
    incidence = np.zeros((len(groups), len(column)), dtype=np.float32)
    for row, group in enumerate(groups):
        incidence[row, [column[e] for e in group]] = 1.0
    links = (incidence @ incidence.T > 0).astype(np.float32)
    np.fill_diagonal(links, 0.0)
    return links


def minmax_within_pool(column: np.ndarray) -> np.ndarray:
    """One score over a pool scaled to 0..1 (0.5 when all are equal; 0 where missing, NaN).

    Within-pool scaling: pools from different runs have incomparable score ranges.
    """
    column = np.asarray(column, dtype=np.float64)
    finite = np.isfinite(column)
    if not finite.any():
        return np.zeros_like(column)
    low, high = column[finite].min(), column[finite].max()
    scaled = (column - low) / (high - low) if high > low else np.full_like(column, 0.5)
    return np.where(finite, scaled, 0.0)


def _minmax(raw: np.ndarray, n_slots: int) -> np.ndarray:
    out = np.zeros((n_slots, raw.shape[1]), dtype=np.float32)
    for k in range(raw.shape[1]):
        out[: len(raw), k] = minmax_within_pool(raw[:, k])
    return out
