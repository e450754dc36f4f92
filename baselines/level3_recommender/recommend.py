"""The decision the service makes per request, and the state it makes it from.

Order of preference: the user's batch list (re-ranked by recent interactions when the model
is up) > a model answer folded from a new user's interactions > the popularity list. Every
step down caused by a failure (not by a user simply being new) is counted by reason.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from .monitoring import ServiceMetrics
from .serving import (
    BatchStore,
    Fallback,
    RecentInteractions,
    Scored,
    ServedModel,
    ServiceSettings,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Source = Literal["batch", "batch_reranked", "cold_start_model", "popularity"]


@dataclass
class ServiceState:
    """Everything a request reads; parts that failed to load are None."""

    settings: ServiceSettings
    store: BatchStore
    model: ServedModel | None
    fallback: Fallback | None
    recent: RecentInteractions
    metrics: ServiceMetrics

    @classmethod
    def load(cls, settings: ServiceSettings) -> ServiceState:
        """Load the model and the popularity list; a part that fails is logged and left out."""
        folder = settings.artifacts
        metrics = ServiceMetrics()
        model = _try_load("model", lambda: ServedModel(folder), metrics)
        fallback = _try_load("fallback", lambda: Fallback.load(folder), metrics)
        recent = RecentInteractions(settings.recent_per_user, settings.max_tracked_users)
        return cls(
            settings, BatchStore(folder, settings.sqlite_busy_s), model, fallback, recent, metrics
        )

    async def check_parts(self) -> dict[str, str]:
        """'ok' or why not, for the store, the model and the popularity list."""
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self.store.ping), self.settings.store_timeout_s
            )
            store = "ok"
        except TimeoutError:
            store = "timeout"
        except sqlite3.Error as exc:
            store = f"unavailable: {exc}"
        return {
            "store": store,
            "model": "ok" if self.model is not None else "unavailable",
            "fallback": "ok" if self.fallback is not None else "unavailable",
        }


@dataclass(frozen=True)
class Answer:
    items: Scored
    source: Source
    reason: str | None = None


def _try_load(part: str, loader: Callable[[], T], metrics: ServiceMetrics) -> T | None:
    try:
        return loader()
    except Exception as exc:  # any broken artifact (zip, pickle, shape) degrades, never crashes
        logger.warning("serving %s unavailable, degraded answers will follow: %s", part, exc)
        metrics.errors.labels(kind=f"{part}_load").inc()
        return None


async def answer(state: ServiceState, user_id: int, k: int) -> Answer:
    """Top-k for one user, degrading step by step (see the module docstring)."""
    recent = state.recent.get(user_id)
    recent_ids = [m for m, _ in recent]
    candidates, failure = await _lookup(state, user_id)
    if failure is not None:
        result = _popular(state, k, recent_ids, failure)
    elif candidates:
        result = _from_batch(state, candidates, recent_ids, k)
    elif recent:
        result = _cold_start(state, recent, k)
    else:
        result = _popular(state, k, recent_ids, None)  # a new user with no history yet
    if result.reason is not None:
        state.metrics.fallbacks.labels(reason=result.reason).inc()
    state.metrics.recommendations.labels(source=result.source).inc()
    return result


async def _lookup(state: ServiceState, user_id: int) -> tuple[Scored, str | None]:
    """The stored candidates, or the reason there are none: never waits past the timeout."""
    start = time.perf_counter()
    try:
        rows = await asyncio.wait_for(
            asyncio.to_thread(state.store.lookup, user_id, state.settings.max_k),
            state.settings.store_timeout_s,
        )
        return rows, None
    except TimeoutError:
        # The worker thread finishes on its own (bounded by sqlite_busy_s); the user does not wait.
        state.metrics.errors.labels(kind="store_timeout").inc()
        return [], "store_timeout"
    except sqlite3.Error as exc:
        logger.warning("batch store unavailable at %s: %s", state.store.path, exc)
        state.metrics.errors.labels(kind="store_unavailable").inc()
        return [], "store_unavailable"
    finally:
        state.metrics.store_seconds.observe(time.perf_counter() - start)


def _from_batch(state: ServiceState, candidates: Scored, recent: list[int], k: int) -> Answer:
    unseen = [(m, s) for m, s in candidates if m not in set(recent)]
    if not recent:
        return Answer(unseen[:k], "batch")
    if state.model is None:
        return Answer(unseen[:k], "batch", "model_unavailable")
    try:
        items = state.model.rerank(candidates, recent, k, state.settings.rerank_weight)
    except Exception as exc:  # a broken model must not break the answer; counted and logged
        logger.warning("re-ranking failed, batch order served: %r", exc)
        state.metrics.errors.labels(kind="model_error").inc()
        return Answer(unseen[:k], "batch", "model_error")
    return Answer(items, "batch_reranked")


def _cold_start(state: ServiceState, recent: list[tuple[int, float]], k: int) -> Answer:
    recent_ids = [m for m, _ in recent]
    if state.model is None:
        return _popular(state, k, recent_ids, "model_unavailable")
    try:
        items = state.model.cold_start(recent, k)
    except Exception as exc:  # same policy as re-ranking
        logger.warning("cold start failed, popularity served: %r", exc)
        state.metrics.errors.labels(kind="model_error").inc()
        return _popular(state, k, recent_ids, "model_error")
    return Answer(items, "cold_start_model") if items else _popular(state, k, recent_ids, None)


def _popular(state: ServiceState, k: int, recent: list[int], reason: str | None) -> Answer:
    assert state.fallback is not None  # the route answers 503 before getting here
    return Answer(state.fallback.top(k, set(recent)), "popularity", reason)
