"""Fixtures of the level-3 tests: the real MovieLens data, loaded once."""

from __future__ import annotations

import pytest

from baselines.level3_recommender.config import DataConfig
from baselines.level3_recommender.data import MovieLens, load_movielens


@pytest.fixture(scope="session")
def movielens() -> MovieLens:
    """All of ml-latest-small (100,836 ratings; loads in well under a second)."""
    return load_movielens(DataConfig().folder)
