"""The real-time service: FastAPI over the batch store, with re-ranking, cold start and fallbacks.

Routes:
    GET  /recommendations/{user_id}?k=10   top-k for a user (batch, re-ranked, cold start)
    POST /users/{user_id}/interactions     record what the user just rated or watched
    GET  /healthz                          liveness: the process answers
    GET  /readyz                           readiness: 200 while any answer is possible
    GET  /metrics                          Prometheus text exposition
"""

# No `from __future__ import annotations`: FastAPI must resolve the route annotations, and the
# `k` bound is read from the settings inside create_app, which string annotations cannot see.
import logging
import time
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .monitoring import ServiceMetrics
from .recommend import Answer, ServiceState, answer

logger = logging.getLogger(__name__)

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="MovieLens userId (new ids welcome).")]


class Item(BaseModel):
    movie_id: int
    title: str | None
    score: float


class Recommendations(BaseModel):
    user_id: int
    items: list[Item]
    source: Literal["batch", "batch_reranked", "cold_start_model", "popularity"]
    fallback_reason: str | None = Field(
        description="Why a degraded answer was given; null when every dependency answered."
    )


class InteractionIn(BaseModel):
    movie_id: int = Field(ge=1, description="MovieLens movieId the user interacted with.")
    rating: float = Field(default=4.0, ge=0.5, le=5.0, description="Stars; 4.0 if omitted.")


class InteractionOut(BaseModel):
    user_id: int
    recent: list[int] = Field(description="The user's recent movieIds, oldest first.")


def create_app(state: ServiceState) -> FastAPI:
    """Build the app around loaded serving state (see ``ServiceState.load``)."""
    app = FastAPI(title="Level 3 recommender", version="1.0")
    app.state.l3 = state
    metrics = state.metrics
    app.add_middleware(_Observe, metrics=metrics)
    app.add_exception_handler(RequestValidationError, _validation_handler)

    @app.get("/recommendations/{user_id}", response_model=Recommendations)
    async def recommendations(
        user_id: UserId,
        k: Annotated[int, Query(ge=1, le=state.settings.max_k, description="List length.")] = 10,
    ) -> Recommendations:
        """Top-k movies for a user: the batch list re-ranked by recent interactions, a model
        answer for a new user with interactions, popularity otherwise or when a part fails."""
        if state.fallback is None:
            raise HTTPException(503, "no popularity list loaded; rerun the batch job")
        result: Answer = await answer(state, user_id, k)
        titles = state.fallback.titles
        items = [Item(movie_id=m, title=titles.get(m), score=s) for m, s in result.items]
        return Recommendations(
            user_id=user_id, items=items, source=result.source, fallback_reason=result.reason
        )

    @app.post("/users/{user_id}/interactions", status_code=201, response_model=InteractionOut)
    async def add_interaction(user_id: UserId, event: InteractionIn) -> InteractionOut:
        """Record one interaction; the next recommendations for this user account for it."""
        if state.fallback is not None and event.movie_id not in state.fallback.titles:
            raise HTTPException(
                404,
                f"movie_id {event.movie_id} is not in the catalogue "
                f"({len(state.fallback.titles)} movies); send a MovieLens movieId",
            )
        state.recent.add(user_id, event.movie_id, event.rating)
        return InteractionOut(user_id=user_id, recent=[m for m, _ in state.recent.get(user_id)])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up and its event loop answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 ("ready", or "degraded" when the store or model is down but
        popularity can answer); 503 when not even the popularity list is loaded."""
        parts = await state.check_parts()
        ok = parts["fallback"] == "ok"
        status = "not_ready" if not ok else "ready" if set(parts.values()) == {"ok"} else "degraded"
        return JSONResponse({"status": status, **parts}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus text exposition of this process's metrics."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


class _Observe:
    """Pure ASGI middleware: latency and status per route template, 500 for unhandled errors.

    Pure ASGI rather than ``@app.middleware("http")``: the latter wraps every response in an
    extra task and stream, a measurable cost at millisecond latencies.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except Exception:
            logger.exception("unhandled error on %s", scope.get("path"))
            self.metrics.errors.labels(kind="unhandled").inc()
            if not status["started"]:
                body = JSONResponse({"detail": "internal error; see the service log"}, 500)
                await body(scope, receive, send_observed)
        finally:
            # Label by template (/recommendations/{user_id}); unmatched paths share one label.
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            elapsed = time.perf_counter() - start
            self.metrics.request_seconds.labels(template, method).observe(elapsed)
            self.metrics.requests.labels(template, method, str(status["code"])).inc()


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with one readable sentence per problem: where, what is wrong, what was received."""
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(err) for err in exc.errors()]
    return JSONResponse({"detail": "; ".join(problems)}, status_code=422)


def _describe(err: dict[str, Any]) -> str:
    where, *path = err["loc"]
    place = f"{where} `{'.'.join(str(p) for p in path)}`" if path else where
    received = f" (got {err['input']!r})" if err.get("type") != "missing" else ""
    return f"{place}: {err['msg']}{received}"
