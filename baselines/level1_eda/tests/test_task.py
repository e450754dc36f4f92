"""The task entry point and CLI, end to end on a small config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from baselines.level1_eda import run
from baselines.level1_eda.__main__ import main
from baselines.level1_eda.task import DEFAULT_CONFIG

SMALL = {
    "cv_folds": 3,
    "models": ["dummy", "logistic_regression"],
    "datasets": [
        {"name": "penguins", "source": "palmerpenguins", "target": "species"},
        {
            "name": "churn",
            "source": "csv",
            "path": "baselines/level2/telco_single/Telco-Customer-Churn.csv",
            "target": "Churn",
            "positive_label": "Yes",
            "drop": ["customerID"],
            "max_rows": 800,
        },
    ],
}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], Path]:
    root = tmp_path_factory.mktemp("level1")
    cfg = root / "small.yaml"
    cfg.write_text(yaml.safe_dump(SMALL))
    return run(cfg, root / "out"), root / "out"


def test_run_writes_metrics_config_and_artifacts(small_run: tuple[dict[str, float], Path]) -> None:
    metrics, out = small_run
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert len(metrics) == 2 * 2 * 4
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())
    assert resolved["test_size"] == 0.25 and resolved["datasets"][1]["max_rows"] == 800
    for name in [
        "distributions.png",
        "pairs.png",
        "confusion_logistic_regression.png",
        "missing.csv",
        "summary.csv",
        "results.csv",
    ]:
        assert (out / "penguins" / name).stat().st_size > 0
        assert (out / "churn" / name).stat().st_size > 0
    assert "## churn" in (out / "report.md").read_text()


def test_run_metrics_are_sane(small_run: tuple[dict[str, float], Path]) -> None:
    metrics, _ = small_run
    assert metrics["churn/dummy/cv/roc_auc_mean"] == pytest.approx(0.5)
    assert metrics["churn/logistic_regression/cv/roc_auc_mean"] > 0.8
    assert metrics["penguins/logistic_regression/test/accuracy"] > 0.95


def test_cli_reports_a_bad_config_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: []\n")
    assert main(["--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "datasets: List should have at least 1 item" in capsys.readouterr().err


@pytest.mark.slow
def test_default_config_reproduces_the_telco_anchor(tmp_path: Path) -> None:
    metrics = run(DEFAULT_CONFIG, tmp_path)
    # Data README: logistic regression, 5-fold stratified CV, one-hot: 0.845 +- 0.013.
    assert metrics["telco/logistic_regression/cv/roc_auc_mean"] == pytest.approx(0.845, abs=0.005)
    assert metrics["penguins/logistic_regression/test/accuracy"] > 0.97
