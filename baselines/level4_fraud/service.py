"""Real-time scoring service: online features, a fraud score, labels, metrics, drift checks.

Start it with ``python -m baselines.level4_fraud.serve --artifacts DIR`` (see serve.py).

Concurrency: FastAPI runs the plain ``def`` routes in its thread pool, so several payments can
be in flight at once. The feature store and the drift window are mutated under one lock
(:attr:`FraudService.lock`): each payment's features are computed as if the payments had arrived
one by one in the order they took the lock, which each answer's ``sequence`` reports. The model
is read-only and scores outside the lock. The periodic drift check (KS tests against the
training rows) runs in one background thread; a check requested while another is still waiting
to start is skipped and counted, so checks never queue up behind a burst.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import joblib
import numpy as np
from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse
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
from baselines.level4_fraud.config import Level4Config, ServiceConfig
from baselines.level4_fraud.drift import DriftMonitor, DriftResult
from baselines.level4_fraud.online import OnlineFeatureStore

logger = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1)


class Transaction(BaseModel):
    """One card payment to score."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: int = Field(ge=0, description="Unique id of the payment.")
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
    sequence: int = Field(description="1-based order in which this instance processed it.")
    latency_ms: float = Field(description="Feature computation plus scoring time.")


class Label(BaseModel):
    """The outcome of one earlier payment (a confirmed fraud, or cleared)."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: int = Field(ge=0, description="Id of a payment sent to /score before.")
    fraud: int = Field(ge=0, le=1, description="1 fraud, 0 genuine.")


class Labels(BaseModel):
    """A batch of reported labels."""

    model_config = ConfigDict(extra="forbid")

    labels: list[Label] = Field(min_length=1, max_length=100_000)


class LabelsResult(BaseModel):
    """What the store did with a batch of labels."""

    received: int
    updated: int = Field(description="Labels stored (read once older than the delay).")
    unknown: list[int] = Field(description="Ids never scored here or past the terminal horizon.")


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
        self.feature_requests = Counter(
            "fraud_feature_requests", "Feature rows served to scorer instances.", registry=r
        )
        self.labels = Counter("fraud_labels", "Reported labels stored.", registry=r)
        self.labels_unknown = Counter(
            "fraud_labels_unknown", "Reported labels of payments not held.", registry=r
        )
        self.drift_stat = Gauge(
            "fraud_feature_drift_statistic", "KS distance to training.", ["feature"], registry=r
        )
        self.drifted = Gauge("fraud_features_drifted", "Features flagged as drifted.", registry=r)
        self.drift_checks = Counter("fraud_drift_checks", "Drift checks run.", registry=r)
        self.drift_skipped = Counter(
            "fraud_drift_checks_skipped",
            "Drift checks skipped: one was already waiting.",
            registry=r,
        )
        self.drift_seconds = Histogram(
            "fraud_drift_check_seconds",
            "Duration of one drift check (background thread).",
            buckets=(0.05, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=r,
        )
        for name in feature_names:  # every feature appears from the start, 0 until checked
            self.drift_stat.labels(feature=name).set(0.0)


class FeatureRow(BaseModel):
    """The /features answer: one payment's model inputs and its place in the store's stream."""

    features: list[float] = Field(description="Model inputs, in the handbook's order.")
    sequence: int = Field(description="1-based order in which the store processed it.")


class DuplicatePaymentError(ValueError):
    """A payment id that this instance has already processed."""


class NotAFeatureStoreError(LookupError):
    """/features was asked of an instance that takes its features from another one."""


def finish_score(
    model: object,
    x: np.ndarray,
    tx: Transaction,
    sequence: int,
    start: float,
    metrics: ServiceMetrics,
    cfg: ServiceConfig,
) -> Score:
    """Score one feature row and record the request's metrics (``start``: perf_counter)."""
    prob = float(model.predict_proba(x[None, :])[0, 1])  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    alert = prob >= cfg.alert_threshold
    metrics.requests.inc()
    metrics.latency.observe(elapsed)
    metrics.score.observe(prob)
    if alert:
        metrics.alerts.inc()
    return Score(
        transaction_id=tx.transaction_id,
        fraud_probability=prob,
        alert=alert,
        sequence=sequence,
        latency_ms=elapsed * 1000,
    )


class FraudService:
    """Scores payments, takes their labels later, and keeps its own monitoring state.

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
        self.lock = threading.Lock()
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
        self.served = 0
        self.last_drift: DriftResult | None = None
        self._drift_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift")
        self._drift_waiting = False
        self._drift_future: Future[DriftResult] | None = None

    def features(self, tx: Transaction) -> tuple[np.ndarray, int]:
        """Update the store with one payment; its features and its sequence number.

        Raises:
            DuplicatePaymentError: the payment id was processed before (a client retry).
        """
        when = tx.tx_datetime.replace(tzinfo=None)
        with self.lock:
            if tx.transaction_id in self.store:
                raise DuplicatePaymentError(
                    f"transaction_id {tx.transaction_id} was already scored; its features are "
                    "in the store, send each payment once"
                )
            x = self.store.process(
                tx.customer_id, tx.terminal_id, tx.amount, when, tx.fraud, tx.transaction_id
            )
            self.drift.add(x[self.drift_columns])
            self.served += 1
            return x, self.served

    def score(self, tx: Transaction) -> Score:
        """Compute the payment's features, score it, update metrics; request drift checks."""
        start = time.perf_counter()
        x, sequence = self.features(tx)
        answer = finish_score(self.model, x, tx, sequence, start, self.metrics, self.cfg)
        if sequence % self.cfg.drift_every == 0:
            self.request_drift_check()
        return answer

    def feature_row(self, tx: Transaction) -> FeatureRow:
        """The /features answer: what a stateless scorer instance needs from this store."""
        x, sequence = self.features(tx)
        self.metrics.feature_requests.inc()
        return FeatureRow(features=x.tolist(), sequence=sequence)

    def drift_report(self) -> dict:
        """Run the drift check now; per-feature KS results as JSON."""
        result = self.check_drift()
        return {
            "n_current": result.n_current,
            "drifted": result.drifted,
            "ks_statistic": result.statistics,
            "p_value": result.p_values,
        }

    def readiness(self) -> tuple[bool, dict]:
        """Always ready once built: the model is loaded and the store warmed."""
        return True, {"status": "ready", "model": self.cfg.model, "served": self.served}

    def add_labels(self, labels: Labels) -> LabelsResult:
        """Store reported labels; terminal risk reads them once they are older than the delay."""
        reported = {label.transaction_id: label.fraud for label in labels.labels}
        with self.lock:
            unknown = self.store.set_labels(reported)
        self.metrics.labels.inc(len(reported) - len(unknown))
        self.metrics.labels_unknown.inc(len(unknown))
        return LabelsResult(
            received=len(labels.labels), updated=len(reported) - len(unknown), unknown=unknown
        )

    def request_drift_check(self) -> bool:
        """Queue a drift check on the background thread; False if one is already waiting."""
        with self.lock:
            if self._drift_waiting:
                self.metrics.drift_skipped.inc()
                return False
            self._drift_waiting = True
            self._drift_future = self._drift_thread.submit(self._background_check)
        return True

    def _background_check(self) -> DriftResult:
        try:
            return self.check_drift(started=True)
        except Exception:
            logger.exception("drift check failed")
            raise

    def wait_for_drift(self, timeout: float = 60) -> DriftResult | None:
        """Block until the last requested drift check has finished (tests, shutdown)."""
        future = self._drift_future
        return future.result(timeout=timeout) if future is not None else None

    def check_drift(self, started: bool = False) -> DriftResult:
        """Run the KS drift check on the recent window now and publish it as gauges."""
        begin = time.perf_counter()
        with self.lock:
            if started:
                self._drift_waiting = False
            rows = self.drift.snapshot()
        result = self.drift.compare(rows)  # outside the lock: payments keep flowing
        for name, stat in result.statistics.items():
            self.metrics.drift_stat.labels(feature=name).set(stat)
        self.metrics.drifted.set(len(result.drifted))
        self.metrics.drift_checks.inc()
        self.metrics.drift_seconds.observe(time.perf_counter() - begin)
        self.last_drift = result
        if result.drifted:
            logger.warning("feature drift detected: %s", ", ".join(result.drifted))
        return result

    def close(self) -> None:
        """Stop the drift thread (after the check in progress, if any)."""
        self._drift_thread.shutdown(wait=True, cancel_futures=True)


class FeatureStoreUnavailableError(RuntimeError):
    """A scorer instance could not get features from its feature-store instance."""


class MissingArtifactError(FileNotFoundError):
    """The run folder lacks the model or the reference features the service needs."""


def artifact_paths(
    config: Level4Config, artifacts: Path, reference: bool = True
) -> tuple[Path, Path]:
    """The model and reference-feature files the service loads, checked to exist.

    Args:
        config: the run's configuration (``service.model`` names the model file).
        artifacts: the run folder.
        reference: also require the reference features (not needed by a scorer instance).

    Raises:
        MissingArtifactError: one of them is missing.
    """
    model_path = artifacts / f"model_{config.service.model}.joblib"
    reference_path = artifacts / "reference_features.npy"
    for path in (model_path, reference_path) if reference else (model_path,):
        if not path.is_file():
            raise MissingArtifactError(
                f"{path} not found; run `python -m baselines.level4_fraud --out {artifacts}` "
                f"with service.model={config.service.model!r} among models.names first"
            )
    return model_path, reference_path


def load_model(path: Path) -> object:
    """A saved pipeline, set to score one payment per call on one thread."""
    model = joblib.load(path)
    # One payment per call: joblib worker start-up would dominate tree ensembles' latency.
    for step in getattr(model, "named_steps", {}).values():
        if hasattr(step, "n_jobs"):
            step.n_jobs = 1
    return model


def warmed_store(config: Level4Config, start: dt.date) -> OnlineFeatureStore:
    """A feature store holding the labelled history before ``start`` that its windows read."""
    stream = data.load_stream(config)
    store = OnlineFeatureStore(config.features.windows_days, config.features.terminal_delay_days)
    first = dt.datetime.combine(start, dt.time())
    horizon = dt.timedelta(days=config.features.terminal_delay_days + max(store.windows) + 1)
    times = stream["TX_DATETIME"]
    store.warm(stream[(times < first) & (times >= first - horizon)])  # older rows never matter
    logger.info("feature store warmed with %d transactions before %s", store.n_seen, start)
    return store


def load_service(config: Level4Config, artifacts: Path, start: dt.date) -> FraudService:
    """Build a service from a run's artifacts, its store warmed with all history before ``start``.

    Raises:
        MissingArtifactError: the run folder lacks the model or the reference features.
        MissingDataError: the transaction files are not under ``SCIDISCO_DATA``.
    """
    model_path, reference_path = artifact_paths(config, artifacts)
    model = load_model(model_path)
    return FraudService(model, warmed_store(config, start), np.load(reference_path), config)


class Scorer(Protocol):
    """What the HTTP layer needs: a :class:`FraudService` (stateful, the feature store) or a
    :class:`~baselines.level4_fraud.remote.RemoteFeatureScorer` (stateless, features from one)."""

    metrics: ServiceMetrics

    def score(self, tx: Transaction) -> Score: ...
    def feature_row(self, tx: Transaction) -> FeatureRow: ...
    def add_labels(self, labels: Labels) -> LabelsResult: ...
    def drift_report(self) -> dict: ...
    def readiness(self) -> tuple[bool, dict]: ...
    def close(self) -> None: ...


class _State:
    """The app's service, once built (warm-up may run after the server has started)."""

    def __init__(self, service: Scorer | None) -> None:
        self.service = service
        self.error: str | None = None

    def build(self, loader: Callable[[], Scorer]) -> None:
        try:
            self.service = loader()
        except Exception as exc:  # reported by /ready and logged; liveness stays up
            logger.exception("service warm-up failed")
            self.error = f"{type(exc).__name__}: {exc}"

    def ready(self) -> Scorer:
        if self.service is None:
            status = "failed" if self.error else "warming_up"
            raise HTTPException(503, detail=f"not ready ({status}); poll GET /ready")
        return self.service


def create_app(
    service: Scorer | None = None, loader: Callable[[], Scorer] | None = None
) -> FastAPI:
    """The HTTP API: /score, /features, /labels, /metrics, /drift, /ready, /health.

    Args:
        service: a ready service; or None with ``loader``, which builds it in a background
            thread after start-up (feature-store warm-up takes seconds), /ready answering 503
            until it is done.
        loader: builds the service (see above).
    """
    if (service is None) == (loader is None):
        raise ValueError("create_app needs exactly one of `service` and `loader`")
    state = _State(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if loader is not None:
            threading.Thread(target=state.build, args=(loader,), daemon=True).start()
        yield
        if state.service is not None:
            state.service.close()

    app = FastAPI(title="Level 4 fraud scoring", version="1.1", lifespan=lifespan)

    @app.post("/score", response_model=Score)
    def score(tx: Transaction) -> Score:
        """Score one payment and return its fraud probability and alert flag.

        409 if the payment id was already scored (features are never counted twice).
        """
        try:
            return state.ready().score(tx)
        except DuplicatePaymentError as exc:
            raise HTTPException(409, detail=str(exc)) from exc
        except FeatureStoreUnavailableError as exc:
            raise HTTPException(503, detail=str(exc)) from exc

    @app.post("/features", response_model=FeatureRow)
    def features(tx: Transaction) -> FeatureRow:
        """Add one payment to this instance's feature store and return its model inputs.

        What stateless scorer instances call (one feature-store instance serves them all, so no
        card's history is split). 404 on a scorer instance, 409 for a payment already seen.
        """
        try:
            return state.ready().feature_row(tx)
        except DuplicatePaymentError as exc:
            raise HTTPException(409, detail=str(exc)) from exc
        except NotAFeatureStoreError as exc:
            raise HTTPException(404, detail=str(exc)) from exc

    @app.post("/labels", response_model=LabelsResult)
    def labels(batch: Labels) -> LabelsResult:
        """Report the outcome of earlier payments (confirmed fraud 1, genuine 0).

        Terminal risk counts a payment as fraud only once its label is reported and older than
        the delay; without labels every served payment counts as genuine.
        """
        try:
            return state.ready().add_labels(batch)
        except FeatureStoreUnavailableError as exc:
            raise HTTPException(503, detail=str(exc)) from exc

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        registry = state.ready().metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/drift")
    def drift() -> dict:
        """Run the drift check on the recent window now and return per-feature results."""
        try:
            return state.ready().drift_report()
        except FeatureStoreUnavailableError as exc:
            raise HTTPException(503, detail=str(exc)) from exc

    @app.get("/ready")
    def ready() -> JSONResponse:
        """Readiness: 200 once the model is loaded and the feature store warmed (a scorer
        instance: and its feature-store instance ready), else 503."""
        if state.service is None:
            status = "failed" if state.error else "warming_up"
            return JSONResponse({"status": status, "error": state.error}, status_code=503)
        ok, body = state.service.readiness()
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/health")
    def health() -> JSONResponse:
        """Liveness: 200 while the process answers (ready or warming up); 503 if warm-up failed."""
        if state.error:
            return JSONResponse({"status": "failed", "error": state.error}, status_code=503)
        return JSONResponse({"status": "ok", "ready": state.service is not None})

    return app
