"""Locate and load the simulated transactions (SCIDISCO_DATA, read directly)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pandas as pd

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.features import feature_names

logger = logging.getLogger(__name__)

ENV_VAR = "SCIDISCO_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[2]
RAW_COLUMNS = [
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_TIME_SECONDS",
    "TX_TIME_DAYS",
    "TX_FRAUD",
    "TX_FRAUD_SCENARIO",
]


class MissingDataError(FileNotFoundError):
    """A data file the baseline needs is not where SCIDISCO_DATA points."""


class DataFormatError(ValueError):
    """A data file lacks columns the baseline needs or has unreadable values."""


def data_root() -> Path:
    """The shared data directory: $SCIDISCO_DATA, else ``<repo>/../shared/data``."""
    value = os.environ.get(ENV_VAR)
    return Path(value) if value else _REPO_ROOT.parent / "shared" / "data"


def require_file(config: Level4Config, name: str) -> Path:
    """Return the path of data file ``name``, or raise one clear message naming it.

    Raises:
        MissingDataError: the file does not exist.
    """
    path = data_root() / config.data_subdir / name
    if not path.is_file():
        raise MissingDataError(
            f"level 4 data file not found: {path}. Set the environment variable {ENV_VAR} to "
            f"the shared data directory (the one holding {config.data_subdir}/)."
        )
    return path


def _read(path: Path, columns: list[str], keep_all: bool = False) -> pd.DataFrame:
    """Read a transactions CSV, checking its header and time stamps.

    Raises:
        DataFormatError: a required column is missing or a time stamp does not parse.
    """
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(
            f"{path}: missing column(s) {missing}; a level 4 file needs the handbook's columns "
            f"{columns} (see the data README)"
        )
    frame = pd.read_csv(path, usecols=None if keep_all else columns)
    try:
        frame["TX_DATETIME"] = pd.to_datetime(frame["TX_DATETIME"], format="%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise DataFormatError(
            f"{path}: column TX_DATETIME must hold 'YYYY-MM-DD HH:MM:SS' time stamps: {exc}"
        ) from exc
    return frame


def load_stream(config: Level4Config) -> pd.DataFrame:
    """All raw transactions (history file then the feature file's raw columns), in time order."""
    raw = _read(require_file(config, config.raw_file), RAW_COLUMNS)
    later = _read(require_file(config, config.features_file), RAW_COLUMNS)
    stream = pd.concat([raw, later], ignore_index=True)
    stream = stream.sort_values("TRANSACTION_ID", kind="stable").reset_index(drop=True)
    logger.info("loaded %d raw transactions (%s .. %s)", len(stream), *_span(stream))
    return stream


def load_feature_file(config: Level4Config) -> pd.DataFrame:
    """The shipped feature file (raw columns plus the handbook's 14 features)."""
    names = feature_names(config.features.windows_days)
    columns = RAW_COLUMNS + [n for n in names if n not in RAW_COLUMNS]
    return _read(require_file(config, config.features_file), columns, keep_all=True)


def _span(frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    return frame["TX_DATETIME"].min().date(), frame["TX_DATETIME"].max().date()


def day_slice(frame: pd.DataFrame, start: dt.date, n_days: int) -> pd.DataFrame:
    """Rows whose TX_DATETIME falls in ``[start, start + n_days)``."""
    lo = pd.Timestamp(start)
    hi = lo + pd.Timedelta(days=n_days)
    return frame[(frame["TX_DATETIME"] >= lo) & (frame["TX_DATETIME"] < hi)]
