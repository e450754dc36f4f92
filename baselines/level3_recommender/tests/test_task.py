"""End to end: ``run`` on a small config writes metrics, config, table and the batch store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from baselines.level3_recommender.__main__ import main
from baselines.level3_recommender.config import Level3Config
from baselines.level3_recommender.data import MovieLens

from .conftest import SMALL_CONFIG


def test_run_writes_its_outputs(small_run: tuple[Path, dict[str, float]]) -> None:
    out, metrics = small_run
    result = out / "result"
    assert json.loads((result / "metrics.json").read_text()) == metrics
    resolved = yaml.safe_load((result / "config.resolved.yaml").read_text())
    assert Level3Config.model_validate(resolved) == Level3Config.model_validate(SMALL_CONFIG)
    table = (result / "metrics.md").read_text()
    assert table.count("\n| random |") == 2 and table.count("\n| temporal_user |") == 2
    assert "Random 75/25 split over 2 seeds" in table
    assert all(isinstance(v, float) and v == v for v in metrics.values())  # no NaN
    files = {p.name for p in (result / "serving").iterdir()}
    assert files == {"store.sqlite", "model.npz", "model_items.npz", "fallback.json"}


def test_counts_follow_the_config(small_run: tuple[Path, dict[str, float]]) -> None:
    _, metrics = small_run
    assert metrics["batch/users"] == 100.0
    assert metrics["batch/rows"] == 100.0 * 30
    # Each of the 100 users keeps >= 15 training ratings and gets >= 5 held-out ones.
    assert metrics["temporal_user/users_scored"] == 100.0
    assert metrics["random/users_cold"] == 0.0
    assert metrics["random_repeats/seeds"] == 2.0  # split.seed 42 and repeat_seeds [1]
    assert metrics["random_repeats/als/precision@10_std"] >= 0.0


def test_als_beats_popularity_on_both_splits(small_run: tuple[Path, dict[str, float]]) -> None:
    _, metrics = small_run
    for split in ("random", "temporal_user"):
        assert metrics[f"{split}/als/precision@10"] > metrics[f"{split}/popularity/precision@10"]
        assert metrics[f"{split}/als/lift_precision@10"] > 1.0
        assert metrics[f"{split}/als/coverage@10"] > metrics[f"{split}/popularity/coverage@10"]


def test_store_never_repeats_a_rated_movie(
    small_run: tuple[Path, dict[str, float]], movielens: MovieLens
) -> None:
    out, _ = small_run
    with sqlite3.connect(out / "result" / "serving" / "store.sqlite") as db:
        rows = db.execute(
            "SELECT rank, movie_id, score FROM recommendations WHERE user_id = 1 ORDER BY rank"
        ).fetchall()
    assert [r[0] for r in rows] == list(range(30))
    rated = set(movielens.ratings.loc[movielens.ratings["userId"] == 1, "movieId"])
    assert len(rated) == 232
    assert not rated & {r[1] for r in rows}
    scores = [r[2] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_main_exits_2_with_a_clear_message_when_data_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCIDISCO_DATA", str(tmp_path / "nowhere"))
    assert main(["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "ratings.csv" in err and "SCIDISCO_DATA" in err
