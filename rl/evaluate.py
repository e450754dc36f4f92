"""Evaluate a selection policy: discoveries at the budget and the discovery curve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from agent.types import Hypothesis, Outcome
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.labs import Lab
from rl.policies import Policy


@dataclass(frozen=True)
class EvaluationResult:
    """Outcomes of one policy on every (pool, seed) episode.

    Attributes:
        policy: the policy's name.
        budget: tests per episode.
        curves: shape (n_pools, n_seeds, budget); entry t is the number of confirmations after
            t + 1 tests (held flat once a pool runs out of candidates).
    """

    policy: str
    budget: int
    curves: np.ndarray

    @property
    def discoveries(self) -> np.ndarray:
        """Confirmations at the budget, shape (n_pools, n_seeds)."""
        return self.curves[:, :, -1]

    @property
    def auc(self) -> np.ndarray:
        """Area under the discovery curve divided by the budget, shape (n_pools, n_seeds).

        Equals the discoveries at the budget only if every discovery came first; a policy
        that finds the same discoveries earlier scores higher.
        """
        return self.curves.mean(axis=2)

    @property
    def per_pool(self) -> np.ndarray:
        """Mean discoveries at the budget per pool (over seeds), shape (n_pools,)."""
        return self.discoveries.mean(axis=1)

    @property
    def mean_curve(self) -> np.ndarray:
        """Mean cumulative confirmations per step over all episodes, shape (budget,)."""
        return self.curves.mean(axis=(0, 1))

    def metrics(self, prefix: str = "eval", label: str | None = None) -> dict[str, float]:
        """Namespaced scalars, e.g. ``eval/greedy/discoveries@budget``.

        Args:
            prefix: the channel (``eval``).
            label: the policy's key in the names (default: its name).
        """
        key = f"{prefix}/{label or self.policy}"
        return {
            f"{key}/discoveries@budget": float(self.discoveries.mean()),
            f"{key}/discoveries@budget_std": float(self.discoveries.std()),
            f"{key}/auc": float(self.auc.mean()),
            f"{key}/auc_std": float(self.auc.std()),
            f"{key}/episodes": float(self.discoveries.size),
        }


def evaluate(
    policy: Policy,
    pools: Sequence[Sequence[Hypothesis]],
    lab: Lab,
    budget: int,
    seeds: Sequence[int] = (0,),
    config: EnvConfig | None = None,
    progress: bool = False,
) -> EvaluationResult:
    """Run ``policy`` once per pool and seed; the seed drives candidate order and policy noise.

    Args:
        policy: any `Policy`; a `MaskablePPOPolicy` brings its own ``env_config``.
        pools: evaluation pools (never the training pools).
        lab: answers the tests.
        budget: tests per episode.
        seeds: one episode per seed per pool.
        config: environment layout; default: the policy's ``env_config`` if it has one, else
            `EnvConfig.for_pools(pools)`.
        progress: show a progress bar over episodes.
    """
    config = config or getattr(policy, "env_config", None) or EnvConfig.for_pools(pools)
    env = HypothesisSelectionEnv(pools, lab, budget, config)
    curves = np.zeros((len(pools), len(seeds), budget), dtype=np.float64)
    episodes = [(p, s) for p in range(len(pools)) for s in range(len(seeds))]
    for p, s in tqdm(episodes, desc=f"eval {policy.name}", disable=not progress):
        history = _episode(env, policy, seeds[s], p)
        found = np.cumsum([o.confirmed is True for _, o in history])
        curves[p, s, : len(found)] = found
        curves[p, s, len(found) :] = found[-1] if len(found) else 0
    return EvaluationResult(policy=policy.name, budget=budget, curves=curves)


def select_and_test(
    policy: Policy,
    pool: Sequence[Hypothesis],
    lab: Lab,
    budget: int,
    config: EnvConfig | None = None,
    seed: int = 0,
) -> list[Hypothesis]:
    """Let ``policy`` choose up to ``budget`` hypotheses of one pool and test them in ``lab``.

    This is the step a discovery run takes after ranking: it returns copies of the tested
    hypotheses, in test order, with `Hypothesis.outcome` set.

    Raises:
        ValueError: the pool does not fit the policy's ``env_config`` (``max_candidates``).
    """
    config = config or getattr(policy, "env_config", None) or EnvConfig.for_pools([pool])
    env = HypothesisSelectionEnv([pool], lab, budget, config)
    return [h.model_copy(update={"outcome": o}) for h, o in _episode(env, policy, seed, 0)]


def _episode(
    env: HypothesisSelectionEnv, policy: Policy, seed: int, pool: int
) -> list[tuple[Hypothesis, Outcome]]:
    obs, info = env.reset(seed=seed, options={"pool": pool})
    policy.reset(seed)
    done = False
    while not done:
        obs, _, done, _, info = env.step(policy.select(obs, env.action_masks(), info))
    return list(env.history)
