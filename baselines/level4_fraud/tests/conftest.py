"""Fixtures for level 4: the real simulated transactions, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from baselines.level4_fraud import data
from baselines.level4_fraud.config import Level4Config, load_config
from baselines.level4_fraud.evaluation import train_test_split
from baselines.level4_fraud.features import compute_features, feature_names
from baselines.level4_fraud.models import make_model


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


@pytest.fixture(scope="session")
def l4_artifacts(
    tmp_path_factory: pytest.TempPathFactory, l4_config: Level4Config, l4_features: pd.DataFrame
) -> Path:
    """A run folder as ``task.run`` leaves it for the service: logistic regression + reference."""
    folder = tmp_path_factory.mktemp("l4_artifacts")
    names = feature_names(l4_config.features.windows_days)
    train, _ = train_test_split(l4_features, l4_config.split)
    model = make_model("logistic_regression", l4_config.models)
    model.fit(train[names].to_numpy(), train["TX_FRAUD"])
    joblib.dump(model, folder / "model_logistic_regression.joblib")
    np.save(folder / "reference_features.npy", train[names].to_numpy())
    return folder
