"""The compared models: the handbook's three, as scikit-learn pipelines on the window features."""

from __future__ import annotations

import numpy as np
from imblearn.ensemble import BalancedBaggingClassifier
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from baselines.level4_fraud.config import ModelsConfig

HANDBOOK = {
    # AUC ROC / average precision / card precision@100 on the test week 2018-08-08..14.
    "logistic_regression": (0.871, 0.606, 0.291),
    "random_forest": (0.867, 0.658, 0.287),
    "balanced_bagging": (0.879, 0.68, 0.305),
}


class AmountRatios(BaseEstimator, TransformerMixin):
    """Append the amount relative to the card's mean amount per window, and the log amount.

    A compromised card's frauds are inflated amounts (scenario 3): the ratio to the card's own
    habits separates them far better than the amount alone, and a linear model cannot form a
    ratio by itself. Derived only from the 15 handbook inputs, so it is as causal as they are.

    Args:
        avg_columns: indices of the CUSTOMER_ID_AVG_AMOUNT_* inputs; the amount is column 0.
    """

    def __init__(self, avg_columns: tuple[int, ...] = (4, 6, 8)) -> None:
        self.avg_columns = avg_columns

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> AmountRatios:
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        amount = x[:, :1]
        ratios = amount / (x[:, list(self.avg_columns)] + 1.0)  # +1: zero-amount history
        return np.hstack([x, ratios, np.log1p(amount)])


def _bag_model(cfg: ModelsConfig) -> DecisionTreeClassifier | HistGradientBoostingClassifier:
    if cfg.bb_estimator == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=cfg.bb_hgb_max_iter,
            learning_rate=cfg.bb_hgb_learning_rate,
            random_state=cfg.seed,
        )
    return DecisionTreeClassifier(
        max_depth=cfg.bb_max_depth, max_features=cfg.bb_max_features, random_state=cfg.seed
    )


def make_model(name: str, cfg: ModelsConfig) -> Pipeline:
    """A fresh pipeline (optional amount ratios, standard scaling, classifier) for ``name``.

    Raises:
        ValueError: ``name`` is not a known model.
    """
    steps: list = [AmountRatios()] if cfg.amount_ratios else []
    steps.append(StandardScaler())
    if name == "logistic_regression":
        steps.append(LogisticRegression(C=cfg.logreg_c, max_iter=2000, random_state=cfg.seed))
    elif name == "random_forest":
        steps.append(
            RandomForestClassifier(
                n_estimators=cfg.rf_n_estimators,
                max_depth=cfg.rf_max_depth,
                n_jobs=cfg.n_jobs,
                random_state=cfg.seed,
            )
        )
    elif name == "balanced_bagging":
        steps.append(
            BalancedBaggingClassifier(
                estimator=_bag_model(cfg),
                n_estimators=cfg.bb_n_estimators,
                sampling_strategy=cfg.bb_sampling_strategy,
                bootstrap=True,
                n_jobs=cfg.n_jobs,
                random_state=cfg.seed,
            )
        )
    elif name == "gradient_boosting":
        steps.append(
            HistGradientBoostingClassifier(
                max_iter=cfg.gb_max_iter, learning_rate=cfg.gb_learning_rate, random_state=cfg.seed
            )
        )
    else:
        raise ValueError(
            f"unknown model {name!r}; use logistic_regression, random_forest, balanced_bagging "
            "or gradient_boosting"
        )
    return make_pipeline(*steps)
