"""Small real-data configs for the level-2 tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baselines.level2_churn.task import DEFAULT_CONFIG


def default_config() -> dict[str, Any]:
    """The packaged config as a plain dict (tests edit copies of it)."""
    return yaml.safe_load(DEFAULT_CONFIG.read_text())


def write_config(cfg: dict[str, Any], path: Path) -> Path:
    """Dump ``cfg`` as YAML at ``path`` and return the path."""
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def fast(cfg: dict[str, Any]) -> dict[str, Any]:
    """Shrink a config to seconds: one model, two strategies, 3 folds, cheap selection."""
    cfg = dict(cfg)
    cfg["model"] = {"kinds": ["logistic_regression"], "logistic_regression": {"max_iter": 2000}}
    cfg["imbalance"] = {"strategies": ["none", "class_weight"], "threshold_objective": "f1"}
    cfg["split"] = {"test_size": 0.2, "val_size": 0.2, "cv_folds": 3}
    cfg["features"] = {**cfg["features"], "selection": {"method": "model", "l1_c": 0.2}}
    cfg["evaluation"] = {"bootstrap": 200}
    return cfg


@pytest.fixture(scope="session")
def multitable_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], Path]:
    """One fast run of the five Telco tables, shared by the tests that inspect its outputs."""
    from baselines.level2_churn import run

    root = tmp_path_factory.mktemp("level2")
    cfg = write_config(fast(default_config()), root / "fast.yaml")
    return run(cfg, root / "out"), root / "out"
