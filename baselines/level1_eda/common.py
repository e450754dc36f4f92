"""Plumbing every baseline level shares: the data root, strict YAML configs, run outputs.

Level 2 imports these too, so the conventions in ``baselines/README.md`` live in one place.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ENV_VAR = "SCIDISCO_DATA"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_ROOT = REPO_ROOT.parent / "shared" / "data"

ModelT = TypeVar("ModelT", bound=BaseModel)


class MissingDataError(FileNotFoundError):
    """A data file a baseline needs is not where the data root says it should be."""


class ConfigError(ValueError):
    """A config file is unreadable or fails validation; the message names file and field."""


def data_root() -> Path:
    """Return the data root: ``$SCIDISCO_DATA``, else ``<repo>/../shared/data``."""
    value = os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else DEFAULT_DATA_ROOT


def data_file(relative: str | Path) -> Path:
    """Resolve a config path against the data root and check that the file exists.

    Raises:
        MissingDataError: naming the file and the variable to set.
    """
    path = Path(relative).expanduser()
    if not path.is_absolute():
        path = data_root() / path
    if not path.is_file():
        raise MissingDataError(
            f"missing data file {path}. Set {ENV_VAR} to the folder that holds baselines/ "
            f"(now {os.environ.get(ENV_VAR) or 'unset, so ' + str(DEFAULT_DATA_ROOT)}), "
            "or give an absolute path in the config."
        )
    return path


def load_config(path: str | Path, model: type[ModelT]) -> ModelT:
    """Read a YAML file and validate it against ``model``.

    Raises:
        ConfigError: the file is missing, is not YAML, or a field is wrong (each error names
            the field path, the value received and what was expected).
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a YAML mapping, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']} "
            f"(got {err.get('input')!r})"
            for err in exc.errors()
        ]
        raise ConfigError(f"config {path} is invalid:\n" + "\n".join(lines)) from exc


def prepare_out_dir(out_dir: str | Path | None, level: str) -> Path:
    """Create and return the output folder (default ``runs/baselines/<level>/<UTC time>``)."""
    if out_dir is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out_dir = Path("runs") / "baselines" / level / stamp
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_run_files(out: Path, config: BaseModel, metrics: dict[str, float]) -> None:
    """Write ``config.resolved.yaml`` and ``metrics.json``; refuse NaN or non-float metrics."""
    bad = {k: v for k, v in metrics.items() if not isinstance(v, float) or not math.isfinite(v)}
    if bad:
        raise ValueError(f"metrics must be finite floats; got {bad}")
    resolved: dict[str, Any] = config.model_dump(mode="json")
    (out / "config.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def format_metrics(metrics: dict[str, float]) -> str:
    """Render metrics as a two-column plain-text table."""
    width = max((len(k) for k in metrics), default=10)
    return "\n".join(f"{k:<{width}}  {v:.4f}" for k, v in metrics.items())


def markdown_table(df: Any, floatfmt: str = ".3f") -> str:
    """Render a DataFrame (index included) as a GitHub Markdown table."""
    header = [str(df.index.name or ""), *map(str, df.columns)]
    rows = [header, ["---"] * len(header)]
    for idx, values in zip(df.index, df.itertuples(index=False), strict=True):
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in values]
        rows.append([str(idx), *cells])
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)
