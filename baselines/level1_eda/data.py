"""Load a table, check it, and clean it without knowing any of its column names."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd
from sklearn.model_selection import train_test_split

from baselines.level1_eda.common import data_file
from baselines.level1_eda.config import DatasetConfig

logger = logging.getLogger(__name__)

# A text column is read as numbers when at least this share of its non-missing cells parse.
NUMERIC_TEXT_SHARE = 0.95


class DataValidationError(ValueError):
    """The table cannot be modelled as configured; the message says why and what to change."""


@dataclass
class CleanReport:
    """What cleaning changed, so the notebook and the report can say it."""

    rows_in: int
    rows_out: int
    dropped_columns: list[str] = field(default_factory=list)
    coerced_numeric: dict[str, int] = field(default_factory=dict)  # column -> cells made NaN
    target_missing: int = 0


def load_table(ds: DatasetConfig) -> pd.DataFrame:
    """Read the configured table (penguins from its wheel, or a CSV under the data root)."""
    if ds.source == "palmerpenguins":
        # Reads the CSV packaged in the wheel through importlib.resources: no network.
        from palmerpenguins import load_penguins

        return load_penguins()
    assert ds.path is not None  # guaranteed by DatasetConfig's validator
    path = data_file(ds.path)
    # keep_default_na=False: only the configured strings are missing, so a real category
    # spelled "None" or "NA" survives.
    return pd.read_csv(path, keep_default_na=False, na_values=ds.na_values)


def validate_table(df: pd.DataFrame, ds: DatasetConfig, min_per_class: int = 2) -> None:
    """Check that ``df`` can be modelled as ``ds`` says.

    Raises:
        DataValidationError: the target or a dropped column is absent, no feature is left,
            the target has one class, or a class is too rare to stratify.
    """
    columns = list(df.columns)
    if ds.target not in df.columns:
        raise DataValidationError(
            f"dataset {ds.name!r}: target column {ds.target!r} not in the table; "
            f"columns are {columns}. Fix `target` in the config."
        )
    absent = [c for c in ds.drop if c not in df.columns]
    if absent:
        raise DataValidationError(
            f"dataset {ds.name!r}: `drop` names columns not in the table: {absent}; "
            f"columns are {columns}."
        )
    if len(set(columns) - {ds.target, *ds.drop}) == 0:
        raise DataValidationError(f"dataset {ds.name!r}: no feature column left after `drop`.")
    counts = df[ds.target].dropna().astype(str).value_counts()
    if len(counts) < 2:
        raise DataValidationError(
            f"dataset {ds.name!r}: target {ds.target!r} has {len(counts)} class(es) "
            f"({dict(counts)}); a classifier needs at least two."
        )
    if counts.min() < min_per_class:
        raise DataValidationError(
            f"dataset {ds.name!r}: class {counts.idxmin()!r} has {counts.min()} row(s); "
            f"stratified splitting needs at least {min_per_class}."
        )
    if ds.positive_label is not None and ds.positive_label not in counts.index:
        raise DataValidationError(
            f"dataset {ds.name!r}: `positive_label` {ds.positive_label!r} is not a class of "
            f"{ds.target!r}; classes are {sorted(counts.index)}."
        )


def clean_table(
    df: pd.DataFrame, ds: DatasetConfig, seed: int = 0
) -> tuple[pd.DataFrame, CleanReport]:
    """Drop unlabeled rows and identifier columns, turn numeric text into numbers, subsample."""
    report = CleanReport(rows_in=len(df), rows_out=len(df), dropped_columns=list(ds.drop))
    out = df.drop(columns=ds.drop)
    report.target_missing = int(out[ds.target].isna().sum())
    out = out[out[ds.target].notna()].copy()
    out[ds.target] = out[ds.target].astype(str)

    for col in out.columns.drop(ds.target):
        if pd.api.types.is_numeric_dtype(out[col]):
            continue
        present = out[col].dropna()
        parsed = pd.to_numeric(present, errors="coerce")
        if len(present) and parsed.notna().mean() >= NUMERIC_TEXT_SHARE:
            out[col] = pd.to_numeric(out[col], errors="coerce")
            report.coerced_numeric[col] = int(parsed.isna().sum())
            logger.warning(
                "%s: column %r read as numbers (%d cells not numeric became NaN)",
                ds.name,
                col,
                report.coerced_numeric[col],
            )

    if ds.max_rows is not None and len(out) > ds.max_rows:
        out, _ = train_test_split(
            out, train_size=ds.max_rows, stratify=out[ds.target], random_state=seed
        )
    report.rows_out = len(out)
    return out.reset_index(drop=True), report


def prepare(ds: DatasetConfig, seed: int = 0) -> tuple[pd.DataFrame, CleanReport]:
    """Load, validate and clean one configured table."""
    raw = load_table(ds)
    validate_table(raw, ds)
    return clean_table(raw, ds, seed)
