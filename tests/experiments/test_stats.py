"""Shared benchmark statistics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.benchmarks.stats import paired_difference, percentile_ci


def test_paired_difference_by_hand() -> None:
    # Differences 2, 0, 3, 1: mean 1.5; the zero is dropped; the three others are all
    # positive, so W+ takes its largest value and the exact one-sided p is 1 / 2**3.
    out = paired_difference(np.array([3, 2, 5, 1]), np.array([1, 2, 2, 0]), 500, seed=0)
    assert out["mean"] == 1.5 and out["n"] == 4 and out["n_nonzero"] == 3
    assert out["wilcoxon_p"] == pytest.approx(0.125)
    assert 0 <= out["ci_low"] <= 1.5 <= out["ci_high"] <= 3
    again = paired_difference(np.array([3, 2, 5, 1]), np.array([1, 2, 2, 0]), 500, seed=0)
    assert again == out  # seeded resamples


def test_paired_difference_of_identical_samples_and_bad_input() -> None:
    same = paired_difference(np.array([0.2, 0.4]), np.array([0.2, 0.4]), 100, seed=1)
    assert same["wilcoxon_p"] == 1.0 and same["n_nonzero"] == 0
    assert same["ci_low"] == same["ci_high"] == 0.0
    with pytest.raises(ValueError, match="same non-zero length, got 2 and 1"):
        paired_difference(np.array([1.0, 2.0]), np.array([1.0]), 10, seed=0)


def test_percentile_ci() -> None:
    assert percentile_ci(np.arange(101.0)) == pytest.approx((2.5, 97.5))
