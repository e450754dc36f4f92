"""E4 evaluation: the policies, episodes scored against the truth, and curve metrics.

A policy's discoveries are counted from the truth (the held-out CID pairs), never from
what the lab told it: under the permuted-outcome control the lab's answers are wrong on
purpose, and the question is how many true pairs the policy still finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments.benchmarks.e4_pools import TargetPools
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.labs import Lab
from rl.policies import (
    FeedbackGreedyPolicy,
    GreedyPolicy,
    Policy,
    RandomPolicy,
    ThompsonPolicy,
    UCBPolicy,
)
from rl.ppo import MaskablePPOPolicy
from rl.slot_policy import SlotPolicy, slot_policy_kwargs

BASELINES = ("random", "greedy", "ucb", "thompson")
LEARNED = ("greedy_feedback", "ppo", "ppo_slot")  # fitted on the training targets
POLICIES = (*BASELINES, *LEARNED, "oracle")


class OraclePolicy:
    """Tests the true candidates first (then by ``score_key``): the upper bound.

    It reads the truth, so it is a reference line, not a method.
    """

    name = "oracle"

    def __init__(self, truth: frozenset[str], score_key: str) -> None:
        self.truth, self.score_key = truth, score_key

    def reset(self, seed: int | None = None) -> None:
        pass

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        slots = np.flatnonzero(mask)
        if slots.size == 0:
            raise ValueError("no valid action: every slot is masked (is the episode over?)")
        true = np.array([info["ids"][s] in self.truth for s in slots], dtype=float)
        score = np.nan_to_num(info["scores"][self.score_key][slots], nan=-np.inf)
        return int(slots[np.lexsort((slots, -score, -true))[0]])


def baseline(name: str, seed: int, score_key: str, ucb_c: float) -> Policy:
    """A rule-based policy by name (see `BASELINES`)."""
    if name == "random":
        return RandomPolicy(seed)
    if name == "greedy":
        return GreedyPolicy(score_key)
    if name == "ucb":
        return UCBPolicy(c=ucb_c, score_key=score_key)
    if name == "thompson":
        return ThompsonPolicy(score_key=score_key, seed=seed)
    raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")


def train_learned(
    name: str,
    train: TargetPools,
    lab: Lab,
    budget: int,
    timesteps: int,
    seed: int,
    config: EnvConfig,
    ppo_kwargs: dict[str, Any],
) -> Policy:
    """A policy fitted on the training targets' pools with the true lab.

    ``greedy_feedback``: `FeedbackGreedyPolicy` with the weights that find the most there
    (episodes seeded like the evaluation's); ``ppo``: MaskablePPO with SB3's flat MLP;
    ``ppo_slot``: MaskablePPO with the slot-shared network.
    """
    if name == "greedy_feedback":
        seeds = [seed * 1000 + e for e in range(2)]

        def train_auc(policy: Policy) -> float:
            curves = discovery_curves(policy, train, lab, budget, seeds, config)
            return float(curves[..., :budget].mean())

        return FeedbackGreedyPolicy.fit("ranker", train_auc)
    pools, categories = train.pools, train.categories
    if name == "ppo":
        return MaskablePPOPolicy.train(
            pools, lab, budget, timesteps, seed, config, categories=categories, **ppo_kwargs
        )
    if name == "ppo_slot":
        kwargs = ppo_kwargs | {"policy_kwargs": slot_policy_kwargs(config)}
        return MaskablePPOPolicy.train(
            pools,
            lab,
            budget,
            timesteps,
            seed,
            config,
            policy=SlotPolicy,
            categories=categories,
            **kwargs,
        )
    raise ValueError(f"unknown learned policy {name!r}; known: {', '.join(LEARNED)}")


def discovery_curves(
    policy: Policy,
    pools: TargetPools,
    lab: Lab,
    budget: int,
    seeds: Sequence[int],
    config: EnvConfig,
) -> np.ndarray:
    """True discoveries after each test, shape (n_pools, n_seeds, budget).

    ``lab`` answers the policy; the count uses ``pools.truth``. Candidates are linked
    through ``pools.categories`` as well as shared entities. A pool smaller than the budget
    keeps its last count.
    """
    env = HypothesisSelectionEnv(pools.pools, lab, budget, config, pools.categories)
    curves = np.zeros((len(pools.pools), len(seeds), budget))
    for p in range(len(pools.pools)):
        for s, seed in enumerate(seeds):
            obs, info = env.reset(seed=seed, options={"pool": p})
            policy.reset(seed)
            done = False
            while not done:
                obs, _, done, _, info = env.step(policy.select(obs, env.action_masks(), info))
            hits = np.cumsum([h.id in pools.truth for h, _ in env.history])
            curves[p, s, : len(hits)] = hits
            curves[p, s, len(hits) :] = hits[-1] if len(hits) else 0
    return curves


def curve_metrics(curves: np.ndarray, budgets: Sequence[int], prefix: str) -> dict[str, float]:
    """Mean discoveries at each budget and the area under the discovery curve.

    ``auc`` is the area under the curve over tests 1..max(budgets), divided by that budget:
    the mean number of discoveries held over the episode, so finding the same pairs earlier
    scores higher. Shapes: ``curves`` is (n_pools, n_seeds, max budget or more).
    """
    top = max(budgets)
    if curves.shape[-1] < top:
        raise ValueError(f"curves cover {curves.shape[-1]} tests, fewer than the budget {top}")
    out = {f"{prefix}/discoveries@{b}": float(curves[..., b - 1].mean()) for b in budgets}
    out[f"{prefix}/auc"] = float(curves[..., :top].mean())
    return out
