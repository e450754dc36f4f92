"""The join and its validation, against the counts in the data README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from baselines.level1_eda.common import ConfigError, MissingDataError, data_root, load_config
from baselines.level2_churn.config import DataConfig, Level2Config
from baselines.level2_churn.tables import JoinValidationError, join_tables
from baselines.level2_churn.tests.conftest import default_config, write_config


def data_cfg(**changes: Any) -> DataConfig:
    raw = default_config()["data"]
    raw.update(changes)
    return DataConfig.model_validate(raw)


def table(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in cfg["tables"] if t["name"] == name)


def test_five_tables_join_to_one_row_per_customer() -> None:
    joined = join_tables(data_cfg())
    assert joined.shape == (7043, 51)
    assert joined["Customer ID"].is_unique
    assert int(joined["Churn Value"].sum()) == 1869
    # The literal category "None" survives reading; only churners have a category/reason.
    assert (joined["Offer"] == "None").sum() == 3877
    assert (joined["Internet Type"] == "None").sum() == 1526
    missing = joined.isna().sum()
    assert missing[missing > 0].to_dict() == {"Churn Category": 5174, "Churn Reason": 5174}
    # Every ZIP found its population; nothing is suffixed by a column clash.
    assert joined["Population"].notna().all()
    assert not [c for c in joined.columns if c.endswith(("_x", "_y"))]


def test_repeated_count_column_is_refused_with_advice() -> None:
    raw = default_config()["data"]
    table(raw, "demographics")["drop"] = []  # keep Count in both of the first two tables
    table(raw, "location")["drop"] = ["Location ID"]
    with pytest.raises(JoinValidationError, match=r"\['Count'\] exist on both sides.*`drop`"):
        join_tables(DataConfig.model_validate(raw))


def test_wrong_cardinality_is_refused() -> None:
    raw = default_config()["data"]
    raw["joins"][1]["validate_as"] = "one_to_one"  # many customers share a ZIP code
    with pytest.raises(JoinValidationError, match="expected one_to_one"):
        join_tables(DataConfig.model_validate(raw))


def test_duplicate_key_and_missing_partners_are_reported(tmp_path: Path) -> None:
    root = data_root() / "baselines/level2/telco_multitable"
    status = pd.read_csv(root / "Telco_customer_churn_status.csv", keep_default_na=False)
    status.head(100).to_csv(tmp_path / "status_part.csv", index=False)
    pd.concat([status, status.head(2)]).to_csv(tmp_path / "status_dup.csv", index=False)

    raw = default_config()["data"]
    table(raw, "status")["path"] = str(tmp_path / "status_dup.csv")
    with pytest.raises(JoinValidationError, match=r"key \['Customer ID'\] is not unique \(4 rows"):
        join_tables(DataConfig.model_validate(raw))

    table(raw, "status")["path"] = str(tmp_path / "status_part.csv")
    with pytest.raises(JoinValidationError, match="6943 of 7043 rows found no partner"):
        join_tables(DataConfig.model_validate(raw))


def test_expected_rows_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(JoinValidationError, match="7043 rows, config `expected_rows` says 7000"):
        join_tables(data_cfg(expected_rows=7000))
    monkeypatch.setenv("SCIDISCO_DATA", str(tmp_path))
    with pytest.raises(MissingDataError, match=r"demographics\.csv\. Set SCIDISCO_DATA"):
        join_tables(data_cfg())


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    cfg = default_config()
    cfg["split"]["tset_size"] = 0.3
    cfg["data"]["joins"][0]["table"] = "locations"
    path = write_config(cfg, tmp_path / "bad.yaml")
    with pytest.raises(ConfigError) as err:
        load_config(path, Level2Config)
    assert "split.tset_size: Extra inputs are not permitted" in str(err.value)
    assert "joins name unknown tables ['locations']" in str(err.value)
