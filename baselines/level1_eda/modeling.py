"""Preprocessing, default-hyperparameter models and their measurement on any table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from baselines.level1_eda.config import DatasetConfig, ModelName


@dataclass
class ModelResult:
    """Scores of one model on one table."""

    model: str
    accuracy: float
    f1: float
    cv_roc_auc_mean: float
    cv_roc_auc_std: float
    confusion: pd.DataFrame  # rows: true class, columns: predicted class


def build_preprocessor() -> ColumnTransformer:
    """Impute and scale numeric columns, impute and one-hot encode the rest.

    Columns are chosen by dtype when the pipeline is fitted, so no column name is assumed.
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )


def make_estimator(name: ModelName, seed: int) -> ClassifierMixin:
    """A scikit-learn classifier with default hyperparameters (only the seed is set)."""
    if name == "dummy":
        return DummyClassifier()
    if name == "logistic_regression":
        return LogisticRegression()
    if name == "knn":
        return KNeighborsClassifier()
    if name == "random_forest":
        return RandomForestClassifier(random_state=seed)
    return HistGradientBoostingClassifier(random_state=seed)


def make_pipeline(name: ModelName, seed: int) -> Pipeline:
    """Preprocessing and one default model, fitted as one object (no leakage across folds)."""
    return Pipeline([("prep", build_preprocessor()), ("model", make_estimator(name, seed))])


def split_xy(df: pd.DataFrame, ds: DatasetConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target; a binary target with `positive_label` becomes 0/1."""
    y = df[ds.target]
    if ds.positive_label is not None:
        y = (y == ds.positive_label).astype(int)
    return df.drop(columns=[ds.target]), y


def evaluate_model(
    name: ModelName,
    X: pd.DataFrame,
    y: pd.Series,
    ds: DatasetConfig,
    *,
    seed: int,
    test_size: float,
    cv_folds: int,
) -> ModelResult:
    """Hold-out accuracy/F1/confusion matrix and cross-validated ROC AUC for one model.

    F1 is the positive class's when `positive_label` is set, else macro-averaged; ROC AUC is
    one-vs-rest for more than two classes. The CV runs on all rows (the hold-out split is only
    for the confusion matrix), as the usual anchors for these data are reported.
    """
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
    )
    pipe = make_pipeline(name, seed).fit(X_tr, y_tr)
    pred = pipe.predict(X_te)
    binary = ds.positive_label is not None
    f1 = f1_score(y_te, pred, average="binary" if binary else "macro")
    labels = np.unique(y)
    names = [f"not {ds.positive_label}", ds.positive_label] if binary else list(labels)
    confusion = pd.DataFrame(
        confusion_matrix(y_te, pred, labels=labels), index=names, columns=names
    )
    folds = StratifiedKFold(cv_folds, shuffle=True, random_state=seed)
    scores = cross_val_score(
        make_pipeline(name, seed), X, y, cv=folds, scoring="roc_auc" if binary else "roc_auc_ovr"
    )
    return ModelResult(
        model=name,
        accuracy=float(accuracy_score(y_te, pred)),
        f1=float(f1),
        cv_roc_auc_mean=float(scores.mean()),
        cv_roc_auc_std=float(scores.std()),
        confusion=confusion,
    )


def results_table(results: list[ModelResult]) -> pd.DataFrame:
    """One row per model: accuracy, F1, CV ROC AUC mean and std."""
    return pd.DataFrame(
        [
            {
                "model": r.model,
                "accuracy": r.accuracy,
                "f1": r.f1,
                "cv_roc_auc_mean": r.cv_roc_auc_mean,
                "cv_roc_auc_std": r.cv_roc_auc_std,
            }
            for r in results
        ]
    ).set_index("model")


def plot_confusion(
    result: ModelResult, title: str, path: Path | None = None
) -> ConfusionMatrixDisplay:
    """Draw (and optionally save) one model's hold-out confusion matrix."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2, 3.6))
    ax = fig.subplots()
    display = ConfusionMatrixDisplay(
        result.confusion.to_numpy(), display_labels=list(result.confusion.columns)
    ).plot(ax=ax, colorbar=False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
    return display
