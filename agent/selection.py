"""Choosing experiments: train a policy on some targets, compare policies on the others.

Targets are split once, by a seeded shuffle, into training and evaluation targets; a policy
never sees an evaluation target's pool before it is evaluated on it. The learned policy
(or the best baseline when PPO is not asked for) then runs once on every evaluation pool,
and the lab's answers to the experiments it chose are attached to those hypotheses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agent.types import Hypothesis
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.evaluate import evaluate
from rl.labs import Lab
from rl.policies import GreedyPolicy, Policy, RandomPolicy, ThompsonPolicy, UCBPolicy
from rl.ppo import MaskablePPOPolicy

logger = logging.getLogger(__name__)

# Features the policies observe; `rank` is also what greedy and the bandits order by.
SCORE_KEYS = ("abc_score", "linking_terms", "jaccard", "rank")


@dataclass
class SelectionResult:
    metrics: dict[str, float]
    curves: dict[str, list[float]]
    tested: list[Hypothesis] = field(default_factory=list)


def split_targets(
    pools: Sequence[Sequence[Hypothesis]], train_fraction: float, seed: int
) -> tuple[list[list[Hypothesis]], list[list[Hypothesis]]]:
    """Seeded split of the pools into training and evaluation pools (at least one each)."""
    if len(pools) < 2:
        raise ValueError(
            f"experiment selection needs at least 2 target pools (one to train on, one to "
            f"evaluate on), got {len(pools)}; raise `generation.n_targets`"
        )
    order = np.random.default_rng(seed).permutation(len(pools))
    n_train = min(max(1, round(train_fraction * len(pools))), len(pools) - 1)
    return [list(pools[i]) for i in order[:n_train]], [list(pools[i]) for i in order[n_train:]]


def select_experiments(
    pools: Sequence[Sequence[Hypothesis]],
    lab: Lab,
    budget: int,
    policies: Sequence[str],
    train_fraction: float = 0.5,
    timesteps: int = 20_000,
    episodes: int = 5,
    seed: int = 0,
    progress: bool = False,
) -> SelectionResult:
    """Compare ``policies`` on held-out targets and attach the chosen experiments' outcomes.

    Besides each policy's discoveries, the metrics count the deployed policy's experiments
    (``selection/tested``) and what they cost in the lab's unit (``selection/cost``).
    """
    train, held_out = split_targets(pools, train_fraction, seed)
    config = EnvConfig(
        max_candidates=max(len(p) for p in pools), score_keys=SCORE_KEYS, shuffle=True
    )
    built: dict[str, Policy] = {}
    for name in policies:
        if name == "ppo":
            built[name] = MaskablePPOPolicy.train(
                train, lab, budget, timesteps, seed, config, progress=progress
            )
        else:
            built[name] = _baseline(name, seed)

    seeds = list(range(seed, seed + episodes))
    metrics: dict[str, float] = {
        "selection/train_targets": float(len(train)),
        "selection/eval_targets": float(len(held_out)),
        "selection/eval_positive_rate": _positive_rate(held_out, lab),
    }
    curves: dict[str, list[float]] = {}
    for name, policy in built.items():
        result = evaluate(policy, held_out, lab, budget, seeds, config, progress=progress)
        metrics |= result.metrics(prefix="selection", label=name)
        curves[name] = [float(x) for x in result.mean_curve]

    deployed = built.get("ppo") or built[policies[-1]]
    tested = _run_once(deployed, held_out, lab, budget, config, seed)
    metrics["selection/tested"] = float(len(tested))
    metrics["selection/cost"] = float(sum(h.outcome.cost for h in tested if h.outcome))
    logger.info(
        "%s chose %d experiments on %d held-out targets", deployed.name, len(tested), len(held_out)
    )
    return SelectionResult(metrics=metrics, curves=curves, tested=tested)


def _baseline(name: str, seed: int) -> Policy:
    if name == "random":
        return RandomPolicy(seed)
    if name == "greedy":
        return GreedyPolicy("rank")
    if name == "ucb":
        return UCBPolicy(score_key="rank")
    if name == "thompson":
        return ThompsonPolicy(score_key="rank", seed=seed)
    raise ValueError(f"unknown policy {name!r}; known: random, greedy, ucb, thompson, ppo")


def _run_once(
    policy: Policy,
    pools: list[list[Hypothesis]],
    lab: Lab,
    budget: int,
    config: EnvConfig,
    seed: int,
) -> list[Hypothesis]:
    """One episode per pool; each chosen hypothesis gets the lab's outcome attached."""
    env = HypothesisSelectionEnv(pools, lab, budget, config)
    tested = []
    for index in range(len(pools)):
        obs, info = env.reset(seed=seed, options={"pool": index})
        policy.reset(seed)
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.select(obs, env.action_masks(), info))
        for hypothesis, outcome in env.history:
            hypothesis.outcome = outcome
            tested.append(hypothesis)
    return tested


def _positive_rate(pools: Sequence[Sequence[Hypothesis]], lab: Lab) -> float:
    """Share of candidates the lab would confirm, without noise; states how hard the task is."""
    lookup = getattr(lab, "lookup", None)
    if lookup is None:
        return float("nan")
    hits = [lookup(h.subject.id, h.relation, h.object.id) is True for p in pools for h in p]
    return float(np.mean(hits)) if hits else 0.0
