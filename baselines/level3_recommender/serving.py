"""What the live service reads and computes: settings, the batch store, the model, the fallback.

Each part can fail on its own; the service (``service.py``) decides what to do when one does.
Nothing here touches HTTP.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from .layout import FALLBACK, MODEL, MODEL_ITEMS, STORE

Scored = list[tuple[int, float]]  # (movieId, score), best first


class ServiceSettings(BaseModel):
    """Service knobs, read from ``L3_*`` environment variables by ``from_env``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    artifacts: Path = Field(description="Serving folder written by the batch job.")
    store_timeout_s: float = Field(
        default=0.25, gt=0, description="Longest wait for the store before answering popularity."
    )
    sqlite_busy_s: float = Field(
        default=2.0, gt=0, description="SQLite's own wait on a locked store (above the timeout)."
    )
    rerank_weight: float = Field(
        default=0.5, ge=0, le=1, description="Share of the re-ranked score from recent items."
    )
    max_k: int = Field(default=100, ge=1, description="Largest `k` a client may ask for.")
    recent_per_user: int = Field(default=20, ge=1, description="Recent interactions kept per user.")
    max_tracked_users: int = Field(
        default=100_000, ge=1, description="Users whose recent interactions are kept (LRU)."
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ServiceSettings:
        """Build from ``L3_ARTIFACTS``, ``L3_STORE_TIMEOUT_S``, ``L3_SQLITE_BUSY_S``, ...

        ``L3_ARTIFACTS`` defaults to ``./serving``; every other field to its default.
        """
        raw = {
            name: environ[f"L3_{name.upper()}"]
            for name in cls.model_fields
            if f"L3_{name.upper()}" in environ
        }
        raw.setdefault("artifacts", "serving")
        return cls.model_validate(raw)


@dataclass(frozen=True)
class Fallback:
    """Most-popular movies and all titles, held in memory: the answer of last resort."""

    popular: Scored
    titles: dict[int, str]

    @classmethod
    def load(cls, folder: Path) -> Fallback:
        payload = json.loads((folder / FALLBACK).read_text(encoding="utf-8"))
        popular = [(int(m), float(s)) for m, s in payload["popular"]]
        return cls(popular, {int(m): t for m, t in payload["titles"].items()})

    def top(self, k: int, exclude: set[int]) -> Scored:
        """The k most popular movies not in ``exclude``."""
        return [(m, s) for m, s in self.popular if m not in exclude][:k]


class BatchStore:
    """Read-only access to the precomputed top-N table; one connection per lookup."""

    def __init__(self, folder: Path, busy_s: float) -> None:
        self.path = folder / STORE
        self.busy_s = busy_s

    def _connect(self) -> sqlite3.Connection:
        # mode=ro: a missing file is an error here, never a new empty database.
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.busy_s)

    def lookup(self, user_id: int, limit: int) -> Scored:
        """The user's stored candidates, best first; empty for a user the batch never saw."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT movie_id, score FROM recommendations WHERE user_id = ? "
                "ORDER BY rank LIMIT ?",
                (user_id, limit),
            ).fetchall()
        return [(int(m), float(s)) for m, s in rows]

    def ping(self) -> dict[str, str]:
        """The store's meta table (raises ``sqlite3.Error`` when it is unusable)."""
        with self._connect() as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())


class ServedModel:
    """The ALS model of the batch job, for re-ranking and for users the batch never saw."""

    def __init__(self, folder: Path) -> None:
        with threadpool_limits(1, "blas"):  # implicit checks the BLAS threads when built
            self.als = AlternatingLeastSquares.load(str(folder / MODEL))
        with np.load(folder / MODEL_ITEMS) as items:
            self.item_ids = items["item_ids"]
            self.alpha = float(items["alpha"])
        if len(self.item_ids) != self.als.item_factors.shape[0]:
            raise ValueError(
                f"{folder / MODEL_ITEMS} lists {len(self.item_ids)} items but the model has "
                f"{self.als.item_factors.shape[0]}; rerun the batch job"
            )
        self.index = {int(m): i for i, m in enumerate(self.item_ids)}
        norms = np.linalg.norm(self.als.item_factors, axis=1, keepdims=True)
        self.unit = self.als.item_factors / np.maximum(norms, 1e-12)

    def rerank(self, candidates: Scored, recent: list[int], k: int, weight: float) -> Scored:
        """Blend batch rank with cosine similarity to the recent movies; drop those movies.

        score = (1 - weight) * (1 - rank / N) + weight * mean cosine(candidate, recent).
        """
        known = [self.index[m] for m in recent if m in self.index]
        pool = [(m, s) for m, s in candidates if m not in set(recent)]
        if not known or not pool:
            return pool[:k]
        profile = self.unit[known].mean(axis=0)
        similarity = self.unit[[self.index[m] for m, _ in pool]] @ profile
        base = 1.0 - np.arange(len(pool)) / len(candidates)
        blended = (1.0 - weight) * base + weight * similarity
        order = np.argsort(-blended, kind="stable")[:k]
        return [(pool[i][0], float(blended[i])) for i in order]

    def cold_start(self, recent: list[tuple[int, float]], k: int) -> Scored:
        """Fold a new user's interactions into ALS (one least-squares solve) and rank."""
        cols = [self.index[m] for m, _ in recent if m in self.index]
        if not cols:
            return []
        weights = np.array([self.alpha * r / 5.0 for m, r in recent if m in self.index])
        row = sp.csr_matrix(
            (weights.astype(np.float32), (np.zeros(len(cols), dtype=int), cols)),
            shape=(1, len(self.item_ids)),
        )
        ids, scores = self.als.recommend(0, row, N=k, recalculate_user=True)
        return [(int(self.item_ids[i]), float(s)) for i, s in zip(ids, scores, strict=True)]


class RecentInteractions:
    """Each user's latest interactions, in memory, bounded per user and in users (LRU)."""

    def __init__(self, per_user: int, max_users: int) -> None:
        self.per_user = per_user
        self.max_users = max_users
        self._by_user: OrderedDict[int, deque[tuple[int, float]]] = OrderedDict()

    def add(self, user_id: int, movie_id: int, rating: float) -> None:
        events = self._by_user.pop(user_id, None) or deque(maxlen=self.per_user)
        events.append((movie_id, rating))
        self._by_user[user_id] = events
        while len(self._by_user) > self.max_users:
            self._by_user.popitem(last=False)

    def get(self, user_id: int) -> list[tuple[int, float]]:
        """Oldest first; empty for a user with none."""
        return list(self._by_user.get(user_id, ()))
