"""Load MovieLens ml-latest-small from SCIDISCO_DATA and split it for offline evaluation."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIRED_COLUMNS = {
    "ratings.csv": ["userId", "movieId", "rating", "timestamp"],
    "movies.csv": ["movieId", "title", "genres"],
    "tags.csv": ["userId", "movieId", "tag", "timestamp"],
}


class DataMissingError(FileNotFoundError):
    """A data file the task needs is not where SCIDISCO_DATA points."""


class DataFormatError(ValueError):
    """A data file exists but its content is not what the loader expects."""


@dataclass(frozen=True)
class MovieLens:
    """The three tables the level reads (links.csv is not needed)."""

    ratings: pd.DataFrame
    movies: pd.DataFrame
    tags: pd.DataFrame


def data_root() -> Path:
    """The data root: ``$SCIDISCO_DATA``, else ``<repo>/../shared/data``."""
    env = os.environ.get("SCIDISCO_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def resolve_folder(folder: str) -> Path:
    """Resolve a config folder: absolute as given, else relative to the data root."""
    path = Path(folder)
    return path if path.is_absolute() else data_root() / path


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise DataMissingError(
            f"missing data file {path}; set SCIDISCO_DATA to the folder that holds "
            f"baselines/level3/ml-latest-small/ (now: {data_root()})"
        )
    frame = pd.read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"{path}: header lacks column(s) {missing} (got {list(frame.columns)}); "
            "use the unmodified GroupLens file"
        )
    return frame


def _check_ratings(ratings: pd.DataFrame, path: Path) -> None:
    bad = ~ratings["rating"].between(0.5, 5.0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            f"{path} line {row + 2}: `rating` {float(ratings['rating'].iloc[row])} is outside "
            "0.5-5.0; fix or drop that line"
        )
    dup = ratings.duplicated(["userId", "movieId"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataFormatError(
            f"{path} line {row + 2}: user {ratings['userId'].iloc[row]} rates movie "
            f"{ratings['movieId'].iloc[row]} twice; keep one rating per pair"
        )


def load_movielens(folder: str | Path, max_users: int | None = None) -> MovieLens:
    """Read and validate ratings, movies and tags.

    Args:
        folder: The ml-latest-small folder (absolute, or relative to the data root).
        max_users: Keep only the users with the N smallest ids (small test runs).

    Raises:
        DataMissingError: A file is missing (the message names it and SCIDISCO_DATA).
        DataFormatError: A header or a value is wrong (the message names file and line).
    """
    path = resolve_folder(str(folder))
    ratings = _read(path, "ratings.csv")
    movies = _read(path, "movies.csv")
    tags = _read(path, "tags.csv")
    _check_ratings(ratings, path / "ratings.csv")
    if max_users is not None:
        keep = np.sort(ratings["userId"].unique())[:max_users]
        ratings = ratings[ratings["userId"].isin(keep)].reset_index(drop=True)
    logger.info("loaded %d ratings by %d users", len(ratings), ratings["userId"].nunique())
    return MovieLens(ratings=ratings, movies=movies, tags=tags)


def random_split(
    ratings: pd.DataFrame, test_fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a uniformly random share of all ratings (the published-table protocol)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ratings))
    n_test = round(len(ratings) * test_fraction)
    test = ratings.iloc[np.sort(order[:n_test])]
    train = ratings.iloc[np.sort(order[n_test:])]
    return train.reset_index(drop=True), test.reset_index(drop=True)


def temporal_split(
    ratings: pd.DataFrame, test_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut at one global instant: train on the past, test on the future (what a service sees).

    Ties at the cut instant go to train, so the held-out share is at most ``test_fraction``.
    """
    cut = ratings["timestamp"].quantile(1.0 - test_fraction, interpolation="lower")
    train = ratings[ratings["timestamp"] <= cut]
    test = ratings[ratings["timestamp"] > cut]
    return train.reset_index(drop=True), test.reset_index(drop=True)


def user_temporal_split(
    ratings: pd.DataFrame, test_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each user's latest ratings (their last ``test_fraction``, at least one).

    Honest about each user's own order, not about other users: their later ratings still train.
    """
    ordered = ratings.sort_values(["userId", "timestamp", "movieId"], kind="stable")
    position = ordered.groupby("userId").cumcount()
    size = ordered.groupby("userId")["movieId"].transform("size")
    n_test = np.maximum(1, np.round(size * test_fraction)).astype(int)
    is_test = position >= size - n_test
    return (
        ordered[~is_test].sort_index().reset_index(drop=True),
        ordered[is_test].sort_index().reset_index(drop=True),
    )
