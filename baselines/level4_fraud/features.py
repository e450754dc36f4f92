"""The handbook's 15 model inputs, computed from raw transactions without looking ahead.

Customer windows count the card's transactions and their mean amount over ``(t - w, t]``
(the current transaction included). Terminal windows count transactions over
``(t - delay - w, t - delay]`` and the share of them that were frauds: labels younger than the
delay are never used, as fraud is only confirmed days later (handbook, section 3.4).
Ties in time follow stream order, as pandas' time-based rolling windows do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SECONDS_PER_DAY = 86_400


def feature_names(windows: list[int]) -> list[str]:
    """Model input columns in the handbook's order."""
    names = ["TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT"]
    for w in windows:
        names += [f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW", f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"]
    for w in windows:
        names += [f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW", f"TERMINAL_ID_RISK_{w}DAY_WINDOW"]
    return names


def _window_start(keys: np.ndarray, times: np.ndarray, span_s: int) -> np.ndarray:
    """Index of the first row of the same entity with time > t - span (keys sorted by entity)."""
    return np.searchsorted(keys, keys - span_s, side="right")


def _entity_order(entity: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable order grouping rows by entity, and composite sort keys (entity, time)."""
    order = np.argsort(entity, kind="stable")
    stride = int(times.max()) + 100 * SECONDS_PER_DAY  # keeps entities' key ranges apart
    keys = entity[order].astype(np.int64) * stride + times[order]
    return order, keys


def compute_features(stream: pd.DataFrame, windows: list[int], delay_days: int) -> pd.DataFrame:
    """Window features for every row of a time-ordered raw stream (vectorised, causal).

    Args:
        stream: raw transactions sorted in arrival order (TRANSACTION_ID).
        windows: window lengths in days, e.g. [1, 7, 30].
        delay_days: terminal windows end this many days before each transaction.

    Returns:
        A copy of ``stream`` with the columns of :func:`feature_names` added.
    """
    out = stream.copy()
    stamp = out["TX_DATETIME"]
    out["TX_DURING_WEEKEND"] = (stamp.dt.day_of_week >= 5).astype(np.int64)
    out["TX_DURING_NIGHT"] = (stamp.dt.hour <= 6).astype(np.int64)
    times = out["TX_TIME_SECONDS"].to_numpy(np.int64)
    positions = np.arange(len(out))

    order, keys = _entity_order(out["CUSTOMER_ID"].to_numpy(), times)
    amounts = np.concatenate([[0.0], np.cumsum(out["TX_AMOUNT"].to_numpy()[order])])
    end = positions + 1
    for w in windows:
        start = _window_start(keys, times, w * SECONDS_PER_DAY)
        count = (end - start).astype(np.float64)
        total = amounts[end] - amounts[start]
        out.loc[order, f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = count
        out.loc[order, f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = total / count

    order, keys = _entity_order(out["TERMINAL_ID"].to_numpy(), times)
    frauds = np.concatenate([[0], np.cumsum(out["TX_FRAUD"].to_numpy()[order])])
    recent = _window_start(keys, times, delay_days * SECONDS_PER_DAY)
    for w in windows:
        start = _window_start(keys, times, (delay_days + w) * SECONDS_PER_DAY)
        count = (recent - start).astype(np.float64)
        n_fraud = (frauds[recent] - frauds[start]).astype(np.float64)
        risk = np.divide(n_fraud, count, out=np.zeros_like(count), where=count > 0)
        out.loc[order, f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = count
        out.loc[order, f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = risk
    return out


def parity_report(
    computed: pd.DataFrame, shipped: pd.DataFrame, names: list[str], tol: float = 1e-6
) -> dict:
    """Compare our features with the shipped file's, row by row on TRANSACTION_ID.

    The shipped floats are rounded to 6 decimals, hence the tolerance (relative for large values).

    Returns:
        rows compared, rows in the file, per-feature count of rows outside tolerance, and the
        ids of every mismatching row.
    """
    merged = shipped[["TRANSACTION_ID", *names]].merge(
        computed[["TRANSACTION_ID", *names]], on="TRANSACTION_ID", suffixes=("_file", "_ours")
    )
    bad_any = np.zeros(len(merged), dtype=bool)
    mismatches = {}
    for name in names:
        a, b = merged[f"{name}_file"].to_numpy(), merged[f"{name}_ours"].to_numpy()
        bad = ~np.isclose(a, b, rtol=tol, atol=tol)
        mismatches[name] = int(bad.sum())
        bad_any |= bad
    return {
        "rows_compared": len(merged),
        "rows_in_file": len(shipped),
        "rows_mismatched": int(bad_any.sum()),
        "mismatches_per_feature": mismatches,
        "mismatched_ids": merged.loc[bad_any, "TRANSACTION_ID"].tolist(),
    }
