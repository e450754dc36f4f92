"""The one data-directory setting every package reads.

Resolution order: an explicit argument (from a run config), then the environment variable
``SCIDISCO_DATA``, then ``../shared/data`` beside the repository when it exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ENV_VAR = "SCIDISCO_DATA"
_REPO_ROOT = Path(__file__).resolve().parent.parent
_SHARED_DEFAULT = _REPO_ROOT.parent / "shared" / "data"


class DataDirError(FileNotFoundError):
    """The data directory is missing or lacks files a component needs."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory, without checking its contents.

    Args:
        override: a path from a config; wins over the environment variable.

    Raises:
        DataDirError: no directory could be found; the message says how to set one.
    """
    if override is not None:
        candidate, origin = Path(override).expanduser(), "the config's `data_dir`"
    elif os.environ.get(ENV_VAR):
        candidate, origin = Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    else:
        candidate, origin = _SHARED_DEFAULT, "the default ../shared/data"
    if not candidate.is_dir():
        raise DataDirError(
            f"data directory {candidate} (from {origin}) does not exist. Set {ENV_VAR} to the "
            "folder holding bio/ and baselines/ (for example `export "
            f"{ENV_VAR}=/path/to/shared/data`) or `data_dir:` in the run config."
        )
    return candidate.resolve()


def require(relative_paths: Iterable[str], override: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory after checking that every named file exists in it.

    Raises:
        DataDirError: naming every missing file at once, and how to fix it.
    """
    root = data_dir(override)
    missing = [rel for rel in relative_paths if not (root / rel).exists()]
    if missing:
        listing = "\n  ".join(missing)
        raise DataDirError(
            f"data directory {root} is incomplete; missing:\n  {listing}\n"
            f"Point {ENV_VAR} (or `data_dir:` in the config) at a complete copy of shared/data."
        )
    return root


def resolve(path: str | os.PathLike[str], override: str | os.PathLike[str] | None = None) -> Path:
    """Resolve a config path: absolute paths stay, relative ones are taken inside the data dir."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    return data_dir(override) / candidate
