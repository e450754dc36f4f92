"""Loading, validation and cleaning against the counts the data READMEs state."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from baselines.level1_eda import data
from baselines.level1_eda.common import ConfigError, MissingDataError, load_config
from baselines.level1_eda.config import DatasetConfig, Level1Config

PENGUINS = DatasetConfig(name="penguins", source="palmerpenguins", target="species")
TELCO = DatasetConfig(
    name="telco",
    source="csv",
    path="baselines/level2/telco_single/Telco-Customer-Churn.csv",
    target="Churn",
    positive_label="Yes",
    drop=["customerID"],
)


def test_penguins_match_readme_counts() -> None:
    df = data.load_table(PENGUINS)
    assert df.shape == (344, 8)
    assert df["species"].value_counts().to_dict() == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    missing = df.isna().sum()
    assert missing["sex"] == 11
    for col in ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]:
        assert missing[col] == 2


def test_telco_blank_total_charges_become_missing_numbers() -> None:
    df, report = data.prepare(TELCO)
    assert len(df) == 7043 and "customerID" not in df.columns
    assert pd.api.types.is_numeric_dtype(df["TotalCharges"])
    assert df["TotalCharges"].isna().sum() == 11  # the 11 tenure-0 customers
    assert (df["Churn"] == "Yes").sum() == 1869
    assert report.dropped_columns == ["customerID"]


def test_text_column_mostly_numbers_is_coerced_with_count() -> None:
    raw = data.load_table(PENGUINS).head(20)
    raw["year"] = raw["year"].astype(str)
    raw.loc[3, "year"] = "unknown"
    cleaned, report = data.clean_table(raw, PENGUINS.model_copy(update={}))
    # 19 of 20 parse: 95 % is the threshold, so the column becomes numeric with one NaN.
    assert report.coerced_numeric == {"year": 1}
    assert cleaned["year"].isna().sum() == 1


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"target": "Species"}, "target column 'Species' not in the table"),
        ({"drop": ["flipper"]}, "`drop` names columns not in the table: ['flipper']"),
        ({"positive_label": "Emperor"}, "`positive_label` 'Emperor' is not a class"),
    ],
)
def test_validation_names_the_problem(update: dict[str, object], message: str) -> None:
    raw = data.load_table(PENGUINS)
    with pytest.raises(
        data.DataValidationError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        data.validate_table(raw, PENGUINS.model_copy(update=update))


def test_single_class_and_rare_class_are_rejected() -> None:
    raw = data.load_table(PENGUINS)
    with pytest.raises(data.DataValidationError, match="has 1 class"):
        data.validate_table(raw[raw["species"] == "Adelie"], PENGUINS)
    rare = pd.concat(
        [raw[raw["species"] != "Chinstrap"], raw[raw["species"] == "Chinstrap"].head(1)]
    )
    with pytest.raises(data.DataValidationError, match="'Chinstrap' has 1 row"):
        data.validate_table(rare, PENGUINS)


def test_missing_csv_names_file_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIDISCO_DATA", str(tmp_path))
    with pytest.raises(MissingDataError, match=r"Telco-Customer-Churn\.csv.*SCIDISCO_DATA"):
        data.load_table(TELCO)


def test_config_rejects_unknown_and_inconsistent_fields(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets:\n  - {name: x, source: csv, target: y}\nmodel: [knn]\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad, Level1Config)
    text = str(err.value)
    assert str(bad) in text
    assert "model: Extra inputs are not permitted" in text
    assert "source `csv` needs `path`" in text
