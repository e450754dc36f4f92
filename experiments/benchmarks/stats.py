"""Statistics the benchmarks share: AUROC with stratified bootstrap CIs, paired tests.

Percentile bootstrap intervals (Efron and Tibshirani 1993, ch. 13); resamples are drawn from
a generator seeded by the caller, so the same seed gives the same interval.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wilcoxon
from sklearn.metrics import roc_auc_score


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counting one half."""
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    return float(roc_auc_score(labels, np.r_[positive, negative]))


def bootstrap_aurocs(
    sets: dict[str, tuple[np.ndarray, np.ndarray]], n: int, seed: int
) -> dict[str, np.ndarray]:
    """AUROC of each (positives, negatives) entry on ``n`` shared stratified resamples.

    All entries must have the same sizes: the same resampled indices are used for each,
    so differences between entries (tuned minus base) are paired.
    """
    rng = np.random.default_rng(seed)
    n_pos, n_neg = (len(a) for a in next(iter(sets.values())))
    out: dict[str, list[float]] = {name: [] for name in sets}
    for _ in range(n):
        pos, neg = rng.integers(0, n_pos, n_pos), rng.integers(0, n_neg, n_neg)
        for name, (p, q) in sets.items():
            out[name].append(auroc(p[pos], q[neg]))
    return {name: np.array(values) for name, values in out.items()}


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap ``values``."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference(
    first: np.ndarray, second: np.ndarray, n_boot: int, seed: int
) -> dict[str, float]:
    """Is ``first`` larger than ``second`` on the same units (targets, seeds)?

    Returns the mean difference ``first - second``, its paired bootstrap 95% CI (units
    resampled with replacement, ``n_boot`` times), the one-sided Wilcoxon signed-rank p-value
    for "first > second" (zero differences dropped, Wilcoxon's original method; 1.0 when all
    differences are zero), the number of units and how many differ.

    Raises:
        ValueError: the arrays differ in length or are empty.
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if first.shape != second.shape or first.size == 0:
        raise ValueError(
            f"paired samples need the same non-zero length, got {first.size} and {second.size}"
        )
    diff = first - second
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, (n_boot, diff.size))].mean(axis=1)
    low, high = percentile_ci(means) if n_boot else (float("nan"), float("nan"))
    nonzero = int(np.count_nonzero(diff))
    p = (
        float(wilcoxon(diff, zero_method="wilcox", alternative="greater").pvalue)
        if nonzero
        else 1.0
    )
    return {
        "mean": float(diff.mean()),
        "ci_low": low,
        "ci_high": high,
        "wilcoxon_p": p,
        "n": float(diff.size),
        "n_nonzero": float(nonzero),
    }
