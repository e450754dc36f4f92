"""Hyperparameter grids scored on a validation split: the test week is never read.

``python -m baselines.level4_fraud.tune MODEL [--config PATH] [--out DIR]``

The validation split is the handbook's split moved one week earlier (``config_other_week.yaml``:
train 2018-07-18..24, delay 07-25..31, test 08-01..07); it ends the day before the real test
week (08-08..14) starts, and a split reaching into the test week is refused. Every other setting
comes from the packaged ``config.yaml``. Each grid point is fitted on the validation training
week and scored on the validation test days with the handbook's three measures; the point with
the highest mean of the three is printed last and saved with the whole grid to
``tune_<model>.json``. The chosen values are then copied into ``config.yaml`` by hand.

One criterion (the mean) picks one point per model. The handbook's chapter 6 reports, per
measure, the point best for that measure, which can differ between measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import ConfigError, Level4Config, ModelsConfig, load_config
from baselines.level4_fraud.data import DataFormatError, MissingDataError
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.models import make_model
from baselines.level4_fraud.task import build_features

VALIDATION_CONFIG = Path(__file__).with_name("config_other_week.yaml")

# All combinations of each model's lists are fitted.
GRIDS: dict[str, dict[str, list]] = {
    # The handbook's grid (chapter 6, 4.2.3): 100 trees of depth 20, imbalance ratio varied.
    "balanced_bagging": {"bb_sampling_strategy": [0.02, 0.05, 0.1, 0.5, 1.0]},
    "balanced_bagging_hgb": {
        "bbh_n_estimators": [20, 50],
        "bbh_sampling_strategy": [0.05, 0.2, 0.5, 1.0],
    },
    "random_forest": {"rf_max_depth": [None, 20, 10]},
    "logistic_regression": {"logreg_c": [0.01, 0.1, 1.0, 10.0]},
    "gradient_boosting": {"gb_max_iter": [100, 300], "gb_learning_rate": [0.05, 0.1]},
}


def grid_points(name: str, base: ModelsConfig) -> Iterator[tuple[dict, ModelsConfig]]:
    """(settings, models config) for each point of ``name``'s grid.

    Raises:
        ValueError: no grid is defined for ``name``.
    """
    if name not in GRIDS:
        raise ValueError(f"no grid for model {name!r}; choose one of {sorted(GRIDS)}")
    grid = GRIDS[name]
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        update = dict(zip(keys, values, strict=True))
        yield update, base.model_copy(update=update)


def sweep(name: str, cfg: Level4Config) -> list[dict]:
    """Fit and score every grid point on the split of ``cfg``; one row per point."""
    frame = build_features(cfg)
    train, test = evaluation.train_test_split(frame, cfg.split)
    names = feature_names(cfg.features.windows_days)
    x_train, y_train, x_test = train[names].to_numpy(), train["TX_FRAUD"], test[names].to_numpy()
    rows = []
    for settings, models_cfg in grid_points(name, cfg.models):
        start = time.perf_counter()
        model = make_model(name, models_cfg).fit(x_train, y_train)
        scores = evaluation.evaluate(test, model.predict_proba(x_test)[:, 1], cfg.top_k)
        mean = sum(scores.values()) / len(scores)
        seconds = time.perf_counter() - start
        rows.append({"settings": settings, **scores, "mean": mean, "seconds": seconds})
        cells = " ".join(f"{k}={v:.3f}" for k, v in scores.items())
        print(f"{settings} {cells} mean={mean:.4f} ({seconds:.0f} s)", flush=True)
    return rows


def validation_config(path: str | Path) -> Level4Config:
    """The packaged config with the split of ``path``, refused if it reaches the test week.

    Raises:
        ConfigError: a config does not validate, or the split's test days overlap the real ones.
    """
    base = load_config()
    split = load_config(path).split
    if split.test_start + dt.timedelta(days=split.delta_test) > base.split.test_start:
        raise ConfigError(
            f"{path}: its test days end after {base.split.test_start}, the first day of the "
            "real test week; move `split.train_start` back so validation ends before it"
        )
    return base.model_copy(update={"split": split, "check_feature_parity": False})


def main(argv: list[str] | None = None) -> int:
    """Run the sweep of one model, print and save it; 2 on a user error."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.tune")
    parser.add_argument("model", choices=sorted(GRIDS))
    parser.add_argument("--config", default=str(VALIDATION_CONFIG), help="validation split")
    parser.add_argument("--out", default=None, help="folder for tune_<model>.json")
    args = parser.parse_args(argv)
    try:
        cfg = validation_config(args.config)
        rows = sweep(args.model, cfg)
    except (ConfigError, MissingDataError, DataFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    best = max(rows, key=lambda r: r["mean"])
    print(f"best: {best['settings']} mean={best['mean']:.4f}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record = {"model": args.model, "split": cfg.split.model_dump(mode="json"), "rows": rows}
        (out / f"tune_{args.model}.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
