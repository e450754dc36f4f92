"""Reproduce the level-2 tuning choices by cross-validation on the train split only.

``python -m baselines.level2_churn.tune [--config PATH] [--out DIR]``

Two comparisons, both with the project's own split (``task.split``), pipeline
(``model.build_pipeline``) and folds (``model.cross_validate_pipeline``), on the training rows
alone; the validation and test rows are split off first and never passed on:

- HistGradientBoosting settings: the scikit-learn defaults and a 2 x 2 of fewer leaves x slower
  learning with L2, one of which is the setting in ``config.yaml`` (strategy ``none``, the
  configured selection);
- feature selection for logistic regression (strategy ``none``): none, L1-logistic
  ``SelectFromModel`` at the configured ``l1_c``, mutual information at the configured ``k``.

Prints both tables as Markdown and writes ``tuning.md``, ``tuning.json`` and
``config.resolved.yaml`` into ``--out``. Times are wall seconds on the machine it ran on (the
load average is recorded beside them); CPU seconds are steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from baselines.level1_eda.common import load_config, markdown_table, prepare_out_dir
from baselines.level2_churn import model, task
from baselines.level2_churn.config import Level2Config, SelectionConfig

logger = logging.getLogger(__name__)

LEVEL = "level2_churn_tune"
# Parameters shown for every HistGradientBoosting setting (scikit-learn defaults filled in).
HGB_SHOWN = ["learning_rate", "max_iter", "max_leaf_nodes", "l2_regularization"]
# The settings compared besides the defaults and the one in the config: fewer leaves, and
# slower learning with L2; the config's setting combines both.
HGB_CANDIDATES: dict[str, dict[str, float | int | str]] = {
    "defaults": {},
    "fewer leaves": {"max_leaf_nodes": 8},
    "slower + L2": {"learning_rate": 0.05, "max_iter": 300, "l2_regularization": 1.0},
    "fewer leaves, slower + L2": {
        "learning_rate": 0.05,
        "max_iter": 300,
        "max_leaf_nodes": 8,
        "l2_regularization": 1.0,
    },
}


def train_rows(cfg: Level2Config, limit: int | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns and target of the train split (validation and test dropped).

    Args:
        cfg: the level config; its seed and split sizes fix the split as in ``task.run``.
        limit: if set, a stratified sample of this many train rows (for quick checks).
    """
    joined, y, cols = task.load_xy(cfg)
    data = task.split(cfg, joined, y)
    X, y_train = data.X_train[cols], data.y_train
    if limit is not None and limit < len(X):
        X, _, y_train, _ = train_test_split(
            X, y_train, train_size=limit, stratify=y_train, random_state=cfg.seed
        )
    return X, y_train


def hgb_settings(cfg: Level2Config) -> dict[str, dict[str, float | int | str]]:
    """The candidate settings, the configured one marked (and added if it is not among them)."""
    configured = dict(cfg.model.hist_gradient_boosting)
    settings, found = {}, False
    for name, params in HGB_CANDIDATES.items():
        if params == configured:
            name, found = f"{name} (config.yaml)", True
        settings[name] = params
    if not found:
        settings["config.yaml"] = configured
    return settings


def compare_hgb(cfg: Level2Config, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    """CV scores and times of each HistGradientBoosting setting (strategy none)."""
    defaults = HistGradientBoostingClassifier().get_params()
    rows = []
    for name, params in tqdm(hgb_settings(cfg).items(), desc="HGB settings", leave=False):
        variant = cfg.model_copy(
            update={"model": cfg.model.model_copy(update={"hist_gradient_boosting": params})}
        )
        scores = model.cross_validate_pipeline(variant, "hist_gradient_boosting", "none", X, y)
        shown = {k: params.get(k, defaults[k]) for k in HGB_SHOWN}
        rows.append({"setting": name, **shown, **_score_columns(scores)})
        logger.info("HGB %s: ROC AUC %.4f", name, scores["roc_auc_mean"])
    return pd.DataFrame(rows).set_index("setting")


def compare_selection(cfg: Level2Config, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    """CV scores, kept features and times of each selection method (logistic, strategy none)."""
    sel = cfg.features.selection
    options = {
        "none": SelectionConfig(method="none"),
        f"model (L1, C={sel.l1_c:g})": SelectionConfig(method="model", l1_c=sel.l1_c),
        f"mutual_info (k={sel.k})": SelectionConfig(method="mutual_info", k=sel.k),
    }
    rows = []
    for name, option in tqdm(options.items(), desc="selection", leave=False):
        if option.method == sel.method:
            name += " (config.yaml)"
        variant = cfg.model_copy(
            update={"features": cfg.features.model_copy(update={"selection": option})}
        )
        scores = model.cross_validate_pipeline(variant, "logistic_regression", "none", X, y)
        rows.append({"selection": name, "kept": scores["kept_features"], **_score_columns(scores)})
        logger.info("selection %s: ROC AUC %.4f", name, scores["roc_auc_mean"])
    return pd.DataFrame(rows).set_index("selection")


def _score_columns(scores: dict[str, float]) -> dict[str, float]:
    return {
        "roc_auc_mean": scores["roc_auc_mean"],
        "roc_auc_std": scores["roc_auc_std"],
        "pr_auc_mean": scores["pr_auc_mean"],
        "pr_auc_std": scores["pr_auc_std"],
        "fit_s_per_fold": scores["fit_seconds"],
        "cv_cpu_s": scores["cpu_seconds"],
    }


def tune(
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
    train_limit: int | None = None,
) -> dict[str, Any]:
    """Run both comparisons and write ``tuning.md``, ``tuning.json``, ``config.resolved.yaml``.

    Args:
        config: YAML config path; ``None`` uses the packaged ``config.yaml``.
        out_dir: output folder; ``None`` uses ``runs/baselines/level2_churn_tune/<UTC time>``.
        train_limit: compare on a stratified sample of this many train rows (quick checks).

    Returns:
        ``{"meta": {...}, "hist_gradient_boosting": DataFrame, "selection": DataFrame,
        "markdown": str}``.
    """
    cfg = load_config(config or task.DEFAULT_CONFIG, Level2Config)
    out = prepare_out_dir(out_dir, LEVEL)
    with threadpool_limits(cfg.threads):
        X, y = train_rows(cfg, train_limit)
        logger.info("tuning on %d train rows, %d folds -> %s", len(X), cfg.split.cv_folds, out)
        hgb = compare_hgb(cfg, X, y)
        selection = compare_selection(cfg, X, y)
    meta = {
        "train_rows": len(X),
        "positives": int(y.sum()),
        "folds": cfg.split.cv_folds,
        "seed": cfg.seed,
        "threads": cfg.threads,
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    text = _markdown(meta, hgb, selection)
    (out / "tuning.md").write_text(text)
    payload = {
        "meta": meta,
        "hist_gradient_boosting": hgb.reset_index().to_dict(orient="records"),
        "selection": selection.reset_index().to_dict(orient="records"),
    }
    (out / "tuning.json").write_text(json.dumps(payload, indent=2) + "\n")
    resolved = cfg.model_dump(mode="json")
    (out / "config.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    return {"meta": meta, "hist_gradient_boosting": hgb, "selection": selection, "markdown": text}


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Scores as 'mean ± std', times to 0.01 s, kept features to 0.1: text cells for Markdown."""
    shown = table.drop(columns=["roc_auc_mean", "roc_auc_std", "pr_auc_mean", "pr_auc_std"])
    shown = shown.drop(columns=["fit_s_per_fold", "cv_cpu_s"]).astype(object)
    if "kept" in shown:
        shown["kept"] = [f"{v:.1f}" for v in table["kept"]]
    for metric in ["roc_auc", "pr_auc"]:
        mean, std = table[f"{metric}_mean"], table[f"{metric}_std"]
        shown[metric.replace("_", " ").upper()] = [
            f"{m:.4f} ± {s:.4f}" for m, s in zip(mean, std, strict=True)
        ]
    shown["fit s / fold"] = [f"{v:.2f}" for v in table["fit_s_per_fold"]]
    shown["CV CPU s"] = [f"{v:.1f}" for v in table["cv_cpu_s"]]
    return shown


def _markdown(meta: dict[str, Any], hgb: pd.DataFrame, selection: pd.DataFrame) -> str:
    return "\n".join(
        [
            "# Level 2 tuning (train split only)",
            "",
            f"{meta['train_rows']} train rows ({meta['positives']} churned), "
            f"{meta['folds']} stratified folds, seed {meta['seed']}, {meta['threads']} thread(s), "
            f"load average {meta['load_average_1min']} at the end. AUCs: mean ± std over folds; "
            "fit s / fold: wall seconds to fit one fold's whole pipeline (encoding and selection "
            "included); CV CPU s: CPU seconds of the whole cross-validation.",
            "",
            "## HistGradientBoosting settings (strategy none, configured selection)",
            "",
            markdown_table(_display(hgb), ".4g"),
            "",
            "## Feature selection for logistic regression (strategy none)",
            "",
            "kept: features reaching the classifier (mean over folds).",
            "",
            markdown_table(_display(selection)),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the comparisons, print the tables; a user mistake exits 2."""
    parser = argparse.ArgumentParser(
        prog="python -m baselines.level2_churn.tune",
        description="Compare the HistGradientBoosting settings and the feature-selection "
        "options of level 2 by cross-validation on the train split only (validation and test "
        "rows are never used). Writes tuning.md, tuning.json and config.resolved.yaml.",
    )
    parser.add_argument("--config", help="YAML config (default: the packaged config.yaml)")
    parser.add_argument(
        "--out", help="output folder (default: runs/baselines/level2_churn_tune/<UTC time>)"
    )
    parser.add_argument(
        "--train-rows",
        type=int,
        default=None,
        metavar="N",
        help="use a stratified sample of N train rows (quick checks; default: all of them)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.train_rows is not None and args.train_rows < 50:
        parser.error(f"--train-rows must be at least 50, got {args.train_rows}")
    from baselines.level2_churn.__main__ import USER_ERRORS

    out = prepare_out_dir(args.out, LEVEL)
    try:
        result = tune(args.config, out, args.train_rows)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result["markdown"])
    print(f"outputs in {out} (tuning.md, tuning.json, config.resolved.yaml)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
