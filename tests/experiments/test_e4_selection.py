"""E4 on a small real slice: pools, the oracle bound, the permuted control, the metrics."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from experiments.benchmarks.e4_eval import (
    OraclePolicy,
    baseline,
    curve_metrics,
    discovery_curves,
)
from experiments.benchmarks.e4_pools import SCORE_KEYS, TargetPools, build_target_pools
from experiments.benchmarks.e4_selection import E4Params, split_targets
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.pubtator import Document, read_pubtator
from rl.controls import PermutedLab
from rl.env import EnvConfig
from rl.labs import SimulatedLab
from tests.conftest import first_documents
from tests.rl.rl_helpers import read_cid_pairs

POOL = 15


@pytest.fixture(scope="module")
def train_slice(bc5cdr_train: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Document]:
    path = tmp_path_factory.mktemp("e4") / "train.txt"
    return list(read_pubtator(first_documents(bc5cdr_train, 60, path)))


@pytest.fixture(scope="module")
def pools(train_slice: list[Document], bc5cdr_dev: Path) -> TargetPools:
    dev = list(read_pubtator(bc5cdr_dev))
    return build_target_pools(train_slice, dev, seed=0, pool_size=POOL, intermediates=3)


@pytest.fixture(scope="module")
def lab(bc5cdr_dev: Path) -> SimulatedLab:
    return SimulatedLab.from_pubtator(bc5cdr_dev)


def _config() -> EnvConfig:
    return EnvConfig(max_candidates=POOL, score_keys=SCORE_KEYS, drop_pool_wide_entities=True)


def test_pools_are_the_rankers_top_never_co_mentioned_candidates(
    pools: TargetPools, train_slice: list[Document], bc5cdr_dev: Path
) -> None:
    graph = CooccurrenceGraph.from_documents(train_slice)
    truth = {(c, d) for _, c, d in read_cid_pairs(bc5cdr_dev)}  # read from the file itself
    assert pools.targets == sorted(pools.targets) and len(pools.targets) > 10
    for target, pool in zip(pools.targets, pools.pools, strict=True):
        assert len(pool) == POOL and {h.object.id for h in pool} == {target}
        ranker = [h.scores["ranker"] for h in pool]
        assert ranker == sorted(ranker, reverse=True)
        for h in pool:
            assert graph.count(h.subject.id, h.object.id) == 0
            assert (h.id in pools.truth) == ((h.subject.id, target) in truth)
            for b in h.provenance.intermediates:
                assert graph.count(h.subject.id, b.id) and graph.count(target, b.id)


def test_lab_confirms_exactly_the_true_candidates(pools: TargetPools, lab: SimulatedLab) -> None:
    for pool in pools.pools:
        for h in pool:
            assert lab.test(h).confirmed is (h.id in pools.truth)


def test_oracle_confirms_min_of_budget_and_positives(pools: TargetPools, lab: SimulatedLab) -> None:
    budget = 10
    oracle = OraclePolicy(pools.truth, "ranker")
    curves = discovery_curves(oracle, pools, lab, budget, seeds=[0, 1], config=_config())
    positives = pools.positives()
    assert positives.sum() > 0
    for b in range(1, budget + 1):
        expected = np.minimum(b, positives)[:, None].repeat(2, axis=1)
        np.testing.assert_array_equal(curves[:, :, b - 1], expected)


def test_permuted_lab_keeps_each_pools_outcomes_but_moves_them(
    pools: TargetPools, lab: SimulatedLab
) -> None:
    moved = 0
    for seed in range(3):
        permuted = PermutedLab(lab, pools.pools, seed)
        for pool in pools.pools:
            true = [lab.test(h).confirmed for h in pool]
            fake = [permuted.test(h).confirmed for h in pool]
            assert Counter(fake) == Counter(true)
            assert sorted(permuted.partner[h.id].id for h in pool) == sorted(h.id for h in pool)
            moved += fake != true
    assert moved > 0


def test_permuted_lab_refuses_unknown_and_repeated_hypotheses(
    pools: TargetPools, lab: SimulatedLab
) -> None:
    permuted = PermutedLab(lab, pools.pools[:1], seed=0)
    with pytest.raises(KeyError, match="pass every evaluation pool"):
        permuted.test(pools.pools[1][0])
    with pytest.raises(ValueError, match="occurs in pool 1 and an earlier pool"):
        PermutedLab(lab, [pools.pools[0], pools.pools[0]], seed=0)


def test_policies_that_ignore_outcomes_score_the_same_under_the_control(
    pools: TargetPools, lab: SimulatedLab
) -> None:
    permuted = PermutedLab(lab, pools.pools, seed=0)
    for name in ("greedy", "random"):
        policy = baseline(name, seed=0, score_key="ranker", ucb_c=1.0)
        true = discovery_curves(policy, pools, lab, 10, [0, 1], _config())
        fake = discovery_curves(policy, pools, permuted, 10, [0, 1], _config())
        np.testing.assert_array_equal(true, fake)


def test_curve_metrics_by_hand() -> None:
    # Two pools, one episode each, budget 4: curves 0,1,1,2 and 1,1,1,1.
    curves = np.array([[[0, 1, 1, 2]], [[1, 1, 1, 1]]], dtype=float)
    out = curve_metrics(curves, [2, 4], "eval/x")
    assert out["eval/x/discoveries@2"] == 1.0
    assert out["eval/x/discoveries@4"] == 1.5
    assert out["eval/x/auc"] == pytest.approx((0 + 1 + 1 + 2 + 1 + 1 + 1 + 1) / 8)
    with pytest.raises(ValueError, match="fewer than the budget 5"):
        curve_metrics(curves, [5], "eval/x")


def test_target_split_is_seeded_disjoint_and_complete() -> None:
    train, held = split_targets(20, 0.5, seed=3)
    assert (train, held) == split_targets(20, 0.5, seed=3)
    assert train != split_targets(20, 0.5, seed=4)[0]
    assert sorted(train + held) == list(range(20)) and len(train) == 10


def test_params_name_the_bad_field() -> None:
    with pytest.raises(ValidationError, match=r"`budgets` \[10, 200\] must be between 1"):
        E4Params.model_validate({"budgets": [10, 200]})
    with pytest.raises(ValidationError, match=r"unknown policies \['dqn'\]"):
        E4Params.model_validate({"policies": ["dqn"]})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        E4Params.model_validate({"pool": 100})


@pytest.mark.slow
def test_small_run_end_to_end(tmp_path: Path) -> None:
    from experiments.benchmarks.e4_report import summarize
    from experiments.multirun import read_metrics, run_seed
    from experiments.tables import aggregate, collect
    from experiments.tasks import ExperimentConfig

    params = {
        "max_documents": 80,
        "pool_size": 12,
        "budgets": [2, 5, 10],
        "episodes": 1,
        "ppo": {"timesteps": 256, "n_steps": 128, "batch_size": 32},
    }
    config = ExperimentConfig(name="e4_tiny", task="e4_selection", threads=1, params=params)
    dirs = [run_seed(config, seed, tmp_path / f"seed-{seed}") for seed in (0, 1)]

    metrics = read_metrics(dirs[0])
    for policy in ("random", "greedy", "ucb", "thompson", "ppo", "ppo_slot"):
        for key in ("discoveries@2", "discoveries@5", "discoveries@10", "auc"):
            assert f"eval/{policy}/{key}" in metrics
            assert f"control_permuted/{policy}/{key}" in metrics
        assert metrics[f"eval/{policy}/auc"] <= metrics["eval/oracle/auc"]
    assert metrics["control_permuted/greedy/auc_drop"] == 0.0
    assert metrics["control_permuted/random/auc_drop"] == 0.0
    assert 0 < metrics["data/eval_pool_positive_rate"] < 1
    for name in ("table.md", "discovery_curve.png", "e4_timings.json", "series.json"):
        assert (dirs[0] / name).is_file()

    table = aggregate(collect(dirs))
    row = table[table["metric"] == "eval/greedy/auc"].iloc[0]
    assert row["count"] == 2
    assert "| greedy |" in summarize(dirs) and "mean ± sd over 2 seeds" in summarize(dirs)
