"""Train MaskablePPO and compare it with random and greedy selection on held-out pools."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.types import Hypothesis
from rl.env import EnvConfig
from rl.evaluate import EvaluationResult, evaluate
from rl.labs import Lab
from rl.policies import GreedyPolicy, Policy, RandomPolicy, ThompsonPolicy, UCBPolicy
from rl.ppo import MaskablePPOPolicy

logger = logging.getLogger(__name__)


def check_held_out(
    train_pools: Sequence[Sequence[Hypothesis]], eval_pools: Sequence[Sequence[Hypothesis]]
) -> float:
    """Refuse evaluation pools that repeat a training pool; return the shared-hypothesis share.

    Raises:
        ValueError: an evaluation pool holds exactly the hypotheses of a training pool.
    """
    seen = {frozenset(h.id for h in pool) for pool in train_pools}
    repeated = [i for i, pool in enumerate(eval_pools) if frozenset(h.id for h in pool) in seen]
    if repeated:
        raise ValueError(
            f"evaluation pools {repeated[:5]} are also training pools; evaluate on pools "
            "built from held-out documents or runs"
        )
    train_ids = {h.id for pool in train_pools for h in pool}
    eval_ids = [h.id for pool in eval_pools for h in pool]
    shared = sum(i in train_ids for i in eval_ids) / max(len(eval_ids), 1)
    if shared:
        logger.warning("%.0f%% of evaluation hypotheses also occur in training pools", 100 * shared)
    return shared


def train_and_compare(
    train_pools: Sequence[Sequence[Hypothesis]],
    eval_pools: Sequence[Sequence[Hypothesis]],
    lab: Lab,
    budget: int,
    greedy_key: str,
    timesteps: int = 20_000,
    seed: int = 0,
    eval_seeds: Sequence[int] = (0, 1, 2),
    config: EnvConfig | None = None,
    save_dir: str | Path | None = None,
    progress: bool = False,
    **ppo_kwargs: Any,
) -> dict[str, float]:
    """Train MaskablePPO on ``train_pools``; evaluate it, random, greedy, UCB and Thompson.

    Args:
        train_pools: pools PPO learns from.
        eval_pools: held-out pools every policy is evaluated on.
        lab: answers tests in training and evaluation.
        budget: tests per episode.
        greedy_key: score the greedy baseline (and the bandits' tie-break) ranks by.
        timesteps: PPO training steps.
        seed: PPO and environment seed.
        eval_seeds: one evaluation episode per seed and pool.
        config: environment layout (default: from all pools, so both share one shape).
        save_dir: where to save the trained policy, if given.
        progress: show progress bars.
        **ppo_kwargs: overrides of `rl.ppo.PPO_DEFAULTS`.

    Returns:
        Namespaced metrics: ``eval/<policy>/discoveries@budget`` (mean over pools and seeds),
        ``.../discoveries@budget_std``, ``.../auc``, ``train/timesteps``,
        ``time/train_s``, ``time/steps_per_s`` (wall), ``time/steps_per_cpu_s``,
        ``data/eval_hypotheses_seen_in_train``.
    """
    shared = check_held_out(train_pools, eval_pools)
    config = config or EnvConfig.for_pools([*train_pools, *eval_pools])
    ppo = MaskablePPOPolicy.train(
        train_pools, lab, budget, timesteps, seed, config, progress=progress, **ppo_kwargs
    )
    if save_dir is not None:
        ppo.save(save_dir)
    policies: dict[str, Policy] = {
        "ppo": ppo,
        "random": RandomPolicy(seed),
        "greedy": GreedyPolicy(greedy_key),
        "ucb": UCBPolicy(score_key=greedy_key),
        "thompson": ThompsonPolicy(score_key=greedy_key, seed=seed),
    }
    metrics: dict[str, float] = {}
    for label, policy in policies.items():
        start = time.perf_counter()
        result: EvaluationResult = evaluate(
            policy, eval_pools, lab, budget, eval_seeds, config, progress=progress
        )
        metrics |= result.metrics(label=label)
        metrics[f"time/eval_{label}_s"] = time.perf_counter() - start
    seconds, cpu = ppo.train_seconds or 0.0, ppo.train_cpu_seconds or 0.0
    metrics |= {
        "train/timesteps": float(timesteps),
        "time/train_s": seconds,
        "time/train_cpu_s": cpu,
        "time/steps_per_s": timesteps / seconds if seconds else float("nan"),
        "time/steps_per_cpu_s": timesteps / cpu if cpu else float("nan"),
        "data/eval_hypotheses_seen_in_train": shared,
    }
    logger.info("compared %d policies on %d held-out pools", len(policies), len(eval_pools))
    return metrics
