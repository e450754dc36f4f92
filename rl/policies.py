"""Selection policies: which untested hypothesis to send to the lab next.

Every policy has one shape: ``reset(seed)`` at the start of an episode, then
``select(obs, mask, info) -> slot`` with the environment's observation, its action mask and
its info dict (``info["entities"]``, ``info["outcomes"]``, ``info["scores"]``). Baselines read
the info dict; the learned `MaskablePPOPolicy` (in `rl.ppo`, importable from here) reads only
the observation and the mask.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from rl.ppo import MaskablePPOPolicy

logger = logging.getLogger(__name__)

__all__ = [
    "FeedbackGreedyPolicy",
    "GreedyPolicy",
    "MaskablePPOPolicy",
    "Policy",
    "RandomPolicy",
    "ThompsonPolicy",
    "UCBPolicy",
]


def __getattr__(name: str) -> Any:
    # MaskablePPOPolicy lives in rl.ppo; imported lazily so the baselines load without torch.
    if name == "MaskablePPOPolicy":
        from rl.ppo import MaskablePPOPolicy

        return MaskablePPOPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@runtime_checkable
class Policy(Protocol):
    """A rule for picking the next slot among those the mask allows."""

    name: str

    def reset(self, seed: int | None = None) -> None:
        """Start an episode (reseeds any randomness)."""
        ...

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        """Return a slot with ``mask[slot]`` True."""
        ...


def _valid_slots(mask: np.ndarray) -> np.ndarray:
    slots = np.flatnonzero(mask)
    if slots.size == 0:
        raise ValueError("no valid action: every slot is masked (is the episode over?)")
    return slots


def _argmax_masked(values: np.ndarray, mask: np.ndarray, tiebreak: np.ndarray | None) -> int:
    """Slot of the largest value among valid slots; ties go to ``tiebreak``, then lowest slot."""
    slots = _valid_slots(mask)
    second = np.zeros(len(slots)) if tiebreak is None else np.nan_to_num(tiebreak[slots], nan=-1e9)
    # lexsort sorts by the last key first; negate for descending order, stable on slot index.
    order = np.lexsort((slots, -second, -values[slots]))
    return int(slots[order[0]])


def _score_column(info: dict[str, Any], key: str) -> np.ndarray:
    """The raw score ``key`` per slot (NaN where missing); KeyError if the env lacks it."""
    scores = info["scores"].get(key)
    if scores is None:
        raise KeyError(
            f"score {key!r} is not in the environment's `score_keys` "
            f"{sorted(info['scores'])}; add it to EnvConfig.score_keys"
        )
    return np.asarray(scores, dtype=float)


class RandomPolicy:
    """Uniformly random among untested candidates."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        return int(self._rng.choice(_valid_slots(mask)))


class GreedyPolicy:
    """Highest ``scores[score_key]`` first (missing scores last, ties to the lowest slot)."""

    def __init__(self, score_key: str) -> None:
        self.score_key = score_key
        self.name = f"greedy:{score_key}"

    def reset(self, seed: int | None = None) -> None:
        pass

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        scores = _score_column(info, self.score_key)
        return _argmax_masked(np.nan_to_num(scores, nan=-np.inf), mask, None)


class _GroupBandit:
    """Beta-Bernoulli counts over the entity groups of the current pool.

    Model: each group g (a subject, an object, an intermediate or a class) has an unknown rate
    theta_g at which hypotheses involving it are confirmed, with prior Beta(alpha, beta). Every
    tested candidate of the episode updates all its groups (confirmed: alpha_g += 1, refuted:
    beta_g += 1; undecided outcomes teach nothing). A candidate's rate is the mean of its
    groups' rates, so two hypotheses sharing a chemical, an intermediate or a class inform each
    other.
    """

    def __init__(self, alpha: float, beta: float, score_key: str | None) -> None:
        if alpha <= 0 or beta <= 0:
            raise ValueError(f"Beta prior needs alpha, beta > 0, got {alpha}, {beta}")
        self.alpha, self.beta, self.score_key = alpha, beta, score_key

    def counts(
        self, info: dict[str, Any]
    ) -> tuple[Sequence[Sequence[str]], dict[str, list[float]]]:
        classes = info.get("classes") or [()] * len(info["entities"])
        groups = [
            tuple(dict.fromkeys((*e, *c))) for e, c in zip(info["entities"], classes, strict=True)
        ]
        posterior: dict[str, list[float]] = {}
        for slot, members in enumerate(groups):
            for g in members:
                posterior.setdefault(g, [self.alpha, self.beta])
            result = info["outcomes"][slot]
            for g in members if result != 0 else ():
                posterior[g][0 if result > 0 else 1] += 1.0
        return groups, posterior

    def tiebreak(self, info: dict[str, Any]) -> np.ndarray | None:
        return info["scores"].get(self.score_key) if self.score_key else None


class UCBPolicy(_GroupBandit):
    """Upper confidence bound over entity groups (model: see `_GroupBandit`).

    A group's value is its posterior mean plus ``c * sqrt(ln(t + 1) / (n_g + 1))``, with t the
    tests so far this episode and n_g those involving the group; a candidate's value is the
    mean over its groups. Ties (e.g. the first pick) go to ``score_key``, then the lowest slot.
    """

    def __init__(
        self, c: float = 1.0, alpha: float = 1.0, beta: float = 1.0, score_key: str | None = None
    ) -> None:
        super().__init__(alpha, beta, score_key)
        self.c = c
        self.name = "ucb" + (f":{score_key}" if score_key else "")

    def reset(self, seed: int | None = None) -> None:
        pass

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        groups, posterior = self.counts(info)
        t = int(np.count_nonzero(info["tested"]))
        values = np.full(len(mask), -np.inf)
        for slot, members in enumerate(groups):
            bounds = []
            for g in members:
                a, b = posterior[g]
                n_g = a + b - self.alpha - self.beta
                bounds.append(a / (a + b) + self.c * math.sqrt(math.log(t + 1) / (n_g + 1)))
            values[slot] = float(np.mean(bounds))
        return _argmax_masked(values, mask, self.tiebreak(info))


class ThompsonPolicy(_GroupBandit):
    """Thompson sampling over entity groups (model: see `_GroupBandit`).

    Each step draws theta_g ~ Beta(alpha_g, beta_g) for every group and picks the candidate
    with the highest mean draw over its groups.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        beta: float = 1.0,
        score_key: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(alpha, beta, score_key)
        self.name = "thompson" + (f":{score_key}" if score_key else "")
        self._rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        groups, posterior = self.counts(info)
        draws = {g: self._rng.beta(a, b) for g, (a, b) in sorted(posterior.items())}
        values = np.full(len(mask), -np.inf)
        for slot, members in enumerate(groups):
            values[slot] = float(np.mean([draws[g] for g in members]))
        return _argmax_masked(values, mask, self.tiebreak(info))


class FeedbackGreedyPolicy:
    """Greedy by score, moved by the outcomes of this episode's linked tests.

    A candidate's value is its ``score_key`` min-max scaled within the pool (0 to 1), plus
    ``bonus`` for every confirmed tested candidate it shares an entity with (subject, object or
    intermediate: ``info["entities"]``), plus ``class_bonus`` for every one it shares a class
    with (``info["classes"]``), minus ``penalty`` for every refuted one it shares either
    with. With all weights 0 it is `GreedyPolicy`; `fit` chooses them on training pools. Ties
    go to the higher score, then the lowest slot.
    """

    def __init__(
        self, score_key: str, bonus: float = 0.0, class_bonus: float = 0.3, penalty: float = 0.0
    ) -> None:
        if min(bonus, class_bonus, penalty) < 0:
            raise ValueError(
                f"weights must be >= 0, got bonus={bonus}, class_bonus={class_bonus}, "
                f"penalty={penalty}"
            )
        self.score_key = score_key
        self.bonus, self.class_bonus, self.penalty = bonus, class_bonus, penalty
        self.name = f"greedy_feedback:{score_key}"
        self._pool: tuple[Any, np.ndarray, np.ndarray] | None = None  # ids, entity/class links

    def reset(self, seed: int | None = None) -> None:
        self._pool = None

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        from rl.env import minmax_within_pool  # rl.env imports gymnasium; baselines need not

        scores = _score_column(info, self.score_key)
        prior = minmax_within_pool(scores)
        entity_links, class_links = self._links(info)
        outcomes = np.asarray(info["outcomes"])
        confirmed, refuted = (outcomes > 0).astype(float), (outcomes < 0).astype(float)
        either = np.maximum(entity_links, class_links)
        values = (
            prior
            + self.bonus * (entity_links @ confirmed)
            + self.class_bonus * (class_links @ confirmed)
            - self.penalty * (either @ refuted)
        )
        return _argmax_masked(values, mask, np.where(np.isfinite(scores), scores, -np.inf))

    def _links(self, info: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        from rl.env import link_matrix  # rl.env imports gymnasium; the baselines need not

        if self._pool is None or self._pool[0] is not info["ids"]:
            n = len(info["tested"])
            matrices = []
            for key in ("entities", "classes"):
                groups: Sequence[Sequence[str]] = info.get(key, ())
                links = np.zeros((n, n))
                if groups:
                    links[: len(groups), : len(groups)] = link_matrix(groups)
                matrices.append(links)
            self._pool = (info["ids"], matrices[0], matrices[1])
        return self._pool[1], self._pool[2]

    @classmethod
    def fit(
        cls,
        score_key: str,
        episode_aucs: Any,
        bonuses: Iterable[float] = (0.0, 0.1, 0.3, 1.0),
        class_bonuses: Iterable[float] = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0),
        penalties: Iterable[float] = (0.0,),
    ) -> FeedbackGreedyPolicy:
        """The weights with the largest mean discovery AUC on training pools.

        Args:
            score_key: the prior score.
            episode_aucs: ``policy -> mean AUC``, run on training pools only (e.g.
                ``lambda p: rl.evaluate.evaluate(p, train_pools, lab, budget).auc.mean()``).
            bonuses, class_bonuses, penalties: the grid; ties go to the smaller weights.
        """
        grid = [
            (b, c, p)
            for b in sorted(bonuses)
            for c in sorted(class_bonuses)
            for p in sorted(penalties)
        ]
        scored = [(float(episode_aucs(cls(score_key, *w))), -i) for i, w in enumerate(grid)]
        best = grid[-max(scored)[1]]
        logger.info(
            "greedy_feedback: bonus %.2f, class bonus %.2f, penalty %.2f on training pools",
            *best,
        )
        return cls(score_key, *best)
