"""Hyperparameter grids scored on a validation split: the test week is never read.

``python -m baselines.level4_fraud.tune MODEL [--config PATH] [--out DIR]``

The validation split is the handbook's split moved one week earlier (``config_other_week.yaml``:
train 2018-07-18..24, delay 07-25..31, test 08-01..07); it ends the day before the real test
week (08-08..14) starts, and a split reaching into the test week is refused. Every setting not
searched comes from the packaged ``config.yaml``. Each grid point is fitted on the validation
training week and scored on the validation test days with the handbook's three measures.

A model's search is a list of stages, each a grid (all combinations of its lists) applied on
top of the best point of the stages before it (coordinate search: a full product of every list
would be too slow on two cores). The search starts from the first value of each list (the
default or cheaper value), not from ``config.yaml``'s, so it is the same search after the
chosen values were copied there. The rule, fixed before any point is scored: the best point is
the one with the highest mean of the three measures; on a tie (equal to 4 decimals) the earlier
point wins. The whole search, the rule and the chosen settings are printed and saved to
``tune_<model>.json``; the chosen values are then copied into ``config.yaml`` by hand.

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
from collections.abc import Callable, Iterator
from pathlib import Path

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import ConfigError, Level4Config, ModelsConfig, load_config
from baselines.level4_fraud.data import DataFormatError, MissingDataError
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.models import make_model
from baselines.level4_fraud.task import build_features

VALIDATION_CONFIG = Path(__file__).with_name("config_other_week.yaml")
RULE = (
    "highest mean of AUC ROC, average precision and card precision@100 on the validation test "
    "days; ties (4 decimals) go to the earlier point; each stage starts from the best so far"
)

Grid = dict[str, list]
# Each model's stages, in order.
STAGES: dict[str, list[Grid]] = {
    "balanced_bagging": [
        # The handbook's grid (chapter 6, 4.2.3): 100 trees of depth 20, imbalance ratio varied.
        {"bb_sampling_strategy": [0.02, 0.05, 0.1, 0.5, 1.0]},
        # Beyond the handbook: feature sampling per split and leaf size of the bagged trees,
        {"bb_max_features": [None, "sqrt", 0.5], "bb_min_samples_leaf": [1, 5, 20]},
        # their depth and undersampling with replacement,
        {"bb_max_depth": [20, None, 10], "bb_replacement": [False, True]},
        # the imbalance ratio again for the trees now chosen, and more trees.
        {"bb_sampling_strategy": [0.02, 0.05, 0.1, 0.2, 0.5]},
        {"bb_n_estimators": [100, 300]},
    ],
    "balanced_bagging_hgb": [
        {"bbh_n_estimators": [20, 50], "bbh_sampling_strategy": [0.05, 0.2, 0.5, 1.0]},
    ],
    "random_forest": [
        {
            "rf_max_depth": [20, None, 10],
            "rf_min_samples_leaf": [1, 5, 20],
            "rf_class_weight": [None, "balanced_subsample"],
        },
        {"rf_max_features": ["sqrt", 0.5]},
        {"rf_n_estimators": [100, 300, 500]},
    ],
    "logistic_regression": [{"logreg_c": [0.01, 0.1, 1.0, 10.0]}],
    "gradient_boosting": [{"gb_max_iter": [100, 300], "gb_learning_rate": [0.05, 0.1]}],
}


def grid_points(grid: Grid, base: ModelsConfig) -> Iterator[tuple[dict, ModelsConfig]]:
    """(settings, models config) for each point of ``grid`` on top of ``base``."""
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        update = dict(zip(keys, values, strict=True))
        yield update, base.model_copy(update=update)


def best_row(rows: list[dict]) -> dict:
    """The row the rule picks: highest mean (4 decimals), the earliest on a tie."""
    return max(rows, key=lambda r: round(r["mean"], 4))  # max keeps the first of equals


def start_point(stages: list[Grid]) -> dict:
    """Each searched setting at the first value it is listed with (the default or cheaper one).

    The search starts here rather than at ``config.yaml``'s values, so re-running it after the
    chosen values were copied into ``config.yaml`` repeats the same search.
    """
    start: dict = {}
    for grid in stages:
        for key, values in grid.items():
            start.setdefault(key, values[0])
    return start


Scorer = Callable[[ModelsConfig], dict[str, float]]


def search(stages: list[Grid], base: ModelsConfig, score: Scorer) -> list[dict]:
    """Coordinate search: each stage's grid on top of the best point so far; one row per point.

    ``score`` fits and scores one models config. A point already scored in an earlier stage
    is not refitted (its row says ``reused``).
    """
    rows: list[dict] = []
    done: dict[str, dict[str, float]] = {}
    base = base.model_copy(update=start_point(stages))
    start = base
    chosen: dict = {}
    for stage, grid in enumerate(stages, start=1):
        for update, models_cfg in grid_points(grid, base):
            settings = {**chosen, **update}
            key = models_cfg.model_dump_json()
            reused = key in done
            began = time.perf_counter()
            scores = done[key] if reused else score(models_cfg)
            done[key] = scores
            mean = sum(scores.values()) / len(scores)
            seconds = time.perf_counter() - began
            row = {"stage": stage, "settings": settings, **scores, "mean": mean}
            row.update({"seconds": seconds, "reused": reused})
            rows.append(row)
            cells = " ".join(f"{k}={v:.3f}" for k, v in scores.items())
            print(f"stage {stage} {settings} {cells} mean={mean:.4f} ({seconds:.0f} s)", flush=True)
        chosen = best_row(rows)["settings"]
        base = start.model_copy(update=chosen)
    return rows


def sweep(name: str, cfg: Level4Config) -> list[dict]:
    """Fit and score every stage's points of ``name`` on the split of ``cfg``.

    Raises:
        ValueError: no stages are defined for ``name``.
    """
    if name not in STAGES:
        raise ValueError(f"no grid for model {name!r}; choose one of {sorted(STAGES)}")
    frame = build_features(cfg)
    train, test = evaluation.train_test_split(frame, cfg.split)
    names = feature_names(cfg.features.windows_days)
    x_train, y_train, x_test = train[names].to_numpy(), train["TX_FRAUD"], test[names].to_numpy()

    def score(models_cfg: ModelsConfig) -> dict[str, float]:
        model = make_model(name, models_cfg).fit(x_train, y_train)
        return evaluation.evaluate(test, model.predict_proba(x_test)[:, 1], cfg.top_k)

    return search(STAGES[name], cfg.models, score)


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
    parser.add_argument("model", choices=sorted(STAGES))
    parser.add_argument("--config", default=str(VALIDATION_CONFIG), help="validation split")
    parser.add_argument("--out", default=None, help="folder for tune_<model>.json")
    args = parser.parse_args(argv)
    try:
        cfg = validation_config(args.config)
        rows = sweep(args.model, cfg)
    except (ConfigError, MissingDataError, DataFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    best = best_row(rows)
    print(f"best: {best['settings']} mean={best['mean']:.4f}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record = {
            "model": args.model,
            "split": cfg.split.model_dump(mode="json"),
            "rule": RULE,
            "chosen": best["settings"],
            "rows": rows,
        }
        (out / f"tune_{args.model}.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
