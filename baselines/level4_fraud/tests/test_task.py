"""The entry point end to end on another week, and the clear errors of bad data and configs."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from baselines.level4_fraud import __main__ as cli
from baselines.level4_fraud import data
from baselines.level4_fraud.__main__ import main
from baselines.level4_fraud.config import ConfigError, Level4Config, load_config
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.service import create_app, load_service
from baselines.level4_fraud.task import SplitError, default_out_dir, run

OTHER_WEEK = Path(__file__).resolve().parents[1] / "config_other_week.yaml"
NAMES = feature_names([1, 7, 30])


def _raw_rows(config: Level4Config, first: str, last: str) -> pd.DataFrame:
    """Rows of the raw history whose date string lies in [first, last], read independently."""
    with gzip.open(data.require_file(config, config.raw_file), "rt") as handle:
        raw = pd.read_csv(handle, usecols=["TX_DATETIME", "CUSTOMER_ID", "TX_FRAUD"])
    day = raw["TX_DATETIME"].str[:10]
    return raw[(day >= first) & (day <= last)]


@pytest.fixture(scope="module")
def other_week_run(tmp_path_factory, l4_config: Level4Config) -> tuple[Path, dict, str]:
    """The command line on the other week's config: its folder, metrics and printed output."""
    out = tmp_path_factory.mktemp("l4_other_week")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["--config", str(OTHER_WEEK), "--out", str(out)]) == 0
    return out, json.loads((out / "metrics.json").read_text()), printed.getvalue()


def test_run_on_another_week_from_its_config_alone(
    other_week_run: tuple[Path, dict, str], l4_config: Level4Config
):
    out, metrics, _ = other_week_run
    train = _raw_rows(l4_config, "2018-07-18", "2018-07-24")
    assert metrics["split/train_rows"] == len(train)
    assert metrics["split/train_frauds"] == train["TX_FRAUD"].sum()
    # Test days 08-01..07 hold 66,975 payments and 626 frauds (data README: the delay week);
    # cards with a fraud in the training week are among those removed.
    assert 50_000 < metrics["split/test_rows"] < 66_975
    assert 0 < metrics["split/test_frauds"] < 626
    assert 0.8 < metrics["test/logistic_regression/auc_roc"] < 1.0
    assert all(isinstance(v, float) and not np.isnan(v) for v in metrics.values())
    # Keys as the shared interface names them: namespaced, lower case, times end in seconds.
    assert all(re.fullmatch(r"[a-z_]+/([a-z_]+/)?[a-z_@0-9]+", k) for k in metrics)
    assert [k for k in metrics if k.endswith("seconds")] == [
        "train/logistic_regression/fit_seconds"
    ]

    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())
    assert resolved["split"]["train_start"] == "2018-07-18"
    assert Level4Config.model_validate(resolved).models.names == ["logistic_regression"]
    row = next(ln for ln in (out / "results.md").read_text().splitlines() if "logistic" in ln)
    assert row.endswith("| - | - | - |")  # the handbook's numbers are for another week


def test_command_prints_the_table_and_every_metric(other_week_run: tuple[Path, dict, str]):
    out, metrics, printed = other_week_run
    assert (out / "results.md").read_text() in printed
    for key, value in metrics.items():
        assert re.search(rf"^{re.escape(key)} +{value:.4f}$", printed, re.M), key
    assert printed.rstrip().endswith(f"output: {out.resolve()}")


def test_default_out_dir_is_the_shared_convention(monkeypatch: pytest.MonkeyPatch, tmp_path):
    assert re.fullmatch(r"runs/baselines/level4_fraud/\d{8}T\d{6}Z", default_out_dir().as_posix())
    seen = []

    def fake_run(config, out_dir):
        seen.append(Path(out_dir))
        raise ConfigError("stop here")

    monkeypatch.setattr(cli, "run", fake_run)
    assert main([]) == 2
    assert seen[0].parent == Path("runs/baselines/level4_fraud")


def test_command_exits_2_only_on_user_errors(monkeypatch: pytest.MonkeyPatch, tmp_path):
    def buggy_run(config, out_dir):
        raise ValueError("a bug, not a user mistake")

    monkeypatch.setattr(cli, "run", buggy_run)
    with pytest.raises(ValueError, match="a bug"):
        main(["--out", str(tmp_path)])


def test_service_serves_another_week_from_its_config_alone(
    other_week_run: tuple[Path, dict, str], l4_shipped: pd.DataFrame
):
    from fastapi.testclient import TestClient

    out, _, _ = other_week_run
    cfg = load_config(OTHER_WEEK)
    client = TestClient(create_app(load_service(cfg, out, cfg.split.test_start)))
    first = pd.Timestamp(cfg.split.test_start)
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= first].head(100)
    model = joblib.load(out / "model_logistic_regression.joblib")
    expected = model.predict_proba(day[NAMES].to_numpy())[:, 1]
    got = [
        client.post(
            "/score",
            json={
                "transaction_id": int(row.TRANSACTION_ID),
                "customer_id": int(row.CUSTOMER_ID),
                "terminal_id": int(row.TERMINAL_ID),
                "amount": float(row.TX_AMOUNT),
                "tx_datetime": str(row.TX_DATETIME),
            },
        ).json()["fraud_probability"]
        for row in day.itertuples()
    ]
    # The features the service computes on 2018-08-01 are the handbook's for that day.
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _data_dir(tmp_path: Path, config: Level4Config, drop: str | None) -> Path:
    folder = tmp_path / config.data_subdir
    folder.mkdir(parents=True)
    rows = pd.read_csv(data.require_file(config, config.raw_file), nrows=50)
    if drop:
        rows = rows.drop(columns=[drop])
    rows.to_csv(folder / config.raw_file, index=False)
    later = pd.read_csv(data.require_file(config, config.features_file), nrows=50)
    later.to_csv(folder / config.features_file, index=False)
    return tmp_path


def test_loader_names_the_file_and_the_missing_column(
    tmp_path: Path, l4_config: Level4Config, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(data.ENV_VAR, str(_data_dir(tmp_path, l4_config, drop="TX_AMOUNT")))
    with pytest.raises(data.DataFormatError, match=r"transactions_raw.*missing column.*TX_AMOUNT"):
        data.load_stream(l4_config)


def test_loader_rejects_bad_time_stamps(
    tmp_path: Path, l4_config: Level4Config, monkeypatch: pytest.MonkeyPatch
):
    root = _data_dir(tmp_path, l4_config, drop=None)
    path = root / l4_config.data_subdir / l4_config.raw_file
    rows = pd.read_csv(path)
    rows.loc[3, "TX_DATETIME"] = "25/07/2018 10:00"
    rows.to_csv(path, index=False)
    monkeypatch.setenv(data.ENV_VAR, str(root))
    with pytest.raises(data.DataFormatError, match="TX_DATETIME must hold"):
        data.load_stream(l4_config)


def test_missing_data_says_to_set_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert main(["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "transactions_raw_2018-06-18_2018-07-24.csv.gz" in err and "SCIDISCO_DATA" in err


def test_bad_config_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text("split: {train_start: 2018-07-25}\nmodels: {names: [svm]}\ntop_kk: 5\n")
    with pytest.raises(ConfigError, match=r"(?s)bad.yaml is invalid.*models.names.0.*top_kk"):
        load_config(bad)
    assert main(["--config", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "top_kk" in capsys.readouterr().err


def test_split_outside_the_data_is_refused(tmp_path: Path, l4_config: Level4Config):
    cfg = tmp_path / "late.yaml"
    late = dt.date(2018, 9, 1).isoformat()
    cfg.write_text(f"split: {{train_start: {late}}}\ncheck_feature_parity: false\n")
    with pytest.raises(SplitError, match=r"0 training and 0 test rows; choose dates inside"):
        run(cfg, tmp_path / "out")
    assert main(["--config", str(cfg), "--out", str(tmp_path / "out")]) == 2
