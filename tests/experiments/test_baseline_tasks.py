"""`task: baseline:<level>`: config merge, seed placement, and runs through the experiment CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.cli import main
from experiments.multirun import ExperimentError
from experiments.reproduce import reproduce
from experiments.tasks import ExperimentConfig, _seed_key, baseline_config, is_timing

# Penguins only, two models, three folds: a few seconds.
LEVEL1_SMALL = {
    "cv_folds": 3,
    "models": ["dummy", "logistic_regression"],
    "plots": False,
    "datasets": [{"name": "penguins", "source": "palmerpenguins", "target": "species"}],
}


def write_experiment(path: Path, name: str, task: str, params: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"name": name, "task": task, "threads": 1, "params": params}))
    return path


def test_params_merge_into_the_packaged_config_and_the_seed_lands_in_its_key() -> None:
    from baselines.level2_churn.config import Level2Config

    cfg = baseline_config("level2_churn", {"split": {"cv_folds": 3}}, seed=5)
    level2 = Level2Config.model_validate(cfg)
    assert level2.seed == 5 and level2.split.cv_folds == 3
    assert level2.split.test_size == 0.2  # untouched sibling of the changed field
    assert len(level2.data.tables) == 5 and level2.target.column == "Churn Value"
    # Lists replace rather than append.
    cfg = baseline_config("level2_churn", {"model": {"kinds": ["logistic_regression"]}}, 0)
    assert cfg["model"]["kinds"] == ["logistic_regression"]


def test_seed_goes_where_each_level_keeps_it() -> None:
    from baselines.level3_recommender.config import Level3Config

    assert baseline_config("level1_eda", {}, 9)["seed"] == 9
    level3 = Level3Config.model_validate(baseline_config("level3_recommender", {}, 9))
    assert level3.split.seed == 9  # the split's and every model's seed
    assert "seed" not in baseline_config("level3_recommender", {}, 9)
    assert baseline_config("level4_fraud", {}, 9)["models"]["seed"] == 9


def test_unknown_level_and_ambiguous_seed_are_refused() -> None:
    with pytest.raises(ExperimentError, match=r"baseline:level9_x.*name a folder of baselines/"):
        baseline_config("level9_x", {}, 0)
    with pytest.raises(ExperimentError, match="name a folder"):
        baseline_config("../agent", {}, 0)
    with pytest.raises(ExperimentError, match=r"keys named `seed`: \['a.seed', 'b.seed'\]"):
        _seed_key({"a": {"seed": 1}, "b": {"seed": 2}}, Path("c.yaml"))
    with pytest.raises(ExperimentError, match="keys named `seed`: none"):
        _seed_key({"a": {"b": 1}}, Path("c.yaml"))


def test_timings_are_recognised_by_name() -> None:
    assert is_timing("batch/seconds") and is_timing("random_forest/fit_seconds")
    assert not is_timing("test/roc_auc") and not is_timing("seconds_per_user/precision@10")


def test_experiment_cli_runs_level1_over_two_seeds_and_reproduces(tmp_path: Path) -> None:
    config = write_experiment(tmp_path / "l1.yaml", "l1", "baseline:level1_eda", LEVEL1_SMALL)
    out = tmp_path / "runs"
    assert main(["experiment", "run", str(config), "--seeds", "0", "1", "--out", str(out)]) == 0

    seeds = [out / "l1" / f"seed-{s}" for s in (0, 1)]
    for seed, run_dir in enumerate(seeds):
        used = yaml.safe_load((run_dir / "artifacts" / "config.resolved.yaml").read_text())
        assert used["seed"] == seed and used["cv_folds"] == 3
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["penguins/dummy/cv/roc_auc_mean"] == 0.5
        assert metrics["penguins/logistic_regression/test/accuracy"] > 0.95
    # Another seed is another split: the hold-out accuracy of some model differs.
    first, second = (json.loads((d / "metrics.json").read_text()) for d in seeds)
    assert first != second
    assert "penguins/logistic_regression/test/accuracy" in (out / "l1" / "summary.md").read_text()

    result = reproduce(seeds[0], tmp_path / "rerun")
    assert result.identical, result.differences
    # Penguins come from the palmerpenguins package, not the data directory: nothing to list.
    assert json.loads((seeds[0] / "manifest.json").read_text())["inputs"] == {}


def test_level3_timing_stays_out_of_the_compared_metrics(tmp_path: Path) -> None:
    from experiments.multirun import run_seed

    params = {
        "data": {"max_users": 60},
        "models": {"evaluate": ["popularity"]},
        "eval": {"splits": ["random"], "repeat_seeds": []},
        "batch": {"top_n": 10},
    }
    config = ExperimentConfig(name="l3", task="baseline:level3_recommender", params=params)
    run_dir = run_seed(config, 3, tmp_path / "seed-3")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    own = json.loads((run_dir / "artifacts" / "metrics.json").read_text())
    assert "batch/seconds" in own and "batch/seconds" not in metrics
    assert metrics["batch/users"] == 60.0 and metrics["random/users_scored"] == 60.0
    used = yaml.safe_load((run_dir / "artifacts" / "config.resolved.yaml").read_text())
    assert used["split"]["seed"] == 3
    # The level names no inputs; the runner checksums the data files it saw it read.
    inputs = json.loads((run_dir / "manifest.json").read_text())["inputs"]
    assert inputs and all(role.startswith("read:baselines/") for role in inputs), inputs
    assert "does not list" not in (run_dir / "run.log").read_text()


def test_a_bad_baseline_config_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_experiment(
        tmp_path / "bad.yaml", "bad", "baseline:level2_churn", {"split": {"tset_size": 0.3}}
    )
    assert main(["experiment", "run", str(config), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "task `baseline:level2_churn`" in err and "split.tset_size" in err


@pytest.mark.slow
def test_experiment_cli_runs_the_shipped_level2_config(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[2] / "experiments/configs/baseline_level2_churn.yaml"
    out = tmp_path / "runs"
    assert main(["experiment", "run", str(config), "--seeds", "1", "--out", str(out)]) == 0
    run_dir = out / "baseline_level2_churn_small" / "seed-1"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["data/rows"] == 7043.0
    assert 0.88 < metrics["cv/roc_auc_mean"] < 0.93  # logistic regression, data README: 0.903
    assert (run_dir / "artifacts" / "model.joblib").is_file()
    used = yaml.safe_load((run_dir / "artifacts" / "config.resolved.yaml").read_text())
    assert used["seed"] == 1 and used["imbalance"]["strategies"] == ["none", "class_weight"]
