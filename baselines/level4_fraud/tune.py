"""Hyperparameter grid on the validation split: the test week is never read.

``python -m baselines.level4_fraud.tune balanced_bagging|random_forest|logistic_regression
[--config PATH]``

The validation split is the handbook's split moved one week earlier (``config_other_week.yaml``:
train 2018-07-18..24, delay 07-25..31, test 08-01..07), so it ends before the real test week
(08-08..14) starts. Each grid point is fitted on the validation training week and scored on the
validation test days with the handbook's three measures; the point with the highest mean of
the three is printed last. The chosen values are then written into ``config.yaml`` by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import Level4Config, ModelsConfig, load_config
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.models import make_model
from baselines.level4_fraud.task import build_features

VALIDATION_CONFIG = Path(__file__).with_name("config_other_week.yaml")

# Each model's grid is a union of sub-grids (all combinations within one sub-grid).
GRIDS: dict[str, list[dict[str, list]]] = {
    "balanced_bagging": [
        {
            "bb_estimator": ["tree"],
            "bb_n_estimators": [200],
            "bb_max_depth": [None, 20, 8],
            "bb_max_features": ["sqrt", None],
            "bb_sampling_strategy": [0.05, 0.2, 1.0],
        },
        {
            "bb_estimator": ["hist_gradient_boosting"],
            "bb_n_estimators": [20, 50],
            "bb_sampling_strategy": [0.05, 0.2, 0.5, 1.0],
        },
    ],
    "random_forest": [{"rf_max_depth": [None, 20, 10]}],
    "logistic_regression": [{"logreg_c": [0.01, 0.1, 1.0, 10.0]}],
}


def grid_points(
    name: str, base: ModelsConfig, subgrid: int | None = None
) -> Iterator[tuple[str, ModelsConfig]]:
    """(label, models config) for each point of ``name``'s grid (or of one of its sub-grids).

    Raises:
        ValueError: no grid is defined for ``name``, or ``subgrid`` is out of range.
    """
    if name not in GRIDS:
        raise ValueError(f"no grid for model {name!r}; choose one of {sorted(GRIDS)}")
    grids = GRIDS[name]
    if subgrid is not None:
        if not 0 <= subgrid < len(grids):
            raise ValueError(f"{name} has sub-grids 0..{len(grids) - 1}, got {subgrid}")
        grids = [grids[subgrid]]
    for grid in grids:
        keys = list(grid)
        for values in itertools.product(*(grid[k] for k in keys)):
            update = dict(zip(keys, values, strict=True))
            label = " ".join(f"{k}={v}" for k, v in update.items())
            yield label, base.model_copy(update=update)


def sweep(
    name: str, cfg: Level4Config, subgrid: int | None = None
) -> list[tuple[float, str, dict[str, float]]]:
    """Fit and score every grid point on the split of ``cfg``; returns (mean, label, scores)."""
    frame = build_features(cfg)
    train, test = evaluation.train_test_split(frame, cfg.split)
    names = feature_names(cfg.features.windows_days)
    x_train, y_train, x_test = train[names].to_numpy(), train["TX_FRAUD"], test[names].to_numpy()
    rows = []
    for label, models_cfg in grid_points(name, cfg.models, subgrid):
        start = time.perf_counter()
        model = make_model(name, models_cfg).fit(x_train, y_train)
        scores = evaluation.evaluate(test, model.predict_proba(x_test)[:, 1], cfg.top_k)
        mean = sum(scores.values()) / len(scores)
        rows.append((mean, label, scores))
        cells = " ".join(f"{k}={v:.3f}" for k, v in scores.items())
        print(f"{label:<100} {cells} mean={mean:.4f} ({time.perf_counter() - start:.0f} s)")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the sweep of one model and print the best point."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.tune")
    parser.add_argument("model", choices=sorted(GRIDS))
    parser.add_argument("--config", default=str(VALIDATION_CONFIG), help="validation split")
    parser.add_argument("--subgrid", type=int, default=None, help="only this sub-grid (0, 1..)")
    args = parser.parse_args(argv)
    base = load_config()
    split = load_config(args.config).split
    if split.test_start + dt.timedelta(days=split.delta_test) > base.split.test_start:
        raise SystemExit(f"{args.config}: its test days reach the real test week; move it back")
    cfg = base.model_copy(update={"split": split, "check_feature_parity": False})
    rows = sweep(args.model, cfg, args.subgrid)
    best = max(rows, key=lambda r: r[0])
    print(f"best: {best[1]} mean={best[0]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
