"""The validation search: coordinate stages, the fixed rule, and config.yaml holding its choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.level4_fraud.config import ConfigError, Level4Config, ModelsConfig, load_config
from baselines.level4_fraud.tune import (
    STAGES,
    Grid,
    best_row,
    grid_points,
    search,
    start_point,
    sweep,
    validation_config,
)

RESULTS = Path(__file__).parents[1] / "results"
SEARCHED = ("random_forest", "balanced_bagging")


def test_each_stage_starts_from_the_best_point_so_far_and_reuses_fitted_points():
    stages: list[Grid] = [{"rf_max_depth": [20, None]}, {"rf_n_estimators": [100, 300]}]
    # Hand-set scores per (depth, trees); (20, 300) must never be fitted.
    table = {(20, 100): 0.5, (None, 100): 0.6, (None, 300): 0.7}
    fitted = []

    def score(cfg: ModelsConfig) -> dict[str, float]:
        point = (cfg.rf_max_depth, cfg.rf_n_estimators)
        fitted.append(point)
        return {"auc_roc": table[point], "average_precision": table[point], "cp": table[point]}

    # config.yaml's values (10, 500) are not where the search starts: the first listed ones are.
    rows = search(stages, ModelsConfig(rf_max_depth=10, rf_n_estimators=500), score)

    assert fitted == [(20, 100), (None, 100), (None, 300)]
    assert [r["stage"] for r in rows] == [1, 1, 2, 2]
    assert [r["reused"] for r in rows] == [False, False, True, False]
    assert rows[2]["settings"] == {"rf_max_depth": None, "rf_n_estimators": 100}
    assert best_row(rows)["settings"] == {"rf_max_depth": None, "rf_n_estimators": 300}
    assert rows[-1]["mean"] == pytest.approx(0.7)


def test_ties_at_four_decimals_go_to_the_earlier_point():
    assert best_row([{"mean": 0.64041, "i": 0}, {"mean": 0.64044, "i": 1}])["i"] == 0
    assert best_row([{"mean": 0.6404, "i": 0}, {"mean": 0.6406, "i": 1}])["i"] == 1


def test_start_point_takes_each_settings_first_listed_value():
    assert start_point(STAGES["balanced_bagging"]) == {
        "bb_sampling_strategy": 0.02,
        "bb_max_features": None,
        "bb_min_samples_leaf": 1,
        "bb_max_depth": 20,
        "bb_replacement": False,
        "bb_n_estimators": 100,
    }
    points = list(
        grid_points({"rf_max_depth": [20, None], "rf_min_samples_leaf": [1, 5]}, ModelsConfig())
    )
    assert [p for p, _ in points][1] == {"rf_max_depth": 20, "rf_min_samples_leaf": 5}
    assert points[1][1].rf_min_samples_leaf == 5


@pytest.mark.parametrize("model", SEARCHED)
def test_config_yaml_holds_what_the_recorded_validation_search_chose(model: str):
    record = json.loads((RESULTS / f"tune_{model}.json").read_text())
    rows = record["rows"]
    assert record["split"]["train_start"] == "2018-07-18"  # the validation week, not the test week
    assert best_row(rows)["settings"] == record["chosen"]
    assert sorted({r["stage"] for r in rows}) == list(range(1, len(STAGES[model]) + 1))
    for row in rows:
        scores = [row["auc_roc"], row["average_precision"], row["card_precision@100"]]
        assert row["mean"] == pytest.approx(sum(scores) / 3)
        assert set(STAGES[model][row["stage"] - 1]) <= set(row["settings"])
    chosen = {**start_point(STAGES[model]), **record["chosen"]}
    models = load_config().models
    assert {key: getattr(models, key) for key in chosen} == chosen


def test_a_validation_split_reaching_the_test_week_is_refused(tmp_path: Path):
    path = tmp_path / "late.yaml"
    path.write_text("split:\n  train_start: 2018-07-22\n")
    with pytest.raises(ConfigError, match="real test week"):
        validation_config(path)
    other_week = validation_config(Path(__file__).parents[1] / "config_other_week.yaml")
    assert other_week.split.train_start.isoformat() == "2018-07-18"


def test_unknown_model_is_refused_with_the_choices(l4_config: Level4Config):
    with pytest.raises(ValueError, match=r"no grid for model 'svm'.*random_forest"):
        sweep("svm", l4_config)
