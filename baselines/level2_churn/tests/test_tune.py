"""The tuning script on a small slice: table shape, files, and train rows only."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from baselines.level2_churn import model
from baselines.level2_churn.config import Level2Config
from baselines.level2_churn.task import load_xy, split
from baselines.level2_churn.tests.conftest import default_config, write_config
from baselines.level2_churn.tune import main

ROWS = 300


def test_tune_compares_on_train_rows_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[pd.Index] = []
    real = model.cross_validate

    def spy(estimator: object, X: pd.DataFrame, y: pd.Series, **kwargs: object) -> object:
        seen.append(X.index)
        return real(estimator, X, y, **kwargs)

    monkeypatch.setattr(model, "cross_validate", spy)
    raw = default_config()
    raw["split"]["cv_folds"] = 2
    path = write_config(raw, tmp_path / "two_folds.yaml")
    out = tmp_path / "out"
    assert main(["--config", str(path), "--out", str(out), "--train-rows", str(ROWS)]) == 0

    # Every comparison saw the same ROWS rows, all from the train split (4,507 of 7,043).
    cfg = Level2Config.model_validate(raw)
    joined, y, _ = load_xy(cfg)
    data = split(cfg, joined, y)
    X_test, _ = data.test.take()
    assert (len(data.X_train), len(data.X_val), len(X_test)) == (4507, 1127, 1409)
    held_out = set(data.X_val.index) | set(X_test.index)
    assert len(seen) == 4 + 3  # HGB settings + selection options
    for index in seen:
        assert len(index) == ROWS and index.is_unique
        assert set(index) <= set(data.X_train.index) and not set(index) & held_out

    # Tables: four HGB settings (defaults and the configured one among them), three selections.
    result = json.loads((out / "tuning.json").read_text())
    assert result["meta"]["train_rows"] == ROWS and result["meta"]["folds"] == 2
    hgb = pd.DataFrame(result["hist_gradient_boosting"]).set_index("setting")
    sel = pd.DataFrame(result["selection"]).set_index("selection")
    assert len(hgb) == 4 and hgb.index[0] == "defaults"
    configured = hgb[hgb.index.str.endswith("(config.yaml)")]
    assert len(configured) == 1 and configured["max_leaf_nodes"].item() == 8
    assert list(sel.index) == ["none", "model (L1, C=0.2) (config.yaml)", "mutual_info (k=40)"]
    assert sel["kept"].iloc[2] == 40 and sel["kept"].iloc[0] > sel["kept"].iloc[1] > 0
    scores = pd.concat([hgb["roc_auc_mean"], sel["roc_auc_mean"]])
    assert scores.between(0.7, 1.0).all()
    assert (hgb["fit_s_per_fold"] > 0).all() and (sel["cv_cpu_s"] > 0).all()

    # The printed Markdown is the written one: two tables of 4 and 3 rows.
    text = (out / "tuning.md").read_text()
    assert text in capsys.readouterr().out
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table_rows) == (2 + 4) + (2 + 3)  # header, separator and rows, twice
    assert (out / "config.resolved.yaml").is_file()


def test_tune_cli_help_and_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "train split only" in capsys.readouterr().out
    assert main(["--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read config" in capsys.readouterr().err
