"""Level 2 entry point: join, guard against leakage, compare, threshold, test once, save."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from baselines.level1_eda.common import load_config, prepare_out_dir, write_run_files
from baselines.level2_churn import evaluate, features, model, report
from baselines.level2_churn.artifact import ChurnModel
from baselines.level2_churn.config import Level2Config
from baselines.level2_churn.tables import JoinValidationError, join_tables

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
LEVEL = "level2_churn"


class Holdout:
    """The test split, which can be read exactly once (so it cannot steer any choice)."""

    def __init__(self, X: pd.DataFrame, y: pd.Series) -> None:
        self._data: tuple[pd.DataFrame, pd.Series] | None = (X, y)

    def take(self) -> tuple[pd.DataFrame, pd.Series]:
        """Return the test rows; a second call raises RuntimeError."""
        if self._data is None:
            raise RuntimeError("the test split was already used once")
        data, self._data = self._data, None
        return data


@dataclass
class Splits:
    """Train (fit and CV), validation (threshold) and the test holdout."""

    X_train: pd.DataFrame
    y_train: pd.Series
    X_val: pd.DataFrame
    y_val: pd.Series
    test: Holdout


def load_xy(cfg: Level2Config) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Join the tables; return the joined frame, the 0/1 target and the feature columns."""
    joined = join_tables(cfg.data)
    target = cfg.target.column
    if target not in joined.columns:
        raise JoinValidationError(f"target column {target!r} is not in the joined table.")
    if joined[target].isna().any():
        raise JoinValidationError(f"target {target!r} has {joined[target].isna().sum()} missing.")
    # Compare as text: YAML's 1 and a CSV's "1" (or Yes/"Yes") mean the same class.
    y = (joined[target].astype(str) == str(cfg.target.positive)).astype(int)
    if y.sum() in (0, len(y)):
        raise JoinValidationError(
            f"target {target!r} has no row equal to `positive` {cfg.target.positive!r} or only "
            f"such rows; values are {sorted(joined[target].astype(str).unique())[:10]}."
        )
    return joined, y, features.feature_columns(joined, cfg.features, target)


def split(cfg: Level2Config, X: pd.DataFrame, y: pd.Series) -> Splits:
    """Stratified test split first, then validation out of the rest."""
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=cfg.split.test_size, stratify=y, random_state=cfg.seed
    )
    X_tr, X_val, y_tr, y_val = train_test_split(
        X_rest, y_rest, test_size=cfg.split.val_size, stratify=y_rest, random_state=cfg.seed
    )
    return Splits(X_tr, y_tr, X_val, y_val, Holdout(X_test, y_test))


def run(config: str | Path | None = None, out_dir: str | Path | None = None) -> dict[str, float]:
    """Run level 2 and write metrics, the model artifact and the report into ``out_dir``.

    Args:
        config: YAML config path; ``None`` uses the packaged ``config.yaml`` (five Telco tables).
        out_dir: output folder; ``None`` uses ``runs/baselines/level2_churn/<UTC time>``.

    Returns:
        Metrics: ``cv/*`` (chosen pipeline, train folds), ``val/*`` (at the chosen threshold),
        ``test/*`` with ``*_ci_low``/``*_ci_high`` bootstrap bounds, ``data/*`` sizes.

    Raises:
        ConfigError, MissingDataError, JoinValidationError, FeatureConfigError, LeakageError:
            user-facing problems, each with a message saying what to change.
    """
    cfg = load_config(config or DEFAULT_CONFIG, Level2Config)
    out = prepare_out_dir(out_dir, LEVEL)
    with threadpool_limits(cfg.threads):
        return _run(cfg, out)


def _run(cfg: Level2Config, out: Path) -> dict[str, float]:
    rep = out / "report"
    rep.mkdir(exist_ok=True)
    joined, y, cols = load_xy(cfg)
    data = split(cfg, joined, y)
    logger.info("level 2: %d rows, %d raw features -> %s", len(joined), len(cols), out)

    # Leakage guard on training rows only; the table doubles as a univariate feature ranking.
    aucs = features.single_feature_auc(data.X_train[cols], data.y_train, cfg.seed)
    aucs.to_csv(rep / "single_feature_auc.csv")
    features.check_leakage(aucs, cfg.features.max_single_feature_auc)

    # Model x imbalance strategy by CV on train; the winner by the configured metric.
    cv_table = model.compare_by_cv(cfg, data.X_train[cols], data.y_train)
    best = cv_table.iloc[0]
    kind, strategy = best["model"], best["strategy"]

    # Every strategy of the winning model: fit on train, threshold and scores on validation.
    val_rows, fitted = [], {}
    for strat in cfg.imbalance.strategies:
        pipe = model.build_pipeline(cfg, kind, strat).fit(data.X_train[cols], data.y_train)
        proba = pipe.predict_proba(data.X_val[cols])[:, 1]
        thr = evaluate.choose_threshold(
            data.y_val.to_numpy(),
            proba,
            cfg.imbalance.threshold_objective,
            cfg.imbalance.min_recall,
        )
        val_rows.append(
            {"strategy": strat, **evaluate.scores_at(data.y_val.to_numpy(), proba, thr)}
        )
        fitted[strat] = (pipe, thr)
    val_table = pd.DataFrame(val_rows).set_index("strategy")
    pipe, threshold = fitted[strategy]

    # The test split, read once.
    X_test, y_test_s = data.test.take()
    y_test = y_test_s.to_numpy()
    proba_test = pipe.predict_proba(X_test[cols])[:, 1]
    test = evaluate.scores_at(y_test, proba_test, threshold)
    n, seed = cfg.evaluation.bootstrap, cfg.seed
    test["roc_auc_ci_low"], test["roc_auc_ci_high"] = evaluate.bootstrap_ci(
        y_test, proba_test, roc_auc_score, n, seed
    )
    test["pr_auc_ci_low"], test["pr_auc_ci_high"] = evaluate.bootstrap_ci(
        y_test, proba_test, average_precision_score, n, seed
    )
    evaluate.plot_roc_pr(y_test, proba_test, rep / "roc_pr.png", threshold)
    evaluate.plot_calibration(
        y_test, proba_test, cfg.evaluation.calibration_bins, rep / "calibration.png"
    )
    evaluate.plot_gain_lift(y_test, proba_test, rep / "gain_lift.png")

    selected = model.selected_features(pipe)
    encoded = len(pipe.named_steps["encode"].get_feature_names_out())
    artifact = ChurnModel(
        pipeline=pipe,
        threshold=threshold,
        feature_columns=cols,
        id_columns=cfg.features.id_columns,
        info={
            "model": kind,
            "strategy": strategy,
            "objective": cfg.imbalance.threshold_objective,
            "na_values": cfg.data.na_values,
            "test": test,
            "selected_features": selected,
        },
    )
    artifact.save(out / "model.joblib")

    metrics = _metrics(best, val_table.loc[strategy], test, joined, y, cols, selected)
    metrics["data/encoded_features"] = float(encoded)
    report.write_report(
        rep, cfg, cv_table, val_table, test, aucs, selected, kind, strategy, metrics
    )
    write_run_files(out, cfg, metrics)
    return metrics


def _metrics(
    best: pd.Series,
    val: pd.Series,
    test: dict[str, float],
    joined: pd.DataFrame,
    y: pd.Series,
    cols: list[str],
    selected: list[str],
) -> dict[str, float]:
    out = {
        f"cv/{k}": float(best[k])
        for k in ["roc_auc_mean", "roc_auc_std", "pr_auc_mean", "pr_auc_std"]
    }
    out |= {f"val/{k}": float(val[k]) for k in ["threshold", "f1", "recall", "precision"]}
    out |= {f"test/{k}": float(v) for k, v in test.items()}
    out |= {
        "data/rows": float(len(joined)),
        "data/positive_rate": float(np.mean(y)),
        "data/raw_features": float(len(cols)),
        "data/selected_features": float(len(selected)),
    }
    return out
