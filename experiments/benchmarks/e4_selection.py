"""E4: choosing which hypotheses to test, on targets the fitted policies never saw.

Setting (E1's, see `experiments.benchmarks.e4_pools`): the BC5CDR training split builds
every never-co-mentioned chemical-disease candidate and E1's learned ranker scores them; a
target is a chemical with at least one true candidate (a development-split CID pair), and
its pool is the ranker's top ``pool_size`` diseases for it: what a lab screening that drug
would test first. The lab (`rl.labs.SimulatedLab` over the development split, closed
world) confirms exactly the true pairs. Candidates are linked by shared intermediates and
by their diseases' MeSH classes (``category_depth``), so an outcome says something about
the candidates it is linked to. ``target: disease`` gives E1's per-disease pools instead.

Targets are split by the seed into training and held-out targets. Three policies are
fitted on training targets only: ``greedy_feedback`` (`rl.policies.FeedbackGreedyPolicy`,
its weights for links through entities and through classes chosen there) and MaskablePPO
with SB3's flat MLP (``ppo``) and with a slot-shared network (``ppo_slot``). Every policy
is then scored on the held-out targets: discoveries after 10, 25 and 50 tests and the area
under the discovery curve. ``oracle`` (true candidates first) is the bound.

Control: the same policies face `rl.controls.PermutedLab`, which answers each test with
another pool member's true outcome; discoveries are still counted against the truth. A
policy that learns from its experiments must lose discoveries there; greedy and random,
which ignore outcomes, score the same. "Measurably worse" is tested per held-out target
(paired: same targets, same episode seeds): a one-sided Wilcoxon signed-rank test of the AUC
drop and a paired bootstrap 95% CI of its mean (``auc_drop_wilcoxon_p``, ``auc_drop_ci_*``);
`experiments.benchmarks.e4_report` repeats the test across seeds.

Outputs in the run folder: ``table.md``, ``discovery_curve.png``, ``e4_timings.json`` (wall
time per stage and this seed's peak memory); metrics such as ``eval/ppo/discoveries@10``,
``control_permuted/ppo/auc``, ``control_permuted/ppo/auc_drop`` and the fitted weights
``train/greedy_feedback/bonus``, ``.../class_bonus`` and ``.../penalty``; ``series.json``
also holds each held-out target's AUC (``per_target_auc/<lab>/<policy>``).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from experiments.benchmarks.e4_eval import (
    BASELINES,
    POLICIES,
    OraclePolicy,
    baseline,
    curve_metrics,
    discovery_curves,
    train_learned,
)
from experiments.benchmarks.e4_pools import SCORE_KEYS, TargetPools, build_target_pools
from experiments.benchmarks.e4_report import plot_curves, render_table
from experiments.benchmarks.stats import paired_difference
from experiments.inputs import mesh_inputs
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from retrieval.datadir import resolve
from retrieval.pubtator import read_pubtator
from rl.controls import PermutedLab
from rl.env import EnvConfig
from rl.labs import SimulatedLab
from rl.policies import FeedbackGreedyPolicy, Policy

logger = logging.getLogger(__name__)


class PPOSettings(BaseModel):
    """MaskablePPO training for both learned policies (others as in `rl.ppo.PPO_DEFAULTS`)."""

    model_config = ConfigDict(extra="forbid")

    timesteps: int = Field(20_000, ge=64, description="Environment steps of training.")
    n_steps: int = Field(1024, ge=16, description="Steps collected between updates.")
    batch_size: int = Field(128, ge=8, description="Minibatch size of an update.")
    n_epochs: int = Field(10, ge=1, description="Passes over each batch of steps.")
    learning_rate: float = Field(3e-4, gt=0, description="Adam learning rate.")
    ent_coef: float = Field(0.01, ge=0, description="Entropy bonus weight.")

    def kwargs(self) -> dict[str, Any]:
        return self.model_dump(exclude={"timesteps"})


class E4Params(BaseModel):
    """Parameters of E4; the defaults are the full benchmark."""

    model_config = ConfigDict(extra="forbid")

    train: str = Field("bio/bc5cdr/CDR_TrainingSet.PubTator.txt", description="Corpus built on.")
    held_out: str = Field(
        "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt", description="Source of the true pairs."
    )
    max_documents: int | None = Field(None, ge=10, description="Cut the training corpus.")
    target: Literal["chemical", "disease"] = Field(
        "chemical", description="A pool is one chemical's candidate diseases, or one disease's."
    )
    pool_size: int = Field(100, ge=2, description="Ranker's top candidates per target.")
    intermediates: int = Field(5, ge=0, description="Linking terms kept per hypothesis.")
    category_depth: int = Field(
        2, ge=0, description="MeSH level of the classes linking candidates (0: none)."
    )
    budgets: list[int] = Field(
        default_factory=lambda: [10, 25, 50], description="Tests at which discoveries count."
    )
    train_fraction: float = Field(0.5, gt=0, lt=1, description="Share of training targets.")
    train_min_positives: int = Field(
        1, ge=0, description="Training targets need this many true candidates in their pool."
    )
    episodes: int = Field(2, ge=1, description="Evaluation episodes per held-out target.")
    policies: list[str] = Field(
        default_factory=lambda: list(POLICIES), description=f"Any of {', '.join(POLICIES)}."
    )
    ucb_c: float = Field(1.0, ge=0, description="UCB exploration weight.")
    ppo: PPOSettings = Field(default_factory=PPOSettings, description="Learned policies.")
    bootstrap: int = Field(
        1000, ge=0, description="Paired bootstrap resamples (targets) for the AUC-drop CI."
    )

    @model_validator(mode="after")
    def _check(self) -> E4Params:
        unknown = sorted(set(self.policies) - set(POLICIES))
        if unknown:
            raise ValueError(f"unknown policies {unknown}; known: {', '.join(POLICIES)}")
        if not self.budgets or min(self.budgets) < 1 or max(self.budgets) > self.pool_size:
            raise ValueError(
                f"`budgets` {self.budgets} must be between 1 and `pool_size`={self.pool_size}"
            )
        return self


def split_targets(n_targets: int, train_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded split of target indices into training and held-out (at least one each)."""
    if n_targets < 2:
        raise ValueError(f"E4 needs at least 2 targets, got {n_targets}; use more documents")
    order = np.random.default_rng(seed).permutation(n_targets)
    n_train = min(max(1, round(train_fraction * n_targets)), n_targets - 1)
    return sorted(order[:n_train].tolist()), sorted(order[n_train:].tolist())


def run(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    cfg = E4Params.model_validate(params)
    meter = ResourceMeter()
    start, stages = time.perf_counter(), {}
    train_path, held_path = resolve(cfg.train), resolve(cfg.held_out)
    train_docs = list(read_pubtator(train_path))[: cfg.max_documents]
    held_docs = list(read_pubtator(held_path))
    pools = build_target_pools(
        train_docs,
        held_docs,
        seed,
        cfg.pool_size,
        cfg.intermediates,
        cfg.target,
        cfg.category_depth,
    )
    lab = SimulatedLab.from_pubtator(held_path)
    train_idx, eval_idx = split_targets(len(pools.targets), cfg.train_fraction, seed)
    train_all, held = pools.subset(train_idx), pools.subset(eval_idx)
    used = [i for i, n in enumerate(train_all.positives()) if n >= cfg.train_min_positives]
    train = train_all.subset(used)
    stages["pools_s"] = time.perf_counter() - start

    budget = max(cfg.budgets)
    config = EnvConfig(
        max_candidates=cfg.pool_size, score_keys=SCORE_KEYS, drop_pool_wide_entities=True
    )
    policies = _policies(cfg, train, lab, budget, config, seed, held.truth, stages)

    metrics = _data_metrics(pools, train_all, train, held)
    metrics["train/timesteps"] = float(cfg.ppo.timesteps)
    fitted = policies.get("greedy_feedback")
    if isinstance(fitted, FeedbackGreedyPolicy):
        metrics["train/greedy_feedback/bonus"] = fitted.bonus
        metrics["train/greedy_feedback/class_bonus"] = fitted.class_bonus
        metrics["train/greedy_feedback/penalty"] = fitted.penalty
    permuted = PermutedLab(lab, held.pools, seed)
    seeds = [seed * 1000 + e for e in range(cfg.episodes)]
    series: dict[str, list[float]] = {}
    tick = time.perf_counter()
    for label, policy in policies.items():
        labs: dict[str, Any] = {"eval": lab}
        if label != "oracle":
            labs["control_permuted"] = permuted
        per_target = {}
        for channel, answering in labs.items():
            curves = discovery_curves(policy, held, answering, budget, seeds, config)
            metrics |= curve_metrics(curves, cfg.budgets, f"{channel}/{label}")
            series[f"{channel}/{label}"] = [float(x) for x in curves.mean(axis=(0, 1))]
            per_target[channel] = target_aucs(curves, budget)
            series[f"{TARGET_AUC}/{channel}/{label}"] = per_target[channel].tolist()
        if "control_permuted" in labs:
            metrics |= _drops(metrics, label, cfg.budgets)
            metrics |= _drop_test(per_target, label, cfg.bootstrap, seed)
    stages["eval_s"] = time.perf_counter() - tick

    stages["total_s"] = time.perf_counter() - start
    usage = meter.usage()
    timings = {k: round(v, 2) for k, v in stages.items()} | {
        "peak_rss_mb": round(usage.peak_rss_mb, 1)
    }
    (run_dir / "e4_timings.json").write_text(
        json.dumps(timings | {"peak_rss_scope": usage.scope}, indent=2) + "\n"
    )
    table = render_table(metrics, list(policies), cfg.budgets, timings, usage.note())
    (run_dir / "table.md").write_text(table)
    plot_curves(series, run_dir / "discovery_curve.png", cfg.budgets)
    print(table)
    inputs = {"train": train_path, "held_out": held_path} | mesh_inputs()  # MeSH: E1 features
    return TaskOutput(metrics=metrics, inputs=inputs, series=series)


def _policies(
    cfg: E4Params,
    train: TargetPools,
    lab: SimulatedLab,
    budget: int,
    config: EnvConfig,
    seed: int,
    truth: frozenset[str],
    stages: dict[str, float],
) -> dict[str, Policy]:
    built: dict[str, Policy] = {}
    for name in cfg.policies:
        if name in BASELINES:
            built[name] = baseline(name, seed, "ranker", cfg.ucb_c)
        elif name == "oracle":
            built[name] = OraclePolicy(truth, "ranker")
        else:
            if not train.pools:
                raise ValueError(
                    "no training target has `train_min_positives` true candidates; lower it"
                )
            tick = time.perf_counter()
            built[name] = train_learned(
                name, train, lab, budget, cfg.ppo.timesteps, seed, config, cfg.ppo.kwargs()
            )
            stages[f"train_{name}_s"] = time.perf_counter() - tick
    return built


def _data_metrics(
    pools: TargetPools, train_all: TargetPools, train: TargetPools, held: TargetPools
) -> dict[str, float]:
    sizes = np.array([len(p) for p in held.pools])
    positives = held.positives()
    train_ids = {h.id for pool in train.pools for h in pool}
    return {
        "data/targets": float(len(pools.targets)),
        "data/train_targets": float(len(train_all.targets)),
        "data/train_targets_used": float(len(train.targets)),
        "data/eval_targets": float(len(held.targets)),
        "data/pool_size": float(sizes.mean()),
        "data/eval_pool_positive_rate": float(positives.sum() / sizes.sum()),
        "data/eval_positives_per_pool": float(positives.mean()),
        "data/eval_pools_without_positive": float((positives == 0).mean()),
        "data/train_pool_positive_rate": float(
            train_all.positives().sum() / max(sum(len(p) for p in train_all.pools), 1)
        ),
        "data/eval_hypotheses_in_train": float(
            np.mean([h.id in train_ids for pool in held.pools for h in pool])
        ),
    }


def _drops(metrics: dict[str, float], label: str, budgets: list[int]) -> dict[str, float]:
    """True-lab minus permuted-lab score: positive when the policy used real feedback."""
    names = [*(f"discoveries@{b}" for b in budgets), "auc"]
    return {
        f"control_permuted/{label}/{n}_drop": metrics[f"eval/{label}/{n}"]
        - metrics[f"control_permuted/{label}/{n}"]
        for n in names
    }


TARGET_AUC = "per_target_auc"  # series key prefix: one AUC per held-out target, in order


def target_aucs(curves: np.ndarray, budget: int) -> np.ndarray:
    """Each held-out target's AUC (`curve_metrics`' ``auc``, averaged over its episodes)."""
    return curves[..., :budget].mean(axis=(1, 2))


def _drop_test(
    per_target: dict[str, np.ndarray], label: str, n_boot: int, seed: int
) -> dict[str, float]:
    """Is the true-lab AUC larger than the permuted-lab AUC, target by target?

    Paired over the held-out targets (same targets, same episode seeds): the one-sided
    Wilcoxon signed-rank test and a paired bootstrap 95% CI of the mean AUC drop
    (`experiments.benchmarks.stats.paired_difference`). ``auc_drop`` itself is the mean.
    """
    test = paired_difference(per_target["eval"], per_target["control_permuted"], n_boot, seed)
    base = f"control_permuted/{label}/auc_drop"
    out = {f"{base}_wilcoxon_p": test["wilcoxon_p"], f"{base}_n_nonzero": test["n_nonzero"]}
    if n_boot:
        out[f"{base}_ci_low"], out[f"{base}_ci_high"] = test["ci_low"], test["ci_high"]
    return out


if __name__ == "__main__":
    from experiments.benchmarks.e4_report import main

    main()
