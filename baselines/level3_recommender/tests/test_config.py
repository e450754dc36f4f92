"""Config loading: defaults validate, mistakes name the file, the field and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from baselines.level3_recommender.config import ConfigError, Level3Config, load_config


def test_default_file_equals_model_defaults() -> None:
    assert load_config() == Level3Config()


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("eval:\n  kk: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml is invalid: `eval\.kk`.*got 5"):
        load_config(path)


def test_bad_value_is_reported_with_the_value(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("models:\n  evaluate: [popularity, svd]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"`models\.evaluate\.1`.*got 'svd'"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
