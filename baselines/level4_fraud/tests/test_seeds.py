"""The seed spread: one fit per seed, mean and sample standard deviation per measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.evaluation import train_test_split
from baselines.level4_fraud.seeds import seed_runs, spread, spread_table

CP = "card_precision@100"


def test_each_seed_is_one_fit_and_the_spread_is_their_mean_and_std(
    l4_config: Level4Config, l4_features: pd.DataFrame
):
    small = l4_config.models.model_copy(update={"rf_n_estimators": 5, "rf_max_depth": 6})
    cfg = l4_config.model_copy(update={"models": small})
    train, test = train_test_split(l4_features, cfg.split)
    rows = seed_runs(cfg, train, test, ["random_forest"], [0, 1, 2])

    assert [(r["model"], r["seed"]) for r in rows] == [("random_forest", s) for s in (0, 1, 2)]
    aps = np.array([r["average_precision"] for r in rows])
    assert len(set(aps)) == 3  # the seed reaches the forest: three different fits
    summary = spread(rows, 100)["random_forest"]
    assert summary["average_precision"] == pytest.approx((aps.mean(), aps.std(ddof=1)))
    assert set(summary) == {"auc_roc", "average_precision", CP}

    table = spread_table(spread(rows, 100), 100, cfg)
    mean, std = summary[CP]
    assert f"| {mean:.3f} ± {std:.3f} | 0.867 / 0.658 / 0.287 |" in table  # handbook's split


def test_one_seed_has_no_spread_and_other_weeks_no_handbook_row(l4_config: Level4Config):
    rows = [
        {"model": "random_forest", "seed": 0, "auc_roc": 0.9, "average_precision": 0.7, CP: 0.3}
    ]
    summary = spread(rows, 100)
    assert summary["random_forest"]["auc_roc"] == (0.9, 0.0)
    other = l4_config.split.model_copy(
        update={"train_start": l4_config.split.train_start.replace(day=18)}
    )
    table = spread_table(summary, 100, l4_config.model_copy(update={"split": other}))
    assert (
        table.splitlines()[-1]
        == "| random_forest | 0.900 ± 0.000 | 0.700 ± 0.000 | 0.300 ± 0.000 | - |"
    )
