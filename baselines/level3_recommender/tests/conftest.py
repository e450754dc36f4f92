"""Fixtures of the level-3 tests: the real MovieLens data and one small serving folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from baselines.level3_recommender.config import DataConfig
from baselines.level3_recommender.data import MovieLens, load_movielens
from baselines.level3_recommender.task import run

# Small and fast (about 5 s): the first 100 users, two models, two splits, 30 candidates each.
SMALL_CONFIG = {
    "data": {"max_users": 100},
    "models": {
        "evaluate": ["popularity", "als"],
        "als": {"factors": 16, "regularization": 1.0, "alpha": 3.0, "iterations": 8},
    },
    "eval": {"splits": ["random", "temporal_user"], "repeat_seeds": [1]},
    "batch": {"top_n": 30},
}


@pytest.fixture(scope="session")
def movielens() -> MovieLens:
    """All of ml-latest-small (100,836 ratings; loads in well under a second)."""
    return load_movielens(DataConfig().folder)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    """One end-to-end ``run`` on the small config: (output folder, metrics)."""
    out = tmp_path_factory.mktemp("l3run")
    config = out / "small.yaml"
    config.write_text(yaml.safe_dump(SMALL_CONFIG), encoding="utf-8")
    return out, run(config, out / "result")


@pytest.fixture
def serving(small_run: tuple[Path, dict[str, float]], tmp_path: Path) -> Path:
    """A private copy of the serving folder, free to break."""
    out, _ = small_run
    return Path(shutil.copytree(out / "result" / "serving", tmp_path / "serving"))
