"""The default run against the handbook's published numbers (slow: about 2.5 minutes).

Each model is compared with its handbook row measure by measure, both rounded to the
handbook's 3 decimals. The settings were chosen on the validation split (tune.py), never on the
test week, and the verdicts below are what the default run gives: where a model falls short
(random forest's AUC ROC, both balanced baggings' AUC ROC and card precision), the test says
so, and fails if that changes in either direction. The handbook's own forest
(``random_forest_handbook``: its inputs and settings) reproduces its chapter-3 row exactly,
which shows the split, features and measures here are the handbook's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.level4_fraud.models import HANDBOOK, HANDBOOK_ROW
from baselines.level4_fraud.task import HANDBOOK_SPLIT, handbook_comparison, run

AUC, AP, CP = "auc_roc", "average_precision", "card_precision@100"
VERDICTS = {
    "logistic_regression": {AUC: True, AP: True, CP: True},
    "random_forest": {AUC: False, AP: True, CP: True},
    "random_forest_handbook": {AUC: True, AP: True, CP: True},
    "balanced_bagging": {AUC: False, AP: True, CP: False},
    "balanced_bagging_hgb": {AUC: False, AP: True, CP: False},
}
# The default run's test-week numbers (seed 0), as in the README.
MEASURED = {
    "logistic_regression": (0.876, 0.658, 0.291),
    "random_forest": (0.855, 0.687, 0.290),
    "random_forest_handbook": (0.867, 0.658, 0.287),
    "balanced_bagging": (0.869, 0.686, 0.293),
    "balanced_bagging_hgb": (0.875, 0.693, 0.297),
}


@pytest.mark.slow
def test_default_run_against_the_handbook(tmp_path: Path):
    metrics = run(None, tmp_path)
    assert metrics["features/rows_mismatched"] == 2  # parity with the shipped file
    assert (metrics["split/test_rows"], metrics["split/test_frauds"]) == (58_264, 385)
    for name, expected in MEASURED.items():
        ours = tuple(metrics[f"test/{name}/{m}"] for m in (AUC, AP, CP))
        assert ours == pytest.approx(expected, abs=0.0015), name
        assert handbook_comparison(metrics, name, 100, HANDBOOK_SPLIT) == VERDICTS[name], name
    # Logistic regression meets or beats all three of its handbook numbers.
    lr = [metrics[f"test/logistic_regression/{m}"] for m in (AUC, AP, CP)]
    assert all(
        round(v, 3) >= ref for v, ref in zip(lr, HANDBOOK["logistic_regression"], strict=True)
    )
    # The handbook's forest, refit here, gives its published numbers to the last digit.
    forest = [metrics[f"test/random_forest_handbook/{m}"] for m in (AUC, AP, CP)]
    assert [round(v, 3) for v in forest] == list(HANDBOOK["random_forest"])
    table = (tmp_path / "results.md").read_text()
    assert "| logistic_regression | 0.876 | 0.658 | 0.291 |" in table
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert set(HANDBOOK_ROW) == set(MEASURED)
