"""Rerun a finished run folder from its own config and manifest, and compare the metrics."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from experiments.manifest import git_state, sha256_file
from experiments.multirun import ExperimentError, read_metrics, run_seed
from experiments.tasks import ExperimentConfig


@dataclass
class Reproduction:
    run_dir: Path
    rerun_dir: Path
    differences: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def reproduce(run_dir: str | Path, out_dir: str | Path | None = None) -> Reproduction:
    """Rerun ``run_dir`` into ``out_dir`` (a temp folder by default); report metric changes."""
    run_dir = Path(run_dir)
    for name in ("config.yaml", "manifest.json", "metrics.json"):
        if not (run_dir / name).is_file():
            raise ExperimentError(f"{run_dir} lacks {name}: not a run folder of `experiment run`")
    config = ExperimentConfig.model_validate(yaml.safe_load((run_dir / "config.yaml").read_text()))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    warnings = _environment_warnings(manifest)

    rerun_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="reproduce-"))
    run_seed(config, int(manifest["seeds"][0]), rerun_dir)
    before, after = read_metrics(run_dir), read_metrics(rerun_dir)
    differences = {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    return Reproduction(run_dir, rerun_dir, differences, warnings)


def _environment_warnings(manifest: dict) -> list[str]:
    """What differs between the recorded run and this checkout: code and input bytes."""
    warnings = []
    now = git_state()
    recorded = manifest.get("git", {})
    if recorded.get("commit") and now["commit"] != recorded["commit"]:
        warnings.append(f"code differs: run at {recorded['commit']}, now at {now['commit']}")
    if now["dirty"]:
        warnings.append("the working tree has uncommitted changes")
    for role, item in manifest.get("inputs", {}).items():
        path = Path(item["path"])
        if not path.is_file():
            warnings.append(f"input {role} ({path}) is missing")
        elif sha256_file(path) != item["sha256"]:
            warnings.append(f"input {role} ({path}) changed since the run")
    return warnings
