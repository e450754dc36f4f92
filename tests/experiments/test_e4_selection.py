"""E4 on a small real slice: pools, the oracle bound, the permuted control, the metrics."""

from __future__ import annotations

import json
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
from experiments.benchmarks.e4_report import control_test
from experiments.benchmarks.e4_selection import E4Params, _drop_test, split_targets, target_aucs
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.mesh import MeshVocabulary
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
        assert len(pool) == POOL and {h.subject.id for h in pool} == {target}
        ranker = [h.scores["ranker"] for h in pool]
        assert ranker == sorted(ranker, reverse=True)
        for h in pool:
            assert graph.count(h.subject.id, h.object.id) == 0
            assert (h.id in pools.truth) == ((target, h.object.id) in truth)
            for b in h.provenance.intermediates:
                assert graph.count(target, b.id) and graph.count(h.object.id, b.id)


def test_pools_carry_the_diseases_mesh_classes(pools: TargetPools) -> None:
    mesh = MeshVocabulary.load()
    diseases = {h.object.id for pool in pools.pools for h in pool}
    assert diseases <= set(pools.categories)
    for d in diseases:
        assert pools.categories[d] == mesh.classes(d, 2)
    assert sum(bool(pools.categories[d]) for d in diseases) > 0.5 * len(diseases)


def test_disease_targets_give_one_disease_per_pool(
    train_slice: list[Document], bc5cdr_dev: Path
) -> None:
    dev = list(read_pubtator(bc5cdr_dev))
    by_disease = build_target_pools(
        train_slice, dev, seed=0, pool_size=POOL, intermediates=3, target="disease"
    )
    truth = {(c, d) for _, c, d in read_cid_pairs(bc5cdr_dev)}
    for target, pool in zip(by_disease.targets, by_disease.pools, strict=True):
        assert {h.object.id for h in pool} == {target}
        for h in pool:
            assert (h.id in by_disease.truth) == ((h.subject.id, target) in truth)
    with pytest.raises(ValueError, match="must be 'chemical' or 'disease'"):
        build_target_pools(train_slice, dev, 0, POOL, 3, target="gene")  # type: ignore[arg-type]


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


def test_target_aucs_and_the_paired_drop_test_by_hand() -> None:
    # Two targets, one episode, budget 4. True lab: 0 1 1 2 and 0 0 0 1; permuted: 0 0 1 1
    # and 0 0 0 1. AUCs (mean of the curve): 1.0 and 0.25 against 0.5 and 0.25.
    true = np.array([[[0, 1, 1, 2]], [[0, 0, 0, 1]]], dtype=float)
    permuted = np.array([[[0, 0, 1, 1]], [[0, 0, 0, 1]]], dtype=float)
    aucs = {"eval": target_aucs(true, 4), "control_permuted": target_aucs(permuted, 4)}
    assert aucs["eval"].tolist() == [1.0, 0.25] and aucs["control_permuted"].tolist() == [0.5, 0.25]
    assert curve_metrics(true, [4], "x")["x/auc"] == aucs["eval"].mean()  # same AUC
    out = _drop_test(aucs, "ppo", 200, seed=0)
    # One target differs (+0.5): the exact one-sided Wilcoxon p with one difference is 1/2.
    assert out["control_permuted/ppo/auc_drop_n_nonzero"] == 1
    assert out["control_permuted/ppo/auc_drop_wilcoxon_p"] == pytest.approx(0.5)
    assert 0 <= out["control_permuted/ppo/auc_drop_ci_low"] <= 0.25
    assert out["control_permuted/ppo/auc_drop_ci_high"] <= 0.5


def test_control_test_across_seeds_by_hand(tmp_path: Path) -> None:
    # Seed means of the true-lab AUCs 0.45, 0.40 against permuted 0.35, 0.15: drops 0.10 and
    # 0.25 (mean 0.175), both positive, exact p = 1/4. Pooled pairs: drops .2 0 .5 0.
    per_seed = [([0.5, 0.4], [0.3, 0.4]), ([0.6, 0.2], [0.1, 0.2])]
    dirs = []
    for seed, (true, permuted) in enumerate(per_seed):
        run_dir = tmp_path / f"seed-{seed}"
        run_dir.mkdir()
        series = {"per_target_auc/eval/ppo": true, "per_target_auc/control_permuted/ppo": permuted}
        (run_dir / "series.json").write_text(json.dumps(series))
        dirs.append(run_dir)
    rows = control_test(dirs, ["ppo", "greedy"], n_boot=100)
    assert rows[-2].startswith("| ppo | +0.175 | [+0.100, +0.250] | 0.25 (n=2) | 0.25 (4) |")
    assert rows[-1] == "| greedy | - | - | - | - |"


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
    inputs = json.loads((dirs[0] / "manifest.json").read_text())["inputs"]
    assert not [role for role in inputs if role.startswith("unlisted:")], inputs
    assert {"mesh_terms", "mesh_tree_numbers"} <= set(inputs)

    metrics = read_metrics(dirs[0])
    for policy in ("random", "greedy", "greedy_feedback", "ucb", "thompson", "ppo", "ppo_slot"):
        for key in ("discoveries@2", "discoveries@5", "discoveries@10", "auc"):
            assert f"eval/{policy}/{key}" in metrics
            assert f"control_permuted/{policy}/{key}" in metrics
        assert metrics[f"eval/{policy}/auc"] <= metrics["eval/oracle/auc"]
    assert metrics["train/greedy_feedback/bonus"] in (0.0, 0.1, 0.3, 1.0)
    assert metrics["train/greedy_feedback/class_bonus"] in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)
    assert metrics["control_permuted/greedy/auc_drop"] == 0.0
    assert metrics["control_permuted/random/auc_drop"] == 0.0
    for ignores_outcomes in ("greedy", "random"):
        base = f"control_permuted/{ignores_outcomes}/auc_drop"
        assert metrics[f"{base}_wilcoxon_p"] == 1.0 and metrics[f"{base}_n_nonzero"] == 0
        assert metrics[f"{base}_ci_low"] == metrics[f"{base}_ci_high"] == 0.0
    series = json.loads((dirs[0] / "series.json").read_text())
    assert len(series["per_target_auc/eval/ppo"]) == metrics["data/eval_targets"]
    assert 0 < metrics["data/eval_pool_positive_rate"] < 1
    for name in ("table.md", "discovery_curve.png", "e4_timings.json", "series.json"):
        assert (dirs[0] / name).is_file()

    table = aggregate(collect(dirs))
    row = table[table["metric"] == "eval/greedy/auc"].iloc[0]
    assert row["count"] == 2
    summary = summarize(dirs)
    assert "| greedy |" in summary and "mean ± sd over 2 seeds" in summary
    assert "| greedy | +0.000 | [+0.000, +0.000] | 1 (n=2) | 1 (" in summary
    assert "Wall time" in (dirs[0] / "table.md").read_text()


def test_report_names_a_folder_that_is_no_finished_e4_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from experiments.benchmarks.e4_report import main

    unfinished = tmp_path / "seed-3"
    unfinished.mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main([str(unfinished)])
    assert exit_info.value.code == 2
    assert f"{unfinished} has no metrics.json" in capsys.readouterr().err
    other = tmp_path / "e3-seed-0"
    other.mkdir()
    (other / "metrics.json").write_text(json.dumps({"precision": 0.5}))
    (other / "manifest.json").write_text(json.dumps({"seeds": [0]}))
    (other / "config.yaml").write_text("name: e3_symbolic\n")
    with pytest.raises(SystemExit):
        main([str(other)])
    assert "no E4 policy metrics" in capsys.readouterr().err
