"""Feature columns, the leakage guard, derived features and selection on real rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import SelectKBest

from baselines.level2_churn.config import EngineeredFeature, Level2Config, SelectionConfig
from baselines.level2_churn.features import (
    EngineeredFeatures,
    FeatureConfigError,
    LeakageError,
    build_preprocessor,
    build_selector,
    check_leakage,
    feature_columns,
    single_feature_auc,
)
from baselines.level2_churn.task import load_xy
from baselines.level2_churn.tests.conftest import default_config

LEAKAGE = {
    "Churn Label",
    "Customer Status",
    "Churn Score",
    "Churn Category",
    "Churn Reason",
    "Satisfaction Score",
    "CLTV",
}


Telco = tuple[pd.DataFrame, pd.Series, list[str], Level2Config]


@pytest.fixture(scope="module")
def telco() -> Telco:
    cfg = Level2Config.model_validate(default_config())
    joined, y, cols = load_xy(cfg)
    return joined, y, cols, cfg


def test_feature_columns_leave_out_target_ids_leakage_and_constants(telco: Telco) -> None:
    cols = telco[2]
    assert not LEAKAGE & set(cols)
    assert not {"Churn Value", "Customer ID", "Lat Long", "Zip Code", "Country", "State"} & set(
        cols
    )
    assert len(cols) == 51 - 1 - 1 - 7 - 2 - 2  # target, id, leakage, excluded, constant
    assert {"Offer", "Internet Type", "Contract", "Tenure in Months", "Population"} <= set(cols)


def test_undeclared_identifier_is_refused(telco: Telco) -> None:
    joined, _, _, cfg = telco
    features = cfg.features.model_copy(update={"id_columns": []})
    with pytest.raises(FeatureConfigError, match="'Customer ID' looks like an identifier"):
        feature_columns(joined, features, "Churn Value")


def test_leakage_guard_catches_satisfaction_and_churn_score(telco: Telco) -> None:
    joined, y, cols, _ = telco
    rows = joined.sample(3000, random_state=0).index
    suspects = [*cols, "Satisfaction Score", "Churn Score"]
    aucs = single_feature_auc(joined.loc[rows, suspects], y[rows], seed=0)
    assert aucs["Satisfaction Score"] > 0.93 and aucs["Churn Score"] > 0.92
    assert aucs.drop(["Satisfaction Score", "Churn Score"]).max() < 0.8  # Contract, about 0.76
    with pytest.raises(LeakageError, match=r"'Satisfaction Score' \(ROC AUC 0\.9"):
        check_leakage(aucs, 0.90)
    check_leakage(aucs.drop(["Satisfaction Score", "Churn Score"]), 0.90)  # honest: passes


def test_config_without_leakage_list_stops_the_run(tmp_path: Path) -> None:
    from baselines.level2_churn import run
    from baselines.level2_churn.tests.conftest import fast, write_config

    cfg = fast(default_config())
    cfg["features"]["leakage"] = [
        c for c in cfg["features"]["leakage"] if c != "Satisfaction Score"
    ]
    with pytest.raises(LeakageError, match="Satisfaction Score"):
        run(write_config(cfg, tmp_path / "leaky.yaml"), tmp_path / "out")
    assert not (tmp_path / "out" / "model.joblib").exists()


def test_engineered_features_by_hand() -> None:
    df = pd.DataFrame(
        {
            "total": [100.0, 50.0, 0.0],
            "tenure": [10, 0, 5],
            "a": ["Yes", "No", "Yes"],
            "b": ["Yes", "Yes", "None"],
        }
    )
    specs = [
        EngineeredFeature(name="avg", op="ratio", a="total", b="tenure"),
        EngineeredFeature(name="left", op="difference", a="total", b="avg"),
        EngineeredFeature(name="n_yes", op="count_equal", columns=["a", "b"], value="Yes"),
    ]
    out = EngineeredFeatures(specs).fit(df).transform(df)
    np.testing.assert_allclose(out["avg"], [10.0, np.nan, 0.0])  # tenure 0: missing, not inf
    np.testing.assert_allclose(out["left"], [90.0, np.nan, 0.0])
    assert out["n_yes"].tolist() == [2.0, 1.0, 1.0]
    with pytest.raises(FeatureConfigError, match=r"not in the data: \['tenure'\]"):
        EngineeredFeatures(specs).fit(df.drop(columns=["tenure"]))


def test_mutual_information_keeps_k_features_contract_among_them(telco: Telco) -> None:
    joined, y, cols, _ = telco
    rows = joined.sample(1500, random_state=1).index
    X = build_preprocessor(30).fit_transform(joined.loc[rows, cols])
    selector = build_selector(SelectionConfig(method="mutual_info", k=10), 0)
    assert isinstance(selector, SelectKBest)
    names = build_preprocessor(30).fit(joined.loc[rows, cols]).get_feature_names_out()
    kept = set(names[selector.fit(X, y[rows]).get_support()])
    assert len(kept) == 10
    assert {"cat__Contract_Month-to-Month", "num__Tenure in Months"} & kept
