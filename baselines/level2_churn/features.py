"""Feature columns, derived features, the leakage guard, encoding and selection."""

from __future__ import annotations

import logging
from functools import partial

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.feature_selection import SelectFromModel, SelectKBest, mutual_info_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from baselines.level2_churn.config import EngineeredFeature, FeaturesConfig, SelectionConfig

logger = logging.getLogger(__name__)

# Numeric columns with at most this many distinct values are screened as categories too, so a
# non-monotone score (e.g. a 1-5 rating) cannot hide from the leakage guard.
FEW_VALUES = 20
# A text column with more distinct values than this share of rows is an identifier.
ID_LIKE_SHARE = 0.9


class LeakageError(ValueError):
    """A feature predicts the target on its own too well to be honest."""


class FeatureConfigError(ValueError):
    """The features section does not fit the joined table."""


def feature_columns(df: pd.DataFrame, cfg: FeaturesConfig, target: str) -> list[str]:
    """Columns that may become features: all but target, ids, leakage, excluded and constants.

    Raises:
        FeatureConfigError: a named id/excluded column is absent, or a text column looks like an
            identifier nobody declared.
    """
    absent = [c for c in [*cfg.id_columns, *cfg.exclude] if c not in df.columns]
    if absent:
        raise FeatureConfigError(
            f"`features.id_columns`/`exclude` name columns not in the joined table: {absent}."
        )
    banned = {target, *cfg.id_columns, *cfg.leakage, *cfg.exclude}
    columns = []
    for col in df.columns:
        if col in banned:
            continue
        if df[col].nunique(dropna=False) <= 1:
            logger.warning("column %r is constant; not used as a feature", col)
            continue
        text = not pd.api.types.is_numeric_dtype(df[col])
        if text and df[col].nunique() > ID_LIKE_SHARE * len(df):
            raise FeatureConfigError(
                f"column {col!r} looks like an identifier ({df[col].nunique()} distinct values in "
                f"{len(df)} rows); add it to `features.id_columns` or `features.exclude`."
            )
        columns.append(col)
    return columns


def single_feature_auc(X: pd.DataFrame, y: pd.Series, seed: int) -> pd.Series:
    """ROC AUC of each column alone (max of AUC and 1-AUC), highest first.

    Text and few-valued columns are target-encoded with cross-fitting (each row encoded by
    folds that did not see it), so a column earns its score out of sample.
    """
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    scores = {}
    for col in X.columns:
        values = X[col]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > FEW_VALUES:
            score = values.fillna(values.median()).to_numpy()
        else:
            encoder = TargetEncoder(target_type="binary", cv=folds)
            score = encoder.fit_transform(values.astype(str).to_frame(), y)[:, 0]
        auc = roc_auc_score(y, score)
        scores[col] = max(auc, 1.0 - auc)
    return pd.Series(scores, name="single_feature_roc_auc").sort_values(ascending=False)


def check_leakage(aucs: pd.Series, limit: float) -> None:
    """Raise LeakageError naming every feature whose single-feature AUC exceeds ``limit``."""
    bad = aucs[aucs > limit]
    if len(bad):
        listing = ", ".join(f"{c!r} (ROC AUC {v:.3f})" for c, v in bad.items())
        raise LeakageError(
            f"features that alone predict the target almost perfectly: {listing}. They likely "
            f"restate the outcome; add them to `features.leakage` (or raise "
            f"`features.max_single_feature_auc`, now {limit}, if you are sure)."
        )


class EngineeredFeatures(BaseEstimator, TransformerMixin):
    """Add configured derived columns to a DataFrame (stateless; part of the saved model)."""

    def __init__(self, specs: list[EngineeredFeature] | None = None) -> None:
        self.specs = specs

    def fit(self, X: pd.DataFrame, y: object = None) -> EngineeredFeatures:
        """Check that every operand column exists."""
        needed = {c for s in self.specs or [] for c in [s.a, s.b, *s.columns] if c is not None}
        made = {s.name for s in self.specs or []}
        absent = sorted(needed - set(X.columns) - made)
        if absent:
            raise FeatureConfigError(
                f"`features.engineered` uses columns not in the data: {absent}"
            )
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``X`` with the derived columns appended, in config order."""
        out = X.copy()
        for spec in self.specs or []:
            if spec.op == "count_equal":
                out[spec.name] = (out[spec.columns] == spec.value).sum(axis=1).astype(float)
                continue
            a, b = out[spec.a].astype(float), out[spec.b].astype(float)
            if spec.op == "ratio":
                out[spec.name] = a / b.where(b > 0)  # no positive divisor: missing, not inf
            elif spec.op == "difference":
                out[spec.name] = a - b
            else:
                out[spec.name] = a * b
        return out


def build_preprocessor(min_frequency: int) -> ColumnTransformer:
    """Median-impute and scale numbers; one-hot text, pooling categories rarer than given."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            (
                "onehot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=min_frequency,
                    sparse_output=False,
                ),
            ),
        ]
    )
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_exclude="number")),
        ],
        verbose_feature_names_out=True,
    )


def build_selector(cfg: SelectionConfig, seed: int) -> SelectKBest | SelectFromModel | str:
    """The selection step ('passthrough' for method none)."""
    if cfg.method == "mutual_info":
        # partial of a module-level function, not a closure: the saved model must pickle.
        return SelectKBest(partial(mutual_info_classif, random_state=seed), k=cfg.k)
    if cfg.method == "model":
        l1 = LogisticRegression(l1_ratio=1.0, C=cfg.l1_c, solver="liblinear", random_state=seed)
        return SelectFromModel(l1)
    return "passthrough"
