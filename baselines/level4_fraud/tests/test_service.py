"""The scoring service on real payments of the test week: features, concurrency, labels, drift."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import joblib
import numpy as np
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.drift import DriftMonitor
from baselines.level4_fraud.evaluation import train_test_split
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.online import OnlineFeatureStore
from baselines.level4_fraud.remote import RemoteFeatureScorer
from baselines.level4_fraud.service import FraudService, create_app, load_model, warmed_store

NAMES = feature_names([1, 7, 30])
START = dt.date(2018, 8, 8)


@pytest.fixture(scope="module")
def store(l4_config: Level4Config) -> OnlineFeatureStore:
    """The store warmed with all history before the first test day (copied per service)."""
    return warmed_store(l4_config, START)


def _service(
    cfg: Level4Config, artifacts: Path, store: OnlineFeatureStore, **service: object
) -> FraudService:
    cfg = cfg.model_copy(deep=True)
    for key, value in service.items():
        setattr(cfg.service, key, value)
    model = load_model(artifacts / "model_logistic_regression.joblib")
    reference = np.load(artifacts / "reference_features.npy")
    return FraudService(model, copy.deepcopy(store), reference, cfg)


@pytest.fixture(scope="module")
def service(l4_config: Level4Config, l4_artifacts: Path, store: OnlineFeatureStore):
    service = _service(l4_config, l4_artifacts, store, drift_every=100)
    yield service
    service.close()


@pytest.fixture(scope="module")
def client(service: FraudService) -> TestClient:
    return TestClient(create_app(service))


def _payload(row: pd.Series) -> dict:
    return {
        "transaction_id": int(row.TRANSACTION_ID),
        "customer_id": int(row.CUSTOMER_ID),
        "terminal_id": int(row.TERMINAL_ID),
        "amount": float(row.TX_AMOUNT),
        "tx_datetime": str(row.TX_DATETIME),
    }


def _metric(text: str, name: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
    return float(line.split()[-1])


def test_service_scores_with_the_handbook_features(
    client: TestClient, service: FraudService, l4_artifacts: Path, l4_shipped: pd.DataFrame
):
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)].head(300)
    model = joblib.load(l4_artifacts / "model_logistic_regression.joblib")
    expected = model.predict_proba(day[NAMES].to_numpy())[:, 1]

    answers = []
    for _, row in day.iterrows():
        response = client.post("/score", json=_payload(row))
        assert response.status_code == 200
        answers.append(response.json())
    # Same features as the shipped file, hence the same scores as scoring the file directly.
    np.testing.assert_allclose([a["fraud_probability"] for a in answers], expected, atol=1e-5)
    assert [a["sequence"] for a in answers] == list(range(1, 301))

    # Checks were requested at payments 100, 200, 300 and ran off the request path; one
    # requested while another still waited is skipped (counted), never queued.
    service.wait_for_drift()
    text = client.get("/metrics").text
    assert _metric(text, "fraud_scoring_requests_total") == 300
    assert _metric(text, "fraud_alerts_total") == float((expected >= 0.5).sum())
    checks = _metric(text, "fraud_drift_checks_total")
    assert checks >= 1 and checks + _metric(text, "fraud_drift_checks_skipped_total") == 3
    assert _metric(text, "fraud_scoring_latency_seconds_count") == 300
    assert 'fraud_feature_drift_statistic{feature="TX_AMOUNT"}' in text
    assert service.last_drift is not None and service.last_drift.n_current == 300


def test_a_payment_scored_twice_is_refused(client: TestClient, l4_shipped: pd.DataFrame):
    row = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)].iloc[400]
    assert client.post("/score", json=_payload(row)).status_code == 200
    again = client.post("/score", json=_payload(row))
    assert again.status_code == 409
    assert f"transaction_id {int(row.TRANSACTION_ID)} was already scored" in again.json()["detail"]


def test_bad_payload_is_rejected_with_the_field(client: TestClient):
    response = client.post("/score", json={"transaction_id": 1, "customer_id": -3})
    assert response.status_code == 422
    fields = {tuple(err["loc"]) for err in response.json()["detail"]}
    assert ("body", "customer_id") in fields and ("body", "amount") in fields


def test_labels_are_stored_for_held_payments_only(
    client: TestClient, service: FraudService, l4_shipped: pd.DataFrame
):
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)]
    scored, never = int(day.iloc[0].TRANSACTION_ID), 99_999_999
    body = {
        "labels": [{"transaction_id": scored, "fraud": 1}, {"transaction_id": never, "fraud": 0}]
    }
    answer = client.post("/labels", json=body)
    assert answer.status_code == 200
    assert answer.json() == {"received": 2, "updated": 1, "unknown": [never]}
    assert service.store._by_id[scored][1] == 1  # the terminal event now carries the label
    text = client.get("/metrics").text
    assert _metric(text, "fraud_labels_total") == 1
    assert _metric(text, "fraud_labels_unknown_total") == 1
    bad = client.post("/labels", json={"labels": [{"transaction_id": scored, "fraud": 2}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "fraud"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """A real uvicorn server (FastAPI thread pool and all) in a thread on a loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture()
def live(l4_config: Level4Config, l4_artifacts: Path, store: OnlineFeatureStore) -> Iterator:
    service = _service(l4_config, l4_artifacts, store, drift_every=10_000)
    with _serving(create_app(service)) as url:
        yield service, url
    service.close()


def test_concurrent_requests_give_the_sequential_features(
    live: tuple[FraudService, str],
    l4_config: Level4Config,
    l4_artifacts: Path,
    store: OnlineFeatureStore,
    l4_stream: pd.DataFrame,
):
    service, url = live
    # 600 payments of 60 cards on the first test day, so a card often has two in flight.
    day = l4_stream[(l4_stream["TX_DATETIME"] >= pd.Timestamp(START))]
    day = day[day["TX_DATETIME"] < pd.Timestamp(START + dt.timedelta(days=1))]
    rows = day[day["CUSTOMER_ID"].isin(day["CUSTOMER_ID"].unique()[:60])]
    rows = pd.concat([rows, day[~day.index.isin(rows.index)].head(600 - len(rows))])
    assert len(rows) == 600 and rows["CUSTOMER_ID"].duplicated().sum() > 50

    with httpx.Client(base_url=url, timeout=30) as http, ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda r: http.post("/score", json=_payload(r)), rows.itertuples()))
    assert [a.status_code for a in answers] == [200] * 600
    body = {a.json()["transaction_id"]: a.json() for a in answers}
    order = sorted(body, key=lambda i: body[i]["sequence"])
    assert [body[i]["sequence"] for i in order] == list(range(1, 601))  # no lost update

    # Replayed one by one in the order the service took them: identical features and scores.
    by_id = rows.set_index("TRANSACTION_ID")
    model = load_model(l4_artifacts / "model_logistic_regression.joblib")
    fresh = copy.deepcopy(store)
    replayed = np.vstack(
        [
            fresh.process(
                int(by_id.at[i, "CUSTOMER_ID"]),
                int(by_id.at[i, "TERMINAL_ID"]),
                float(by_id.at[i, "TX_AMOUNT"]),
                by_id.at[i, "TX_DATETIME"].to_pydatetime(),
            )
            for i in order
        ]
    )
    expected = model.predict_proba(replayed)[:, 1]  # type: ignore[attr-defined]
    got = np.array([body[i]["fraud_probability"] for i in order])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)

    # Cards with a single payment here do not depend on the order at all: the plain
    # time-ordered sequential result must come out (terminal windows end 7 days back).
    sequential = copy.deepcopy(store).replay(rows.sort_values("TRANSACTION_ID"), labelled=False)
    single = ~rows.sort_values("TRANSACTION_ID")["CUSTOMER_ID"].duplicated(keep=False).to_numpy()
    ids = rows.sort_values("TRANSACTION_ID")["TRANSACTION_ID"].to_numpy()
    want = model.predict_proba(sequential[single])[:, 1]  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        [body[i]["fraud_probability"] for i in ids[single]], want, atol=1e-12
    )
    assert service.served == 600


def test_stateless_scorers_share_one_feature_store(
    live: tuple[FraudService, str],
    l4_config: Level4Config,
    l4_artifacts: Path,
    l4_shipped: pd.DataFrame,
):
    # Two scorer instances (as two pods behind a Service) send alternate payments of the same
    # cards to one feature-store instance: every score is the handbook-feature score.
    service, store_url = live
    model = load_model(l4_artifacts / "model_logistic_regression.joblib")
    scorers = [RemoteFeatureScorer(model, store_url, l4_config) for _ in range(2)]
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)].head(200)
    expected = model.predict_proba(day[NAMES].to_numpy())[:, 1]  # type: ignore[attr-defined]
    with _serving(create_app(scorers[0])) as a, _serving(create_app(scorers[1])) as b:
        clients = [httpx.Client(base_url=u, timeout=30) for u in (a, b)]
        assert all(c.get("/ready").json()["status"] == "ready" for c in clients)
        got = [
            clients[i % 2].post("/score", json=_payload(row)).json()["fraud_probability"]
            for i, row in enumerate(day.itertuples())
        ]
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert [s.served for s in scorers] == [100, 100] and service.served == 200

        first = int(day.iloc[0].TRANSACTION_ID)
        again = clients[1].post("/score", json=_payload(day.iloc[0]))
        assert again.status_code == 409  # the store knows it, whichever scorer asks
        labels = {"labels": [{"transaction_id": first, "fraud": 1}]}
        assert clients[0].post("/labels", json=labels).json()["updated"] == 1
        assert service.store._by_id[first][1] == 1  # forwarded to the store
        assert clients[0].post("/features", json=_payload(day.iloc[1])).status_code == 404
        for http in clients:
            http.close()

    # With the store gone, a scorer is not ready and refuses payments with 503 (no guess).
    lonely = RemoteFeatureScorer(model, f"http://127.0.0.1:{_free_port()}", l4_config)
    assert lonely.readiness()[0] is False
    with TestClient(create_app(lonely)) as test_client:
        assert test_client.get("/ready").status_code == 503
        response = test_client.post("/score", json=_payload(day.iloc[5]))
        assert response.status_code == 503 and "unreachable" in response.json()["detail"]


def test_drift_check_runs_off_the_request_path(
    l4_config: Level4Config,
    l4_artifacts: Path,
    store: OnlineFeatureStore,
    l4_shipped: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
):
    service = _service(l4_config, l4_artifacts, store, drift_every=20)
    real_compare = service.drift.compare
    started = threading.Event()

    def slow_compare(rows: list[np.ndarray]):
        started.set()
        time.sleep(1.5)  # a drift check far slower than any payment
        return real_compare(rows)

    monkeypatch.setattr(service.drift, "compare", slow_compare)
    client = TestClient(create_app(service))
    day = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(START)].head(60)
    times = []
    for _, row in day.iterrows():
        t0 = time.perf_counter()
        assert client.post("/score", json=_payload(row)).status_code == 200
        times.append(time.perf_counter() - t0)
    # The 20th payment requested a check; its answer and the next ones did not wait for it.
    assert started.wait(5) and max(times) < 1.0
    result = service.wait_for_drift()
    assert result is not None and result.n_current == 60
    assert (service.metrics.registry.get_sample_value("fraud_drift_checks_total") or 0) >= 1
    service.close()


def test_readiness_waits_for_warm_up_and_liveness_reports_failure(
    l4_config: Level4Config, l4_artifacts: Path
):
    gate = threading.Event()
    payment = {
        "transaction_id": 1,
        "customer_id": 1,
        "terminal_id": 1,
        "amount": 10.0,
        "tx_datetime": "2018-08-08 10:00:00",
    }

    def loader() -> FraudService:
        gate.wait(10)
        return _service(l4_config, l4_artifacts, OnlineFeatureStore([1, 7, 30], 7))

    with TestClient(create_app(loader=loader)) as client:
        assert client.get("/health").json() == {"status": "ok", "ready": False}
        assert client.get("/ready").status_code == 503
        assert client.post("/score", json=payment).status_code == 503
        gate.set()
        deadline = time.monotonic() + 30
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/ready").json()["status"] == "ready"

    def broken() -> FraudService:
        raise FileNotFoundError("history.csv.gz not found")

    with TestClient(create_app(loader=broken)) as client:
        deadline = time.monotonic() + 10
        while client.get("/health").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health").status_code == 503
        ready = client.get("/ready")
        assert ready.status_code == 503 and "history.csv.gz" in ready.json()["error"]


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
