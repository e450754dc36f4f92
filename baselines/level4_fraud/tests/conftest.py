"""Fixtures for level 4: the real simulated transactions, loaded once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from baselines.level4_fraud import data
from baselines.level4_fraud.config import Level4Config, load_config
from baselines.level4_fraud.features import compute_features


@pytest.fixture(scope="session")
def l4_config() -> Level4Config:
    cfg = load_config()
    try:
        data.require_file(cfg, cfg.raw_file)
        data.require_file(cfg, cfg.features_file)
    except data.MissingDataError as exc:
        pytest.skip(str(exc))
    return cfg


@pytest.fixture(scope="session")
def l4_stream(l4_config: Level4Config) -> pd.DataFrame:
    return data.load_stream(l4_config)


@pytest.fixture(scope="session")
def l4_features(l4_config: Level4Config, l4_stream: pd.DataFrame) -> pd.DataFrame:
    return compute_features(l4_stream, [1, 7, 30], 7)


@pytest.fixture(scope="session")
def l4_shipped(l4_config: Level4Config) -> pd.DataFrame:
    return data.load_feature_file(l4_config)
