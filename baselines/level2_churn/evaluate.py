"""Threshold choice, scores, bootstrap intervals and the report plots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

Metric = Callable[[np.ndarray, np.ndarray], float]


def choose_threshold(y: np.ndarray, proba: np.ndarray, objective: str, min_recall: float) -> float:
    """Pick the decision threshold on validation scores.

    Args:
        y: 0/1 labels. proba: predicted churn probabilities.
        objective: ``f1`` (highest F1) or ``precision_at_recall`` (highest precision among
            thresholds whose recall is at least ``min_recall``).
        min_recall: recall floor for ``precision_at_recall``.
    """
    precision, recall, thresholds = precision_recall_curve(y, proba)
    # The curve has one more point than thresholds (recall 0 at the end); drop it.
    precision, recall = precision[:-1], recall[:-1]
    if objective == "f1":
        f1 = np.divide(
            2 * precision * recall,
            precision + recall,
            out=np.zeros_like(precision),
            where=(precision + recall) > 0,
        )
        return float(thresholds[int(np.argmax(f1))])
    ok = recall >= min_recall
    if not ok.any():  # cannot happen: the lowest threshold has recall 1
        return float(thresholds[0])
    best = int(np.argmax(np.where(ok, precision, -1.0)))
    return float(thresholds[best])


def scores_at(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking scores and the scores of the decisions ``proba >= threshold``."""
    pred = (proba >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y, proba)),
        "pr_auc": float(average_precision_score(y, proba)),
        "f1": float(f1_score(y, pred)),
        "recall": float(recall_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        # Mean squared error of the probabilities: resampling shifts them, ranking does not see it.
        "brier": float(brier_score_loss(y, proba)),
        "threshold": float(threshold),
    }


def bootstrap_ci(
    y: np.ndarray, proba: np.ndarray, metric: Metric, n: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over resampled rows (both classes kept)."""
    rng = np.random.default_rng(seed)
    values: list[float] = []
    while len(values) < n:
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue  # a one-class resample has no AUC; draw again
        values.append(metric(y[idx], proba[idx]))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def gain_curve(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of customers contacted (highest risk first) and share of churners reached."""
    order = np.argsort(-proba, kind="stable")
    hits = np.cumsum(y[order])
    contacted = np.arange(1, len(y) + 1) / len(y)
    return np.r_[0.0, contacted], np.r_[0.0, hits / hits[-1]]


def plot_roc_pr(
    y: np.ndarray, proba: np.ndarray, path: Path, threshold: float | None = None
) -> None:
    """ROC and precision-recall curves side by side, with the operating point if given."""
    fig = Figure(figsize=(9, 4))
    ax1, ax2 = fig.subplots(1, 2)
    fpr, tpr, _ = roc_curve(y, proba)
    ax1.plot(fpr, tpr, label=f"ROC AUC {roc_auc_score(y, proba):.3f}")
    ax1.plot([0, 1], [0, 1], "k--", lw=0.8, label="chance")
    ax1.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test)")
    precision, recall, _ = precision_recall_curve(y, proba)
    ax2.plot(recall, precision, label=f"PR AUC {average_precision_score(y, proba):.3f}")
    ax2.axhline(y.mean(), color="k", ls="--", lw=0.8, label=f"base rate {y.mean():.3f}")
    # Full 0-1 axis: a PR curve cropped at the base rate looks better than it is.
    ax2.set(xlabel="recall", ylabel="precision", title="Precision-recall (test)", ylim=(0, 1.02))
    if threshold is not None:
        point = scores_at(y, proba, threshold)
        false_pos = float(np.mean(proba[y == 0] >= threshold))
        label = f"threshold {threshold:.3f} (from validation)"
        ax1.plot(false_pos, point["recall"], "o", color="C3", label=label)
        ax2.plot(point["recall"], point["precision"], "o", color="C3", label=label)
    ax1.legend(loc="lower right")
    ax2.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_calibration(y: np.ndarray, proba: np.ndarray, bins: int, path: Path) -> None:
    """Reliability diagram with a histogram of predicted probabilities."""
    fig = Figure(figsize=(5, 6))
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    frac, mean_pred = calibration_curve(y, proba, n_bins=bins, strategy="quantile")
    ax1.plot(mean_pred, frac, "o-", label="model")
    ax1.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfectly calibrated")
    ax1.set(ylabel="observed churn rate", title=f"Calibration (test, {bins} quantile bins)")
    ax1.legend(loc="upper left")
    ax2.hist(proba, bins=20, range=(0, 1))
    ax2.set(xlabel="predicted churn probability", ylabel="customers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_gain_lift(y: np.ndarray, proba: np.ndarray, path: Path) -> None:
    """Cumulative gain and lift: what contacting the top x % of risk scores buys."""
    contacted, reached = gain_curve(y, proba)
    fig = Figure(figsize=(9, 4))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(contacted, reached, label="model")
    ax1.plot([0, 1], [0, 1], "k--", lw=0.8, label="random")
    ax1.plot([0, y.mean(), 1], [0, 1, 1], ":", color="grey", label="perfect")
    ax1.set(
        xlabel="share of customers contacted",
        ylabel="share of churners reached",
        title="Cumulative gain (test)",
    )
    ax1.legend(loc="lower right")
    lift = reached[1:] / contacted[1:]
    ax2.plot(contacted[1:], lift)
    ax2.axhline(1.0, color="k", ls="--", lw=0.8)
    ax2.set(xlabel="share of customers contacted", ylabel="lift over random", title="Lift (test)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
