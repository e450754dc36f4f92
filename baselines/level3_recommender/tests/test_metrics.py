"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from baselines.level3_recommender.metrics import evaluate_lists, user_metrics


def test_one_user_by_hand() -> None:
    # Hits at ranks 1 and 3 of 4 shown; 3 relevant items in all.
    got = user_metrics([10, 11, 12, 13], {10, 12, 99}, k=4)
    assert got["precision"] == pytest.approx(2 / 4)
    assert got["recall"] == pytest.approx(2 / 3)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert got["ndcg"] == pytest.approx(dcg / idcg)
    assert got["map"] == pytest.approx((1 / 1 + 2 / 3) / 3)


def test_perfect_list_scores_one_even_with_few_relevant() -> None:
    got = user_metrics([5, 6, 7], {5}, k=3)
    assert got["ndcg"] == pytest.approx(1.0)
    assert got["map"] == pytest.approx(1.0)
    assert got["precision"] == pytest.approx(1 / 3)


def test_no_hit_scores_zero() -> None:
    got = user_metrics([1, 2], {3}, k=2)
    assert got == {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0}


def test_means_and_coverage() -> None:
    lists = {0: [1, 2], 1: [2, 3]}
    got = evaluate_lists(lists, {0: {1}, 1: {4}}, k=2, catalogue_size=10)
    assert got["precision@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert got["coverage@2"] == pytest.approx(3 / 10)
    assert got["users"] == 2.0


def test_empty_relevant_set_is_refused() -> None:
    with pytest.raises(ValueError, match="`relevant` is empty"):
        user_metrics([1], set(), k=1)
