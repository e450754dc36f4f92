"""Data drift of incoming features against the training distribution (two-sample KS tests).

Every ``drift_every`` payments the service compares the last ``window`` feature vectors, per
feature, with the training rows by :func:`scipy.stats.ks_2samp`, in a background thread so no
request waits for it. A feature is flagged when both
``p < alpha / n_features`` (Bonferroni, so ~``alpha`` false alarms per check over all features)
and the KS statistic exceeds ``min_statistic`` (an effect size: with thousands of rows, tiny
harmless shifts are otherwise significant).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import ks_2samp


@dataclass
class DriftResult:
    """One drift check: KS statistic and p-value per feature, and the flagged features."""

    n_current: int
    statistics: dict[str, float]
    p_values: dict[str, float]
    drifted: list[str] = field(default_factory=list)


class DriftMonitor:
    """Sliding-window KS drift detector.

    Args:
        reference: training feature matrix, shape (n_rows, n_features).
        names: feature names, one per column.
        window: number of most recent transactions compared.
        alpha: family-wise significance level over all features.
        min_statistic: smallest KS distance that counts as drift.
    """

    def __init__(
        self,
        reference: np.ndarray,
        names: list[str],
        window: int = 2000,
        alpha: float = 0.01,
        min_statistic: float = 0.1,
    ) -> None:
        if reference.shape[1] != len(names):
            raise ValueError(
                f"reference has {reference.shape[1]} columns but {len(names)} names were given"
            )
        self.reference = np.asarray(reference, dtype=np.float64)
        self.names = names
        self.alpha = alpha
        self.min_statistic = min_statistic
        self.recent: deque[np.ndarray] = deque(maxlen=window)

    def add(self, features: np.ndarray) -> None:
        """Record one incoming feature vector."""
        self.recent.append(features)

    def snapshot(self) -> list[np.ndarray]:
        """A copy of the recent window (cheap: references only), for :meth:`compare`.

        Not thread-safe with :meth:`add`; callers that add from other threads hold their lock.
        """
        return list(self.recent)

    def check(self) -> DriftResult:
        """Compare the recent window with the reference, feature by feature."""
        return self.compare(self.snapshot())

    def compare(self, rows: list[np.ndarray]) -> DriftResult:
        """KS-test each feature of ``rows`` (recent feature vectors) against the reference."""
        current = np.vstack(rows) if rows else np.empty((0, len(self.names)))
        stats, pvals, drifted = {}, {}, []
        threshold = self.alpha / len(self.names)
        for j, name in enumerate(self.names):
            if len(current) == 0:
                continue
            result = ks_2samp(self.reference[:, j], current[:, j])
            stats[name], pvals[name] = float(result.statistic), float(result.pvalue)
            if result.pvalue < threshold and result.statistic > self.min_statistic:
                drifted.append(name)
        return DriftResult(len(current), stats, pvals, drifted)
