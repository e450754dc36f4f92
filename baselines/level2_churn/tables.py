"""Read the source tables and join them by their keys, checking every step.

Checks: each table's key is unique, keys are present on both sides of a join, the join has the
declared cardinality (pandas' ``validate``, so many-to-many fails loudly), no partner is missing
when a match is required, no non-key column name repeats across tables, and the row count is the
one expected.
"""

from __future__ import annotations

import logging

import pandas as pd
from pandas.errors import MergeError

from baselines.level1_eda.common import data_file
from baselines.level2_churn.config import DataConfig, TableConfig

logger = logging.getLogger(__name__)


class JoinValidationError(ValueError):
    """The tables do not fit together as the config says; the message says where and how."""


def read_table(table: TableConfig, na_values: list[str]) -> pd.DataFrame:
    """Read one CSV with only ``na_values`` as missing, drop its configured columns, check keys."""
    path = data_file(table.path)
    # keep_default_na=False: pandas would otherwise read the real category "None" as missing.
    df = pd.read_csv(path, keep_default_na=False, na_values=na_values)
    absent = [c for c in [*table.key, *table.drop] if c not in df.columns]
    if absent:
        raise JoinValidationError(
            f"table {table.name!r} ({path}): columns {absent} named in `key`/`drop` are not in "
            f"the file; it has {list(df.columns)}."
        )
    df = df.drop(columns=table.drop)
    check_unique_key(df, table.key, f"table {table.name!r} ({path})")
    return df


def check_unique_key(df: pd.DataFrame, key: list[str], where: str) -> None:
    """Raise unless ``key`` identifies each row of ``df`` (no missing, no duplicate values)."""
    if df[key].isna().any().any():
        raise JoinValidationError(f"{where}: key {key} has missing values.")
    dupes = df.duplicated(subset=key, keep=False)
    if dupes.any():
        example = df.loc[dupes, key].head(3).to_dict("records")
        raise JoinValidationError(
            f"{where}: key {key} is not unique ({int(dupes.sum())} rows share a key, e.g. "
            f"{example}). Fix the data or declare the real key."
        )


def join_tables(cfg: DataConfig) -> pd.DataFrame:
    """Read every table and left-join them onto the first, validating each join.

    Returns:
        One row per row of the base table (checked), columns from all tables.

    Raises:
        MissingDataError: a file is absent. JoinValidationError: a check failed.
    """
    tables = {t.name: read_table(t, cfg.na_values) for t in cfg.tables}
    base = cfg.tables[0]
    joined = tables[base.name]
    n_rows = len(joined)
    for join in cfg.joins:
        right = tables[join.table]
        where = f"join of {join.table!r} on {join.keys}"
        missing = [c for c in join.keys if c not in joined.columns or c not in right.columns]
        if missing:
            raise JoinValidationError(f"{where}: key columns {missing} are not on both sides.")
        clash = sorted((set(joined.columns) & set(right.columns)) - set(join.keys))
        if clash:
            raise JoinValidationError(
                f"{where}: columns {clash} exist on both sides and would be suffixed; add them to "
                f"`drop` of table {join.table!r} (e.g. repeated Count/Quarter columns)."
            )
        try:
            joined = joined.merge(
                right, on=join.keys, how="left", validate=join.validate_as, indicator=True
            )
        except MergeError as exc:
            raise JoinValidationError(f"{where}: expected {join.validate_as}, but {exc}") from exc
        unmatched = int((joined.pop("_merge") == "left_only").sum())
        if unmatched and join.require_match:
            raise JoinValidationError(
                f"{where}: {unmatched} of {len(joined)} rows found no partner in {join.table!r}; "
                "set `require_match: false` if that is expected."
            )
        if unmatched:
            logger.warning("%s: %d rows without partner (missing values)", where, unmatched)
        if len(joined) != n_rows:  # cannot happen after validate, kept as a tripwire
            raise JoinValidationError(f"{where}: row count changed {n_rows} -> {len(joined)}")
    if cfg.expected_rows is not None and len(joined) != cfg.expected_rows:
        raise JoinValidationError(
            f"joined table has {len(joined)} rows, config `expected_rows` says {cfg.expected_rows}."
        )
    logger.info("joined %d tables: %d rows x %d columns", len(tables), *joined.shape)
    return joined
