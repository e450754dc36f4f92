"""Batch job: fit the serving model on every rating and precompute each user's top-N into SQLite.

The serving folder it writes is everything the live service reads:

- ``store.sqlite``: table ``recommendations(user_id, rank, movie_id, score)`` and ``meta``;
- ``model.npz`` + ``model_items.npz``: the implicit ALS model, its index -> movieId map and its
  confidence scale ``alpha``, used to re-rank with recent interactions and to answer new users;
- ``fallback.json``: the popularity list and the titles, loaded into memory by the service so
  it can still answer when the store or the model is gone.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .config import Level3Config
from .data import MovieLens
from .layout import FALLBACK, MODEL, MODEL_ITEMS, STORE
from .models import Als, Interactions, Popularity

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE recommendations (
    user_id INTEGER NOT NULL, rank INTEGER NOT NULL, movie_id INTEGER NOT NULL,
    score REAL NOT NULL, PRIMARY KEY (user_id, rank)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def run_batch(ml: MovieLens, cfg: Level3Config, out: Path, chunk: int = 128) -> dict[str, float]:
    """Fit ALS on all ratings and write the serving folder ``out``.

    Args:
        ml: The loaded data; every rating trains the served model.
        cfg: Run config (``models.als`` and ``batch.top_n`` are read).
        out: Folder to (over)write.
        chunk: Users scored per call to the model.

    Returns:
        ``batch/users``, ``batch/rows`` and ``batch/seconds``.
    """
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    data = Interactions.build(ml.ratings, np.sort(ml.movies["movieId"].unique()))
    model = Als(cfg.models.als, cfg.split.seed)
    model.fit(data)
    model.model.save(str(out / MODEL))
    np.savez(out / MODEL_ITEMS, item_ids=data.item_ids, alpha=np.float64(cfg.models.als.alpha))
    _write_fallback(ml, data, out / FALLBACK, cfg.batch.top_n)

    tmp = out / (STORE + ".tmp")
    tmp.unlink(missing_ok=True)
    rows = 0
    with sqlite3.connect(tmp) as db:
        db.executescript(SCHEMA)
        for lo in tqdm(range(0, len(data.user_ids), chunk), desc="batch top-N", leave=False):
            users = np.arange(lo, min(lo + chunk, len(data.user_ids)))
            ids, scores = model.model.recommend(
                users,
                data.matrix[users],
                N=cfg.batch.top_n,
                filter_already_liked_items=True,
                filter_items=model.cold_items,
            )
            batch = [
                (int(data.user_ids[u]), rank, int(data.item_ids[i]), float(s))
                for u, row_ids, row_scores in zip(users, ids, scores, strict=True)
                for rank, (i, s) in enumerate(zip(row_ids, row_scores, strict=True))
            ]
            db.executemany("INSERT INTO recommendations VALUES (?, ?, ?, ?)", batch)
            rows += len(batch)
        meta = {"model": "als", "top_n": str(cfg.batch.top_n), "created_unix": str(time.time())}
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    # Readers never see a half-written store: the new file replaces the old one atomically.
    tmp.replace(out / STORE)
    seconds = time.perf_counter() - start
    logger.info(
        "batch store: %d users, %d rows in %.1f s -> %s", len(data.user_ids), rows, seconds, out
    )
    return {
        "batch/users": float(len(data.user_ids)),
        "batch/rows": float(rows),
        "batch/seconds": seconds,
    }


def _write_fallback(ml: MovieLens, data: Interactions, path: Path, top_n: int) -> None:
    popularity = Popularity()
    popularity.fit(data)
    order = np.argsort(-popularity.counts, kind="stable")[:top_n]
    payload = {
        "popular": [[int(data.item_ids[i]), float(popularity.counts[i])] for i in order],
        "titles": {
            str(m): t for m, t in zip(ml.movies["movieId"], ml.movies["title"], strict=True)
        },
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
