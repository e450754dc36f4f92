"""Thresholds, gain curve and bootstrap, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from baselines.level2_churn.evaluate import bootstrap_ci, choose_threshold, gain_curve, scores_at

Y = np.array([0, 0, 1, 0, 1, 1])
P = np.array([0.1, 0.3, 0.35, 0.4, 0.8, 0.9])


def test_f1_threshold_by_hand() -> None:
    # Cut at 0.35: TP 3, FP 1 -> F1 6/7 = 0.857; at 0.8: TP 2, FP 0 -> 0.8; at 0.3: 0.75.
    assert choose_threshold(Y, P, "f1", 0.0) == pytest.approx(0.35)
    s = scores_at(Y, P, 0.35)
    assert s["f1"] == pytest.approx(6 / 7) and s["recall"] == 1.0 and s["precision"] == 0.75
    # Brier: squared errors 0.01, 0.09, 0.4225, 0.16, 0.04, 0.01 averaged.
    assert s["brier"] == pytest.approx(0.7325 / 6)


def test_precision_at_recall_by_hand() -> None:
    # Recall >= 0.6 allows 0.8 (recall 2/3, precision 1.0); recall >= 0.9 needs 0.35.
    assert choose_threshold(Y, P, "precision_at_recall", 0.6) == pytest.approx(0.8)
    assert choose_threshold(Y, P, "precision_at_recall", 0.9) == pytest.approx(0.35)


def test_gain_curve_by_hand() -> None:
    contacted, reached = gain_curve(Y, P)
    np.testing.assert_allclose(contacted, [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    np.testing.assert_allclose(reached, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1])


def test_bootstrap_interval_brackets_the_estimate_and_shrinks_with_n() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1600)
    p = np.clip(0.3 * y + rng.normal(0.35, 0.2, 1600), 0, 1)
    point = roc_auc_score(y, p)
    low, high = bootstrap_ci(y, p, roc_auc_score, 150, seed=0)
    assert low < point < high
    small_low, small_high = bootstrap_ci(y[:100], p[:100], roc_auc_score, 150, seed=0)
    assert (small_high - small_low) > 2.5 * (high - low)  # width ~ 1/sqrt(n): 16x rows, ~4x
