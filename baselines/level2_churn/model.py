"""Pipelines (derive, encode, select, resample, classify) and their cross-validated comparison."""

from __future__ import annotations

import logging
import time
from itertools import product

import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from tqdm import tqdm

from baselines.level2_churn.config import Level2Config, ModelKind, Strategy
from baselines.level2_churn.features import (
    EngineeredFeatures,
    build_preprocessor,
    build_selector,
)

logger = logging.getLogger(__name__)

# Columns of the model comparison table (cv_comparison.csv).
CV_COLUMNS = ["roc_auc_mean", "roc_auc_std", "pr_auc_mean", "pr_auc_std", "seconds"]


def make_classifier(cfg: Level2Config, kind: ModelKind, strategy: Strategy) -> ClassifierMixin:
    """The configured classifier; ``class_weight`` strategy weights classes inversely to size."""
    weight = "balanced" if strategy == "class_weight" else None
    if kind == "logistic_regression":
        params = {"random_state": cfg.seed, **cfg.model.logistic_regression}
        return LogisticRegression(class_weight=weight, **params)
    params = {"random_state": cfg.seed, **cfg.model.hist_gradient_boosting}
    return HistGradientBoostingClassifier(class_weight=weight, **params)


def make_sampler(strategy: Strategy, seed: int) -> object:
    """An imbalanced-learn resampler, or 'passthrough'; it runs on training data only."""
    if strategy == "random_over":
        return RandomOverSampler(random_state=seed)
    if strategy == "smote":
        # SMOTE interpolates encoded rows, so one-hot columns become fractions between 0 and 1
        # for synthetic rows; tolerable for a comparison, and why it is not the default winner.
        return SMOTE(random_state=seed)
    if strategy == "random_under":
        return RandomUnderSampler(random_state=seed)
    return "passthrough"


def build_pipeline(cfg: Level2Config, kind: ModelKind, strategy: Strategy) -> ImbPipeline:
    """Raw joined columns in, churn probability out: one object to fit, save and reload."""
    return ImbPipeline(
        [
            ("engineer", EngineeredFeatures(cfg.features.engineered)),
            ("encode", build_preprocessor(cfg.features.min_category_frequency)),
            ("select", build_selector(cfg.features.selection, cfg.seed)),
            ("resample", make_sampler(strategy, cfg.seed)),
            ("model", make_classifier(cfg, kind, strategy)),
        ]
    )


def cv_folds(cfg: Level2Config) -> StratifiedKFold:
    """The stratified, shuffled folds every comparison on the train split uses."""
    return StratifiedKFold(cfg.split.cv_folds, shuffle=True, random_state=cfg.seed)


def cross_validate_pipeline(
    cfg: Level2Config, kind: ModelKind, strategy: Strategy, X: pd.DataFrame, y: pd.Series
) -> dict[str, float]:
    """Cross-validate one pipeline on ``X``/``y`` (the train split) with :func:`cv_folds`.

    Returns:
        ROC AUC and PR AUC (average precision) mean and std over folds; ``fit_seconds`` (mean
        wall seconds to fit one fold), ``seconds`` (wall) and ``cpu_seconds`` (this process) for
        the whole cross-validation; ``kept_features`` (features reaching the classifier, mean
        over folds).
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    scores = cross_validate(
        build_pipeline(cfg, kind, strategy),
        X,
        y,
        cv=cv_folds(cfg),
        scoring={"roc_auc": "roc_auc", "pr_auc": "average_precision"},
        return_estimator=True,
    )
    return {
        "roc_auc_mean": float(scores["test_roc_auc"].mean()),
        "roc_auc_std": float(scores["test_roc_auc"].std()),
        "pr_auc_mean": float(scores["test_pr_auc"].mean()),
        "pr_auc_std": float(scores["test_pr_auc"].std()),
        "fit_seconds": float(scores["fit_time"].mean()),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "kept_features": float(
            sum(len(selected_features(e)) for e in scores["estimator"]) / len(scores["estimator"])
        ),
    }


def compare_by_cv(cfg: Level2Config, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    """Cross-validate every (model, imbalance strategy) pair on the train split.

    Returns:
        One row per pair: ROC AUC and PR AUC (average precision) mean and std over folds, and
        seconds taken; sorted best first by ``imbalance.select_by``.
    """
    rows = []
    pairs = list(product(cfg.model.kinds, cfg.imbalance.strategies))
    for kind, strategy in tqdm(pairs, desc="level2 CV", leave=False):
        scores = cross_validate_pipeline(cfg, kind, strategy, X, y)
        rows.append({"model": kind, "strategy": strategy, **{k: scores[k] for k in CV_COLUMNS}})
        logger.info("CV %s + %s: ROC AUC %.4f", kind, strategy, rows[-1]["roc_auc_mean"])
    key = f"{cfg.imbalance.select_by}_mean"
    return (
        pd.DataFrame(rows).sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
    )


def selected_features(pipe: ImbPipeline) -> list[str]:
    """Encoded feature names that reach the classifier after selection."""
    names = pipe.named_steps["encode"].get_feature_names_out()
    select = pipe.named_steps["select"]
    if select == "passthrough":
        return list(names)
    return list(names[select.get_support()])
