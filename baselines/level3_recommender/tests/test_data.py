"""The loader against the data README's counts, its error messages, and the three splits."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from baselines.level3_recommender.config import DataConfig
from baselines.level3_recommender.data import (
    DataFormatError,
    DataMissingError,
    MovieLens,
    load_movielens,
    random_split,
    resolve_folder,
    temporal_split,
    user_temporal_split,
)
from baselines.level3_recommender.models import Interactions


def test_counts_match_the_data_readme(movielens: MovieLens) -> None:
    assert len(movielens.ratings) == 100_836
    assert movielens.ratings["userId"].nunique() == 610
    assert len(movielens.movies) == 9_742
    assert len(movielens.tags) == 3_683
    assert movielens.ratings["movieId"].nunique() == 9_724
    assert (movielens.ratings["rating"] == 4.0).sum() == 26_818


def test_missing_file_names_it_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIDISCO_DATA", str(tmp_path))
    with pytest.raises(DataMissingError, match=r"ratings\.csv.*SCIDISCO_DATA"):
        load_movielens(DataConfig().folder)


def _copy_with(tmp_path: Path, name: str, edit: str) -> Path:
    src = resolve_folder(DataConfig().folder)
    dst = tmp_path / "ml"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.txt", "*.md", "links.csv"))
    lines = (dst / name).read_text(encoding="utf-8").splitlines()
    lines[3] = edit
    (dst / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


def test_out_of_range_rating_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy_with(tmp_path, "ratings.csv", "1,6,7.5,964982224")
    with pytest.raises(DataFormatError, match=r"ratings\.csv line 4: `rating` 7\.5"):
        load_movielens(folder)


def test_duplicate_rating_names_the_pair(tmp_path: Path) -> None:
    # Line 4 becomes a second rating of movie 1 by user 1 (line 2 is the first).
    folder = _copy_with(tmp_path, "ratings.csv", "1,1,3.0,964982224")
    with pytest.raises(DataFormatError, match="line 4: user 1 rates movie 1 twice"):
        load_movielens(folder)


def test_wrong_header_is_reported(tmp_path: Path) -> None:
    folder = _copy_with(tmp_path, "movies.csv", "4,Waiting to Exhale (1995),Comedy")
    (folder / "movies.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"lacks column\(s\) \['movieId', 'title', 'genres'\]"
    ):
        load_movielens(folder)


def test_random_split_is_75_25_disjoint_and_seeded(movielens: MovieLens) -> None:
    train, test = random_split(movielens.ratings, 0.25, 42)
    assert (len(train), len(test)) == (75_627, 25_209)
    pairs = lambda f: set(zip(f["userId"], f["movieId"], strict=True))  # noqa: E731
    assert not pairs(train) & pairs(test)
    again, _ = random_split(movielens.ratings, 0.25, 42)
    assert train.equals(again)


def test_temporal_split_puts_the_future_in_test(movielens: MovieLens) -> None:
    train, test = temporal_split(movielens.ratings, 0.25)
    assert train["timestamp"].max() < test["timestamp"].min()
    assert len(train) + len(test) == 100_836
    assert 0.24 < len(test) / 100_836 <= 0.25


def test_user_temporal_split_holds_out_each_users_latest(movielens: MovieLens) -> None:
    train, test = user_temporal_split(movielens.ratings, 0.25)
    assert test["userId"].nunique() == train["userId"].nunique() == 610
    last_train = train.groupby("userId")["timestamp"].max()
    first_test = test.groupby("userId")["timestamp"].min()
    assert (last_train <= first_test).all()
    # Every user rated >= 20 movies, so round(0.25 * n) >= 5 of theirs are held out.
    assert test.groupby("userId").size().min() >= 5
    assert np.isclose(len(test) / 100_836, 0.25, atol=0.01)


def test_rating_of_an_unknown_movie_is_named(movielens: MovieLens) -> None:
    items = np.sort(movielens.movies["movieId"].unique())
    broken = movielens.ratings.head(3).assign(movieId=[1, 424242, 2])
    with pytest.raises(ValueError, match=r"movieId\(s\) \[424242\] that movies.csv lacks"):
        Interactions.build(broken, items)
