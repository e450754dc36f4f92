"""Experiment tasks: what `scidisco experiment run` can run.

An experiment config names a task and gives its parameters::

    task: discovery            # or e1_ranking, ..., or baseline:level2_churn
    threads: 2
    params: {...}              # validated by the task itself

A task is a function ``(params, seed, run_dir) -> TaskOutput``. It must be deterministic
for a given ``params`` and ``seed``: metrics go to ``metrics.json`` and are compared
byte for byte by `experiments.reproduce`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass
class TaskOutput:
    metrics: dict[str, float]
    inputs: dict[str, Path] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)


TaskFn = Callable[[dict[str, Any], int, Path], TaskOutput]


class ExperimentConfig(BaseModel):
    """One experiment: a task, its parameters and the thread count pinned for it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Folder name of the runs.")
    task: str = Field(description="Task name (see `TASKS`) or `baseline:<level package>`.")
    threads: int = Field(2, ge=1, description="Torch/BLAS threads, recorded in the manifest.")
    params: dict[str, Any] = Field(default_factory=dict, description="The task's own config.")


def _discovery(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    from agent.config import validate_config
    from experiments.runner import run

    config = validate_config({**params, "seed": seed}, source="params")
    result = run(config, run_dir=run_dir / "discovery", progress=False)
    return TaskOutput(metrics=result.metrics, inputs=result.loop.inputs, series=result.loop.curves)


def _benchmark(module: str) -> TaskFn:
    def task(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
        bench = importlib.import_module(f"experiments.benchmarks.{module}")
        result: TaskOutput = bench.run(params, seed, run_dir)
        return result

    return task


def _baseline(level: str) -> TaskFn:
    def task(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
        import yaml

        module = importlib.import_module(f"baselines.{level}.task")
        config_path = run_dir / "baseline_config.yaml"
        config_path.write_text(yaml.safe_dump({**params, "seed": seed}) if params else "")
        metrics = module.run(config_path if params else None, run_dir / "artifacts")
        return TaskOutput(metrics={k: float(v) for k, v in metrics.items()})

    return task


TASKS: dict[str, TaskFn] = {
    "discovery": _discovery,
    "e1_ranking": _benchmark("e1_ranking"),
    "e2_finetune": _benchmark("e2_finetune"),
    "e3_symbolic": _benchmark("e3_symbolic"),
    "e4_selection": _benchmark("e4_selection"),
    "e5_retrieval": _benchmark("e5_retrieval"),
}


def resolve_task(name: str) -> TaskFn:
    """The task function for ``name``; raises ValueError listing the known names."""
    if name.startswith("baseline:"):
        return _baseline(name.split(":", 1)[1])
    if name not in TASKS:
        known = ", ".join([*sorted(TASKS), "baseline:<level>"])
        raise ValueError(f"unknown task {name!r}; known: {known}")
    return TASKS[name]
