"""Real-time scoring service: online features, a fraud score, Prometheus metrics, drift checks.

Start it with ``python -m baselines.level4_fraud.serve --artifacts runs/level4_fraud``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import joblib
import numpy as np
from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ConfigDict, Field

from baselines.level4_fraud import data
from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.drift import DriftMonitor, DriftResult
from baselines.level4_fraud.online import OnlineFeatureStore

logger = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1)


class Transaction(BaseModel):
    """One card payment to score."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: int = Field(description="Unique id of the payment.")
    customer_id: int = Field(ge=0, description="Card (customer) id.")
    terminal_id: int = Field(ge=0, description="Terminal id.")
    amount: float = Field(ge=0, description="Amount of the payment.")
    tx_datetime: dt.datetime = Field(description="Time of the payment, e.g. 2018-08-08 10:00:00.")
    fraud: int | None = Field(
        None, ge=0, le=1, description="Known label (replays only); read after the delay only."
    )


class Score(BaseModel):
    """The service's answer for one payment."""

    transaction_id: int
    fraud_probability: float = Field(description="Model probability that the payment is fraud.")
    alert: bool = Field(description="Probability at or above the alert threshold.")
    latency_ms: float = Field(description="Feature computation plus scoring time.")


class ServiceMetrics:
    """Prometheus metrics of one service instance (own registry, so tests can make several)."""

    def __init__(self, feature_names: list[str]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("fraud_scoring_requests", "Payments scored.", registry=r)
        self.alerts = Counter("fraud_alerts", "Payments at or above the threshold.", registry=r)
        self.latency = Histogram(
            "fraud_scoring_latency_seconds",
            "Feature computation plus scoring time per payment.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.score = Histogram(
            "fraud_score",
            "Fraud probabilities returned.",
            buckets=(0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.95),
            registry=r,
        )
        self.drift_stat = Gauge(
            "fraud_feature_drift_statistic", "KS distance to training.", ["feature"], registry=r
        )
        self.drifted = Gauge("fraud_features_drifted", "Features flagged as drifted.", registry=r)
        self.drift_checks = Counter("fraud_drift_checks", "Drift checks run.", registry=r)
        for name in feature_names:  # every feature appears from the start, 0 until checked
            self.drift_stat.labels(feature=name).set(0.0)


class FraudService:
    """Scores payments one at a time and keeps its own monitoring state.

    Args:
        model: fitted scikit-learn pipeline with ``predict_proba``.
        store: feature store already warmed with the history before the first payment.
        reference: training feature matrix for drift checks.
        config: the run's configuration (service section used).
    """

    def __init__(
        self,
        model: object,
        store: OnlineFeatureStore,
        reference: np.ndarray,
        config: Level4Config,
    ) -> None:
        self.model = model
        self.store = store
        self.cfg = config.service
        self.metrics = ServiceMetrics(store.names)
        monitored = [i for i, n in enumerate(store.names) if n not in self.cfg.drift_exclude]
        self.drift_columns = np.asarray(monitored)
        self.drift = DriftMonitor(
            reference[:, self.drift_columns],
            [store.names[i] for i in monitored],
            window=self.cfg.drift_window,
            alpha=self.cfg.drift_alpha,
            min_statistic=self.cfg.drift_min_statistic,
        )
        self.last_drift: DriftResult | None = None

    def score(self, tx: Transaction) -> Score:
        """Compute the payment's features, score it, update metrics and (periodically) drift."""
        start = time.perf_counter()
        when = tx.tx_datetime.replace(tzinfo=None)
        x = self.store.process(tx.customer_id, tx.terminal_id, tx.amount, when, tx.fraud)
        prob = float(self.model.predict_proba(x[None, :])[0, 1])  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - start

        alert = prob >= self.cfg.alert_threshold
        self.metrics.requests.inc()
        self.metrics.latency.observe(elapsed)
        self.metrics.score.observe(prob)
        if alert:
            self.metrics.alerts.inc()
        self.drift.add(x[self.drift_columns])
        if self.store.n_seen % self.cfg.drift_every == 0:
            self.check_drift()
        return Score(
            transaction_id=tx.transaction_id,
            fraud_probability=prob,
            alert=alert,
            latency_ms=elapsed * 1000,
        )

    def check_drift(self) -> DriftResult:
        """Run the KS drift check now and publish it as gauges."""
        result = self.drift.check()
        for name, stat in result.statistics.items():
            self.metrics.drift_stat.labels(feature=name).set(stat)
        self.metrics.drifted.set(len(result.drifted))
        self.metrics.drift_checks.inc()
        self.last_drift = result
        if result.drifted:
            logger.warning("feature drift detected: %s", ", ".join(result.drifted))
        return result


def load_service(config: Level4Config, artifacts: Path, start: dt.date) -> FraudService:
    """Build a service from a run's artifacts, its store warmed with all history before ``start``.

    Raises:
        FileNotFoundError: the run folder lacks the model or the reference features.
    """
    model_path = artifacts / f"model_{config.service.model}.joblib"
    reference_path = artifacts / "reference_features.npy"
    for path in (model_path, reference_path):
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found; run `python -m baselines.level4_fraud --out {artifacts}` "
                f"with service.model={config.service.model!r} among models.names first"
            )
    model = joblib.load(model_path)
    _single_threaded(model)
    stream = data.load_stream(config)
    store = OnlineFeatureStore(config.features.windows_days, config.features.terminal_delay_days)
    first = dt.datetime.combine(start, dt.time())
    horizon = dt.timedelta(days=config.features.terminal_delay_days + max(store.windows) + 1)
    times = stream["TX_DATETIME"]
    store.warm(stream[(times < first) & (times >= first - horizon)])  # older rows never matter
    logger.info("service warmed with %d transactions before %s", store.n_seen, start)
    return FraudService(model, store, np.load(reference_path), config)


def _single_threaded(model: object) -> None:
    # One payment per call: joblib worker start-up would dominate tree ensembles' latency.
    for step in getattr(model, "named_steps", {}).values():
        if hasattr(step, "n_jobs"):
            step.n_jobs = 1


def create_app(service: FraudService) -> FastAPI:
    """The HTTP API around a service: /score, /metrics, /drift, /health."""
    app = FastAPI(title="Level 4 fraud scoring", version="1.0")

    @app.post("/score", response_model=Score)
    def score(tx: Transaction) -> Score:
        """Score one payment and return its fraud probability and alert flag."""
        return service.score(tx)

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/drift")
    def drift() -> dict:
        """Run the drift check on the recent window now and return per-feature results."""
        result = service.check_drift()
        return {
            "n_current": result.n_current,
            "drifted": result.drifted,
            "ks_statistic": result.statistics,
            "p_value": result.p_values,
        }

    @app.get("/health")
    def health() -> dict:
        """Liveness: the number of transactions the feature store has seen."""
        return {"status": "ok", "transactions_seen": service.store.n_seen}

    return app
