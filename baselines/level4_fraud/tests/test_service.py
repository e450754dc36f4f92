"""The scoring service on real payments of the test week: features, metrics, drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.drift import DriftMonitor
from baselines.level4_fraud.evaluation import train_test_split
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.service import create_app, load_service

NAMES = feature_names([1, 7, 30])
START = dt.date(2018, 8, 8)


@pytest.fixture(scope="module")
def artifacts(l4_artifacts: Path) -> Path:
    return l4_artifacts


@pytest.fixture(scope="module")
def client(artifacts: Path, l4_config: Level4Config) -> TestClient:
    cfg = l4_config.model_copy(deep=True)
    cfg.service.drift_every = 100
    return TestClient(create_app(load_service(cfg, artifacts, START)))


def _payload(row: pd.Series) -> dict:
    return {
        "transaction_id": int(row.TRANSACTION_ID),
        "customer_id": int(row.CUSTOMER_ID),
        "terminal_id": int(row.TERMINAL_ID),
        "amount": float(row.TX_AMOUNT),
        "tx_datetime": str(row.TX_DATETIME),
    }


def test_service_scores_with_the_handbook_features(
    client: TestClient, artifacts: Path, l4_shipped: pd.DataFrame
):
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)].head(300)
    model = joblib.load(artifacts / "model_logistic_regression.joblib")
    expected = model.predict_proba(day[NAMES].to_numpy())[:, 1]

    got = []
    for _, row in day.iterrows():
        response = client.post("/score", json=_payload(row))
        assert response.status_code == 200
        got.append(response.json()["fraud_probability"])
    # Same features as the shipped file, hence the same scores as scoring the file directly.
    np.testing.assert_allclose(got, expected, atol=1e-5)

    text = client.get("/metrics").text
    assert "fraud_scoring_requests_total 300.0" in text
    assert f"fraud_alerts_total {float((expected >= 0.5).sum())}" in text
    assert "fraud_drift_checks_total 3.0" in text
    assert "fraud_scoring_latency_seconds_count 300.0" in text
    assert 'fraud_feature_drift_statistic{feature="TX_AMOUNT"}' in text


def test_bad_payload_is_rejected_with_the_field(client: TestClient):
    response = client.post("/score", json={"transaction_id": 1, "customer_id": -3})
    assert response.status_code == 422
    fields = {tuple(err["loc"]) for err in response.json()["detail"]}
    assert ("body", "customer_id") in fields and ("body", "amount") in fields


def test_drift_monitor_on_a_real_day(l4_config: Level4Config, l4_features: pd.DataFrame):
    train, test = train_test_split(l4_features, l4_config.split)
    monitored = [n for n in NAMES if n not in l4_config.service.drift_exclude]
    day = test[test["TX_DATETIME"] < pd.Timestamp(START + dt.timedelta(days=1))]
    monitor = DriftMonitor(train[monitored].to_numpy(), monitored, window=5000)

    for row in day[monitored].to_numpy()[-5000:]:
        monitor.add(row)
    assert monitor.check().drifted == []  # a normal day two weeks later: no alarm

    shifted = day[monitored].to_numpy()[-5000:].copy()
    shifted[:, monitored.index("TX_AMOUNT")] *= 3  # e.g. a currency change upstream
    for row in shifted:
        monitor.add(row)
    assert monitor.check().drifted == ["TX_AMOUNT"]
