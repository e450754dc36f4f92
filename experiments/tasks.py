"""Experiment tasks: what `scidisco experiment run` can run.

An experiment config names a task and gives its parameters::

    task: discovery            # or e1_ranking, ..., or baseline:level2_churn
    threads: 2
    params: {...}              # validated by the task itself

A task is a function ``(params, seed, run_dir) -> TaskOutput``. It must be deterministic
for a given ``params`` and ``seed``: metrics go to ``metrics.json`` and are compared
byte for byte by `experiments.reproduce`.

``baseline:<level>`` runs ``baselines/<level>/task.run`` on the level's packaged config with
``params`` merged into it and the experiment seed written into it (see `baseline_config`).

`resolve_params` fills in every default of a task's params (the benchmarks' ``E1Params``
... ``E5Params``, the discovery task's ``RunConfig``); the runner writes the result into the
run folder's ``config.yaml`` and runs the task on it, so the file says exactly what ran.
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
    """What a task returns: metrics, the input files it read (role -> path) and series.

    ``inputs_from_reads``: the task cannot name its inputs (a baseline level reads its own
    files), so the runner lists every data file it saw the task read instead (see
    `experiments.multirun`).
    """

    metrics: dict[str, float]
    inputs: dict[str, Path] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    inputs_from_reads: bool = False


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
    if not config.review_db:  # the seed's own review store, not one under the current folder
        review_db = f"sqlite:///{(run_dir / 'review.sqlite').resolve()}"
        config = config.model_copy(update={"review_db": review_db})
    result = run(config, run_dir=run_dir / "discovery", progress=False)
    return TaskOutput(metrics=result.metrics, inputs=result.loop.inputs, series=result.loop.curves)


# Benchmark task name -> (module in experiments.benchmarks, its pydantic params class).
BENCHMARKS: dict[str, tuple[str, str]] = {
    "e1_ranking": ("e1_ranking", "E1Params"),
    "e1_timesliced": ("e1_timesliced", "TimeSlicedParams"),
    "e2_finetune": ("e2_finetune", "E2Params"),
    "e3_symbolic": ("e3_symbolic", "E3Params"),
    "e4_selection": ("e4_selection", "E4Params"),
    "e5_retrieval": ("e5_retrieval", "E5Params"),
}


def _benchmark(module: str) -> TaskFn:
    def task(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
        bench = importlib.import_module(f"experiments.benchmarks.{module}")
        result: TaskOutput = bench.run(params, seed, run_dir)
        return result

    return task


def _baseline(level: str) -> TaskFn:
    def task(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
        from experiments.multirun import ExperimentError

        try:
            config_path = write_baseline_config(
                level, params, seed, run_dir / "baseline_config.yaml"
            )
            module = importlib.import_module(f"baselines.{level}.task")
            metrics = module.run(config_path, run_dir / "artifacts")
        except (ValueError, FileNotFoundError) as exc:
            # Only the levels' own error types (bad config, missing data) are user mistakes.
            if isinstance(exc, ExperimentError) or not type(exc).__module__.startswith(
                "baselines."
            ):
                raise
            raise ExperimentError(f"task `baseline:{level}`: {exc}") from exc
        # Wall-clock measurements differ between identical runs: they stay in the level's own
        # artifacts/metrics.json and out of the metrics `experiments.reproduce` compares.
        return TaskOutput(
            metrics={k: float(v) for k, v in metrics.items() if not is_timing(k)},
            inputs_from_reads=True,  # levels are self-contained: the runner records the reads
        )

    return task


def is_timing(metric: str) -> bool:
    """Whether a metric name is a wall-clock time (its last segment ends in ``seconds``)."""
    return metric.rsplit("/", 1)[-1].endswith("seconds")


def baseline_config(level: str, params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The level's packaged ``config.yaml`` with ``params`` merged in and ``seed`` set.

    Mappings merge key by key, anything else (lists, scalars) replaces the packaged value, so
    ``params: {split: {cv_folds: 3}}`` changes one field. The seed goes where the packaged
    config keeps its own: the top-level ``seed`` key, else the one nested key named ``seed``
    (level 3: ``split.seed``, level 4: ``models.seed``).

    Raises:
        ExperimentError: ``level`` is not a baselines folder, or its config has no single
            seed key.
    """
    import yaml

    from experiments.multirun import ExperimentError

    packaged = Path(__file__).resolve().parents[1] / "baselines" / level / "config.yaml"
    if not level.isidentifier() or not packaged.is_file():
        raise ExperimentError(
            f"task `baseline:{level}`: no {packaged}; name a folder of baselines/ "
            "(level1_eda, level2_churn, level3_recommender, level4_fraud)"
        )
    base = yaml.safe_load(packaged.read_text()) or {}
    path = _seed_key(base, packaged)
    merged = _merge(base, params)
    node = merged
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = seed
    return merged


def write_baseline_config(level: str, params: dict[str, Any], seed: int, path: Path) -> Path:
    """Write :func:`baseline_config` as YAML at ``path`` and return the path."""
    import yaml

    config = baseline_config(level, params, seed)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _seed_key(config: dict[str, Any], source: Path) -> tuple[str, ...]:
    if "seed" in config:
        return ("seed",)
    found: list[tuple[str, ...]] = []
    stack: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), config)]
    while stack:
        prefix, node = stack.pop()
        for key, value in node.items():
            if key == "seed":
                found.append((*prefix, key))
            elif isinstance(value, dict):
                stack.append(((*prefix, str(key)), value))
    if len(found) != 1:
        from experiments.multirun import ExperimentError

        names = sorted(".".join(p) for p in found) or "none"
        raise ExperimentError(
            f"{source}: cannot tell where the experiment seed goes (keys named `seed`: {names}); "
            "give the config one top-level `seed`"
        )
    return found[0]


TASKS: dict[str, TaskFn] = {
    "discovery": _discovery,
    **{name: _benchmark(module) for name, (module, _) in BENCHMARKS.items()},
}


def resolve_params(task: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` validated by the task's own model with every default filled, as plain data.

    Benchmarks: their params class dumped as JSON types; fields listed in its
    ``RESOLVED_EXCLUDE`` (the ones the benchmark sets itself, see E2) are left out so the
    result validates again. ``discovery``: the resolved ``RunConfig`` without ``seed`` (the
    runner passes each seed). ``baseline:<level>``: unchanged, the level writes its own
    resolved config (``artifacts/config.resolved.yaml``); so is any other task without a
    params model.

    Raises:
        ValueError: the params do not validate (pydantic's message names the field).
    """
    if task.startswith("baseline:"):
        return dict(params)
    if task == "discovery":
        from agent.config import validate_config

        resolved = validate_config({**params, "seed": 0}, source="params").model_dump(mode="json")
        resolved.pop("seed")
        return resolved
    if task not in BENCHMARKS:
        resolve_task(task)  # raises for an unknown task, naming the known ones
        return dict(params)  # a task without a params model of its own
    module, class_name = BENCHMARKS[task]
    model = getattr(importlib.import_module(f"experiments.benchmarks.{module}"), class_name)
    validated = model.model_validate(params)
    dumped: dict[str, Any] = validated.model_dump(
        mode="json", exclude=getattr(model, "RESOLVED_EXCLUDE", None)
    )
    return dumped


def resolve_task(name: str) -> TaskFn:
    """The task function for ``name``; raises ValueError listing the known names."""
    if name.startswith("baseline:"):
        return _baseline(name.split(":", 1)[1])
    if name not in TASKS:
        known = ", ".join([*sorted(TASKS), "baseline:<level>"])
        raise ValueError(f"unknown task {name!r}; known: {known}")
    return TASKS[name]
