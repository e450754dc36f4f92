"""Preprocessing and measurement, checked by hand on small real slices."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.level1_eda import data, modeling
from baselines.level1_eda.tests.test_data import PENGUINS, TELCO


def test_preprocessor_imputes_and_one_hot_encodes_by_dtype() -> None:
    raw = data.load_table(PENGUINS).iloc[[0, 1, 3, 152]]  # row 3 is all-missing measurements
    X = raw.drop(columns=["species"])
    out = modeling.build_preprocessor().fit(X)
    names = list(out.get_feature_names_out())
    assert names[:5] == [
        "numeric__bill_length_mm",
        "numeric__bill_depth_mm",
        "numeric__flipper_length_mm",
        "numeric__body_mass_g",
        "numeric__year",
    ]
    # island: Torgersen x3, Biscoe; sex: male, female, NaN, female (NaN imputed, no column).
    assert names[5:] == [
        "categorical__island_Biscoe",
        "categorical__island_Torgersen",
        "categorical__sex_female",
        "categorical__sex_male",
    ]
    Z = out.transform(X)
    # Bill lengths 39.1, 39.5, NaN, 46.1: the NaN takes the median 39.5, then standardising.
    col = np.array([39.1, 39.5, 39.5, 46.1])
    np.testing.assert_allclose(Z[:, 0], (col - col.mean()) / col.std())
    np.testing.assert_array_equal(Z[:, 5:7], [[0, 1], [0, 1], [0, 1], [1, 0]])
    # The most frequent sex (female, 2 of 3) fills row 3.
    np.testing.assert_array_equal(Z[:, 7:], [[0, 1], [1, 0], [1, 0], [1, 0]])


def test_penguins_models_beat_the_dummy() -> None:
    df, _ = data.prepare(PENGUINS)
    X, y = modeling.split_xy(df, PENGUINS)
    dummy = modeling.evaluate_model("dummy", X, y, PENGUINS, seed=0, test_size=0.25, cv_folds=3)
    logreg = modeling.evaluate_model(
        "logistic_regression", X, y, PENGUINS, seed=0, test_size=0.25, cv_folds=3
    )
    # The dummy predicts the majority class, Adelie: 38 of the 86 hold-out rows.
    assert dummy.accuracy == pytest.approx(38 / 86)
    assert dummy.cv_roc_auc_mean == pytest.approx(0.5)
    assert logreg.accuracy > 0.95 and logreg.cv_roc_auc_mean > 0.99
    assert logreg.confusion.to_numpy().sum() == 86
    assert list(logreg.confusion.index) == ["Adelie", "Chinstrap", "Gentoo"]


def test_same_code_on_a_binary_table_uses_the_positive_label() -> None:
    ds = TELCO.model_copy(update={"max_rows": 2000})
    df, _ = data.prepare(ds)
    X, y = modeling.split_xy(df, ds)
    assert set(y.unique()) == {0, 1}
    res = modeling.evaluate_model(
        "logistic_regression", X, y, ds, seed=0, test_size=0.25, cv_folds=3
    )
    assert list(res.confusion.columns) == ["not Yes", "Yes"]
    assert 0.80 < res.cv_roc_auc_mean < 0.90  # README anchor on all rows: 0.845
