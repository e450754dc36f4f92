"""How much the measures move between seeds: the configured models refitted once per seed.

``python -m baselines.level4_fraud.seeds [--config PATH] [--seeds 0 1 2 3 4] [--models ...]
[--out DIR]``

The settings are the config's (chosen on the validation split, ``tune.py``); only
``models.seed`` changes (bootstrap bags, undersampling, feature sampling, boosting's
validation split). Each model is fitted on the training days and scored on the test days once
per seed. Writes ``seeds.json`` (every fit) and ``seeds.md`` (mean and sample standard
deviation per measure, with the handbook's row where the split is the handbook's).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import ConfigError, Level4Config, ModelName, load_config
from baselines.level4_fraud.data import DataFormatError, MissingDataError
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.models import HANDBOOK, HANDBOOK_ROW, make_model
from baselines.level4_fraud.task import HANDBOOK_SPLIT, MEASURES, build_features

logger = logging.getLogger(__name__)
TREE_ENSEMBLES = ("random_forest", "balanced_bagging", "balanced_bagging_hgb")


def seed_runs(
    cfg: Level4Config,
    train: pd.DataFrame,
    test: pd.DataFrame,
    models: Sequence[str],
    seeds: Sequence[int],
) -> list[dict]:
    """One row per (model, seed): the test measures of that fit."""
    names = feature_names(cfg.features.windows_days)
    x_train, y_train, x_test = train[names].to_numpy(), train["TX_FRAUD"], test[names].to_numpy()
    rows = []
    for name in models:
        for seed in seeds:
            models_cfg = cfg.models.model_copy(update={"seed": seed})
            model = make_model(name, models_cfg).fit(x_train, y_train)
            scores = evaluation.evaluate(test, model.predict_proba(x_test)[:, 1], cfg.top_k)
            rows.append({"model": name, "seed": seed, **scores})
            cells = " ".join(f"{k}={v:.4f}" for k, v in scores.items())
            print(f"{name} seed {seed}: {cells}", flush=True)
    return rows


def spread(rows: list[dict], k: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Per model and measure: (mean, sample standard deviation) over its seeds (0 for one)."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        out[name] = {}
        for measure in (m.format(k=k) for m in MEASURES):
            values = np.array([r[measure] for r in mine])
            std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            out[name][measure] = (float(values.mean()), std)
    return out


def spread_table(
    summary: dict[str, dict[str, tuple[float, float]]], k: int, cfg: Level4Config
) -> str:
    """Markdown table of mean ± std per measure, with the handbook's row on its own split."""
    lines = [
        f"| model | AUC ROC | average precision | card precision@{k} | handbook |",
        "|---|---|---|---|---|",
    ]
    on_handbook_split = cfg.split == HANDBOOK_SPLIT and k == 100
    for name, measures in summary.items():
        cells = " | ".join(f"{mean:.3f} ± {std:.3f}" for mean, std in measures.values())
        ref = "-"
        if on_handbook_split and name in HANDBOOK_ROW:
            ref = " / ".join(f"{v:.3f}" for v in HANDBOOK[HANDBOOK_ROW[name]])
        lines.append(f"| {name} | {cells} | {ref} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Refit the models once per seed, print and save the spread; 2 on a user error."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.seeds")
    parser.add_argument("--config", default=None, help="YAML config (the packaged default)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--models", nargs="+", default=list(TREE_ENSEMBLES), choices=get_args(ModelName)
    )
    parser.add_argument("--out", default="runs/level4_seeds", help="folder for seeds.{json,md}")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        frame = build_features(cfg)
    except (ConfigError, MissingDataError, DataFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    train, test = evaluation.train_test_split(frame, cfg.split)
    rows = seed_runs(cfg, train, test, args.models, args.seeds)
    summary = spread(rows, cfg.top_k)
    table = spread_table(summary, cfg.top_k, cfg)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    record = {"split": cfg.split.model_dump(mode="json"), "seeds": args.seeds, "rows": rows}
    (out / "seeds.json").write_text(json.dumps(record, indent=2))
    (out / "seeds.md").write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
