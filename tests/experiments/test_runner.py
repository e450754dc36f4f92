"""The experiment runner: byte-identical metrics per seed, reproduction, and Ray workers.

All three run the real discovery task (corpus, FAISS, LLM, Prolog, PPO) on a tiny config, so
they are slow; one module-scoped local run is shared by the three checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.multirun import ExperimentError, load_experiment, run_experiment
from experiments.reproduce import reproduce
from experiments.tables import aggregate, collect
from experiments.tasks import ExperimentConfig

TINY = {
    "name": "tiny",
    "corpus": {"path": "bio/bc5cdr/CDR_TrainingSet.PubTator.txt", "max_documents": 80},
    "gold": {"path": "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt"},
    "generation": {"n_targets": 4, "max_candidates": 8},
    "agent": {"rationale_top_k": 1, "plausibility_per_target": 2, "propose_documents": 0},
    "rl": {"budget": 2, "timesteps": 256, "eval_episodes": 2, "policies": ["random", "ppo"]},
    "llm": {"max_new_tokens": 16},
}


def _config() -> ExperimentConfig:
    return ExperimentConfig(name="tiny", task="discovery", threads=1, params=TINY)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("first")
    (run_dir,) = run_experiment(_config(), [0], out)
    return run_dir


@pytest.mark.slow
def test_same_config_and_seed_give_byte_identical_metrics(first_run: Path, tmp_path: Path) -> None:
    (second,) = run_experiment(_config(), [0], tmp_path)
    first_bytes = (first_run / "metrics.json").read_bytes()
    assert first_bytes == (second / "metrics.json").read_bytes()
    metrics = json.loads(first_bytes)
    assert "selection/ppo/discoveries@budget" in metrics
    # Timings are kept apart from the metrics because they never repeat.
    assert "wall_s" in json.loads((first_run / "timings.json").read_text())
    assert not any(key.startswith("time") for key in metrics)
    manifest = json.loads((first_run / "manifest.json").read_text())
    assert manifest["threads"] == 1 and manifest["seeds"] == [0]
    assert (first_run / "review.sqlite").is_file()  # each seed's own review store


@pytest.mark.slow
def test_reproduce_reports_no_difference_then_a_tampered_metric(
    first_run: Path, tmp_path: Path
) -> None:
    result = reproduce(first_run, tmp_path / "rerun")
    assert result.identical, result.differences

    metrics = json.loads((first_run / "metrics.json").read_text())
    key = "selection/ppo/discoveries@budget"
    recorded = metrics[key]
    metrics[key] = recorded + 1.0
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for name in ("config.yaml", "manifest.json"):
        (tampered / name).write_bytes((first_run / name).read_bytes())
    (tampered / "metrics.json").write_text(json.dumps(metrics))
    result = reproduce(tampered, tmp_path / "rerun2")
    assert result.differences == {key: (recorded + 1.0, recorded)}


@pytest.mark.slow
def test_ray_backend_with_two_workers_matches_the_local_run(
    first_run: Path, tmp_path: Path
) -> None:
    dirs = run_experiment(_config(), [0, 1], tmp_path, backend="ray", workers=2)
    assert [d.name for d in dirs] == ["seed-0", "seed-1"]
    # Pinned threads: a Ray worker computes the same sums as the local process.
    assert (dirs[0] / "metrics.json").read_bytes() == (first_run / "metrics.json").read_bytes()
    table = aggregate(collect(dirs))
    assert set(table["count"]) == {2}
    # Only the driver configures logging; the worker's seed log still holds INFO records.
    for run_dir in dirs:
        assert " INFO experiments.multirun: tiny seed " in (run_dir / "run.log").read_text()


def test_unknown_backend_and_bad_config_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="unknown backend 'slurm'"):
        run_experiment(_config(), [0], tmp_path, backend="slurm")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntask: discovery\nthreads: 0\n")
    with pytest.raises(ExperimentError, match=r"bad\.yaml is not a valid experiment config"):
        load_experiment(bad)
    with pytest.raises(ExperimentError, match=r"missing\.yaml does not exist"):
        load_experiment(tmp_path / "missing.yaml")
