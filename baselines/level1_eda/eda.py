"""Exploration: summary and missing-value tables, distribution and pairwise plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

MAX_CATEGORIES_SHOWN = 12
# A numeric column with at most this many distinct values (a 0/1 flag, a year) is drawn as
# counts per value: a 20-bin histogram of it is mostly empty bins, a scatter of it a few lines.
FEW_VALUES = 10
MISSING = "(missing)"


def is_few_valued(values: pd.Series) -> bool:
    """Whether a column is text or a number with at most ``FEW_VALUES`` distinct values."""
    return not pd.api.types.is_numeric_dtype(values) or values.nunique() <= FEW_VALUES


def summary_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per-column statistics: dtype, count, distinct values, mean/std/min/median/max."""
    numeric = df.select_dtypes("number")
    table = pd.DataFrame(
        {
            "dtype": df.dtypes.astype(str),
            "count": df.notna().sum(),
            "distinct": df.nunique(),
        }
    )
    stats = numeric.agg(["mean", "std", "min", "median", "max"]).T
    return table.join(stats)


def missing_table(df: pd.DataFrame) -> pd.DataFrame:
    """Missing cells per column, most missing first (columns with none are listed too)."""
    missing = df.isna().sum()
    table = pd.DataFrame({"missing": missing, "percent": 100.0 * missing / max(len(df), 1)})
    return table.sort_values("missing", ascending=False, kind="stable")


def class_balance(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows per class of the target and their share."""
    counts = df[target].value_counts()
    return pd.DataFrame({"rows": counts, "percent": 100.0 * counts / counts.sum()})


def _grid(n: int, ncols: int = 4, size: float = 3.2) -> tuple[Figure, list[Axes]]:
    # Figure objects, not pyplot: no global state, no GUI backend, nothing left open.
    nrows = max(1, math.ceil(n / ncols))
    fig = Figure(figsize=(size * ncols, size * 0.8 * nrows))
    flat = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def plot_distributions(df: pd.DataFrame, target: str, path: Path | None = None) -> Figure:
    """One panel per feature: stacked histograms per class (numeric) or counts per class.

    Missing cells are shown, not dropped: as a ``(missing)`` bar for counted columns, and as a
    count in the title of a histogram.
    """
    features = [c for c in df.columns if c != target]
    classes = sorted(df[target].unique())
    fig, axes = _grid(len(features))
    for ax, col in zip(axes, features, strict=True):
        title = col
        if is_few_valued(df[col]):
            _count_bars(ax, df[col], df[target])
        else:
            groups = [df.loc[df[target] == k, col].dropna() for k in classes]
            ax.hist(groups, bins=20, stacked=True, label=[str(k) for k in classes])
            missing = int(df[col].isna().sum())
            title += f" ({missing} missing)" if missing else ""
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title=target, loc="upper right")
    fig.suptitle(f"Feature distributions by {target}")
    fig.tight_layout(rect=(0, 0, 0.92, 0.97))
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig


def _count_bars(ax: Axes, values: pd.Series, target: pd.Series) -> None:
    # Text labels for every value, missing included; numbers keep their order, text its counts.
    labels = values.map(str, na_action="ignore").astype(object).where(values.notna(), MISSING)
    if pd.api.types.is_numeric_dtype(values):
        order = [str(v) for v in sorted(values.dropna().unique())]
        order += [MISSING] if values.isna().any() else []
    else:
        order = list(labels.value_counts().index[:MAX_CATEGORIES_SHOWN])
    table = pd.crosstab(labels, target).reindex(order)
    table.plot.barh(stacked=True, ax=ax, legend=False)
    ax.set_ylabel("")


def pair_columns(df: pd.DataFrame, target: str, k: int) -> list[str]:
    """The ``k`` numeric features with the most distinct values (the most scatter-worthy).

    Few-valued numbers (flags, years) are left out: their scatter plots are a few lines.
    """
    numeric = [
        c for c in df.select_dtypes("number").columns if c != target and not is_few_valued(df[c])
    ]
    return sorted(numeric, key=lambda c: -df[c].nunique())[:k]


def plot_pairs(
    df: pd.DataFrame, target: str, columns: list[str], path: Path | None = None
) -> Figure:
    """Scatter matrix of ``columns`` coloured by class, histograms on the diagonal."""
    n = len(columns)
    classes = sorted(df[target].unique())
    fig = Figure(figsize=(2.4 * n, 2.4 * n))
    axes = fig.subplots(n, n, squeeze=False)
    for i, row_col in enumerate(columns):
        for j, col in enumerate(columns):
            ax = axes[i][j]
            # One set of bin edges for all classes, so bar heights compare across classes.
            edges = np.histogram_bin_edges(df[col].dropna(), bins=20) if i == j else None
            for k in classes:
                part = df[df[target] == k]
                if i == j:
                    ax.hist(part[col].dropna(), bins=edges, alpha=0.5, label=str(k))
                else:
                    ax.scatter(part[col], part[row_col], s=4, alpha=0.5, label=str(k))
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(col, fontsize=8)
            if j == 0:
                ax.set_ylabel(row_col, fontsize=8)
    handles, labels = axes[0][1 if n > 1 else 0].get_legend_handles_labels()
    fig.legend(handles, labels, title=target, loc="upper right", markerscale=3)
    fig.suptitle(f"Pairwise plot coloured by {target}")
    fig.tight_layout(rect=(0, 0, 0.9, 0.97))
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig
