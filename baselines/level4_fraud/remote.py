"""A stateless scorer instance: features from the one feature-store instance, model here.

Card windows need every recent payment of the card, terminal windows every payment of the
terminal, so the feature state cannot be split between replicas behind a load balancer. In a
cluster (``k8s/``) one instance holds it (``/features``), and the autoscaled scorer instances
(``serve --features-url URL``) send it each raw payment and score the features it returns. The
same split runs on Ray Serve in ``ray_autoscale.py``.
"""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.service import (
    DuplicatePaymentError,
    FeatureRow,
    FeatureStoreUnavailableError,
    Labels,
    LabelsResult,
    NotAFeatureStoreError,
    Score,
    ServiceMetrics,
    Transaction,
    finish_score,
)


class RemoteFeatureScorer:
    """Scores payments with a local model on features computed by a feature-store instance.

    Args:
        model: fitted scikit-learn pipeline with ``predict_proba``.
        features_url: base URL of the instance serving ``/features`` (e.g. http://fraud-features).
        config: the run's configuration (service section used).
        timeout_s: longest wait for the feature store per call.
    """

    def __init__(
        self, model: object, features_url: str, config: Level4Config, timeout_s: float = 2.0
    ) -> None:
        self.model = model
        self.features_url = features_url
        self.cfg = config.service
        self.metrics = ServiceMetrics(feature_names(config.features.windows_days))
        self.http = httpx.Client(base_url=features_url, timeout=timeout_s)  # thread-safe pool
        self.served = 0
        self._lock = threading.Lock()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            response = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise FeatureStoreUnavailableError(
                f"feature store {self.features_url} unreachable ({exc}); check that service"
            ) from exc
        if response.status_code == 409:
            raise DuplicatePaymentError(response.json()["detail"])
        if response.status_code != 200:
            raise FeatureStoreUnavailableError(
                f"feature store {self.features_url}{path} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        return response.json()

    def score(self, tx: Transaction) -> Score:
        """Get the payment's features from the store, score them here, record metrics."""
        start = time.perf_counter()
        row = FeatureRow.model_validate(self._call("POST", "/features", tx.model_dump(mode="json")))
        with self._lock:
            self.served += 1
        x = np.asarray(row.features, dtype=np.float64)
        return finish_score(self.model, x, tx, row.sequence, start, self.metrics, self.cfg)

    def feature_row(self, tx: Transaction) -> FeatureRow:
        """Never: this instance holds no feature state."""
        raise NotAFeatureStoreError(
            f"this instance only scores; features are served by {self.features_url}/features"
        )

    def add_labels(self, labels: Labels) -> LabelsResult:
        """Forward reported labels to the feature store, which holds the payments."""
        return LabelsResult.model_validate(self._call("POST", "/labels", labels.model_dump()))

    def drift_report(self) -> dict:
        """The feature store's drift check (it sees every payment)."""
        return self._call("GET", "/drift")

    def readiness(self) -> tuple[bool, dict]:
        """Ready when the feature store is."""
        try:
            upstream = self.http.get("/ready", timeout=1.0)
        except httpx.HTTPError as exc:
            return False, {"status": "feature_store_unreachable", "error": str(exc)}
        if upstream.status_code != 200:
            return False, {"status": "feature_store_not_ready", "upstream": upstream.json()}
        return True, {"status": "ready", "model": self.cfg.model, "served": self.served}

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
