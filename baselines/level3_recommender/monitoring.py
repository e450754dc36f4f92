"""Prometheus metrics of the service, in a registry of its own (one per app, so tests can count).

Names follow Prometheus conventions: base units in the name (``_seconds``), counters end in
``_total``, labels of small fixed sets only (route templates, never raw user ids).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

FALLBACK_REASONS = ("store_unavailable", "store_timeout", "model_unavailable", "model_error")
ERROR_KINDS = (
    "store_unavailable",
    "store_timeout",
    "model_error",
    "model_load",
    "fallback_load",
    "unhandled",
)
# Loopback answers take ~1-5 ms; a store wait can reach the timeout (0.25 s) or SQLite's 2 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The counters and histograms the service updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "recsys_http_request_duration_seconds",
            "Time from request received to response sent, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "recsys_http_requests_total",
            "HTTP requests by route template and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.store_seconds = Histogram(
            "recsys_store_lookup_duration_seconds",
            "Time waited on the batch store, timeouts included.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "recsys_fallbacks_total",
            "Answers degraded because a dependency failed, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.errors = Counter(
            "recsys_errors_total",
            "Server-side errors by kind (dependency failures and unhandled exceptions).",
            ["kind"],
            registry=self.registry,
        )
        self.recommendations = Counter(
            "recsys_recommendations_total",
            "Recommendation answers by the source that produced them.",
            ["source"],
            registry=self.registry,
        )

        # Every known series exists from the start at 0, so rate() and alerts see a baseline.
        for reason in FALLBACK_REASONS:
            self.fallbacks.labels(reason=reason)
        for kind in ERROR_KINDS:
            self.errors.labels(kind=kind)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
