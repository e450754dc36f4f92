"""Shared fixtures: the real data directory and small slices of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.datadir import data_dir as resolve_data_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data directory (SCIDISCO_DATA, else ../shared/data)."""
    return resolve_data_dir()


@pytest.fixture(scope="session")
def bc5cdr_train(data_dir: Path) -> Path:
    return data_dir / "bio" / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"


@pytest.fixture(scope="session")
def bc5cdr_dev(data_dir: Path) -> Path:
    return data_dir / "bio" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"


@pytest.fixture(scope="session")
def biored_train(data_dir: Path) -> Path:
    return data_dir / "bio" / "biored" / "Train.PubTator"


def first_documents(path: Path, n: int, dest: Path) -> Path:
    """Copy the first ``n`` PubTator blocks of ``path`` to ``dest``: a small real slice.

    Line endings are kept as they are (BioRED's files use CRLF).
    """
    raw = path.read_bytes()
    sep = b"\r\n\r\n" if b"\r\n" in raw[:4096] else b"\n\n"
    blocks = [b for b in raw.split(sep) if b.strip()]
    dest.write_bytes(sep.join(blocks[:n]) + sep)
    return dest
