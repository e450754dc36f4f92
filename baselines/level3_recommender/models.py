"""Recommenders compared offline: most-popular, implicit ALS and BPR, and a genre/tag content model.

Every model sees the same ``Interactions`` (a user x item matrix of training ratings) and
answers the same question: the top-k items per user, never an item the user rated in training.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.bpr import BayesianPersonalizedRanking
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from .config import AlsConfig, BprConfig, ContentConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Interactions:
    """Training ratings as a CSR matrix with the id <-> index maps."""

    matrix: sp.csr_matrix  # (n_users, n_items) float32 ratings, 0 where unrated
    user_ids: np.ndarray  # index -> MovieLens userId
    item_ids: np.ndarray  # index -> MovieLens movieId (every movie in movies.csv)

    @classmethod
    def build(cls, ratings: pd.DataFrame, item_ids: np.ndarray) -> Interactions:
        """Index ``ratings`` over every user in it and the given item universe."""
        user_ids = np.sort(ratings["userId"].unique())
        rows = np.searchsorted(user_ids, ratings["userId"].to_numpy())
        cols = np.searchsorted(item_ids, ratings["movieId"].to_numpy())
        found = item_ids[np.minimum(cols, len(item_ids) - 1)] == ratings["movieId"].to_numpy()
        if not found.all():
            missing = ratings["movieId"].to_numpy()[~found][:5].tolist()
            raise ValueError(f"ratings name movieId(s) {missing} that movies.csv lacks")
        values = ratings["rating"].to_numpy(dtype=np.float32)
        shape = (len(user_ids), len(item_ids))
        return cls(sp.csr_matrix((values, (rows, cols)), shape=shape), user_ids, item_ids)

    def item_counts(self) -> np.ndarray:
        """Number of training ratings per item."""
        return np.asarray((self.matrix > 0).sum(axis=0)).ravel()


class Recommender(Protocol):
    """What the evaluation and the batch job need from a model."""

    name: str

    def fit(self, data: Interactions) -> None: ...

    def recommend(self, data: Interactions, users: np.ndarray, k: int) -> np.ndarray:
        """Item indices, shape (len(users), k), best first, training items excluded."""
        ...


def _top_k(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> np.ndarray:
    scores = scores.copy()
    scores[seen.nonzero()] = -np.inf
    part = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


class Popularity:
    """Most-rated items first: the baseline every learned model must beat."""

    name = "popularity"

    def fit(self, data: Interactions) -> None:
        self.counts = data.item_counts().astype(float)

    def recommend(self, data: Interactions, users: np.ndarray, k: int) -> np.ndarray:
        scores = np.broadcast_to(self.counts, (len(users), len(self.counts)))
        return _top_k(scores, data.matrix[users], k)


class _Implicit:
    """Shared glue for implicit's factor models (confidence = alpha * rating / 5)."""

    name: str
    model: AlternatingLeastSquares | BayesianPersonalizedRanking
    alpha: float = 1.0

    def fit(self, data: Interactions) -> None:
        weights = data.matrix.copy()
        weights.data = self.alpha * weights.data / 5.0
        # implicit parallelises itself; a multi-threaded BLAS underneath slows it (its warning).
        with threadpool_limits(1, "blas"):
            self.model.fit(weights.tocsr(), show_progress=False)
        # Items nobody rated in training keep their random/zero init; never recommend them.
        self.cold_items = np.flatnonzero(data.item_counts() == 0)

    def recommend(self, data: Interactions, users: np.ndarray, k: int) -> np.ndarray:
        ids, _ = self.model.recommend(
            users,
            data.matrix[users],
            N=k,
            filter_already_liked_items=True,
            filter_items=self.cold_items,
        )
        return np.asarray(ids)


class Als(_Implicit):
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) via ``implicit``."""

    name = "als"

    def __init__(self, cfg: AlsConfig, seed: int) -> None:
        self.alpha = cfg.alpha
        with threadpool_limits(1, "blas"):  # implicit checks the BLAS threads when built
            self.model = AlternatingLeastSquares(
                factors=cfg.factors,
                regularization=cfg.regularization,
                iterations=cfg.iterations,
                random_state=seed,
                num_threads=1,
            )


class Bpr(_Implicit):
    """Bayesian personalised ranking (Rendle et al. 2009) via ``implicit``."""

    name = "bpr"

    def __init__(self, cfg: BprConfig, seed: int) -> None:
        with threadpool_limits(1, "blas"):
            self.model = BayesianPersonalizedRanking(
                factors=cfg.factors,
                learning_rate=cfg.learning_rate,
                regularization=cfg.regularization,
                iterations=cfg.iterations,
                random_state=seed,
                num_threads=1,
            )


class Content:
    """TF-IDF over each movie's genres and tags; a user is the sum of the movies they rated.

    Tags are applied by users over time: pass only tags from the training period so the
    temporal evaluation does not read the future.
    """

    name = "content"

    def __init__(self, cfg: ContentConfig, movies: pd.DataFrame, tags: pd.DataFrame) -> None:
        self.cfg = cfg
        self.movies = movies
        self.tags = tags

    def fit(self, data: Interactions) -> None:
        docs = _movie_documents(self.movies, self.tags).reindex(data.item_ids, fill_value="")
        vectorizer = TfidfVectorizer(min_df=self.cfg.min_df, token_pattern=r"[^|]+")
        self.item_vectors = normalize(vectorizer.fit_transform(docs.to_numpy()))
        counts = np.log1p(data.item_counts().astype(float))
        self.prior = counts / max(counts.max(), 1.0)

    def recommend(self, data: Interactions, users: np.ndarray, k: int) -> np.ndarray:
        liked = data.matrix[users]
        profiles = normalize(liked @ self.item_vectors)
        similarity = (profiles @ self.item_vectors.T).toarray()
        b = self.cfg.popularity_blend
        return _top_k((1.0 - b) * similarity + b * self.prior, liked, k)


def _movie_documents(movies: pd.DataFrame, tags: pd.DataFrame) -> pd.Series:
    """One '|'-joined document of genre and lower-cased tag terms per movieId."""
    genres = movies.set_index("movieId")["genres"].replace("(no genres listed)", "")
    tag_terms = (
        tags.assign(tag=tags["tag"].astype(str).str.strip().str.lower().str.replace("|", " "))
        .groupby("movieId")["tag"]
        .agg("|".join)
    )
    return genres.str.cat(tag_terms.reindex(genres.index, fill_value=""), sep="|")
