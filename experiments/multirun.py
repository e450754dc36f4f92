"""Run one experiment config for several seeds, locally or on a Ray cluster.

Each seed gets its own folder ``<out>/<name>/seed-<seed>/`` holding ``config.yaml`` (the
experiment config with the task's params resolved: every default filled, see
`experiments.tasks.resolve_params`), ``manifest.json``, ``metrics.json`` (deterministic),
``series.json``, ``timings.json`` (wall time and this seed's peak memory, never compared; see
`experiments.resources`) and ``run.log`` (the seed's log records from INFO up, on either
backend).

The manifest's input checksums cover every data file the task read: files the task read
without listing them in ``TaskOutput.inputs`` are found through `experiments.inputs`, added
as ``unlisted:<path>`` and warned about (a task bug to fix, not a state to rely on). Tasks
that cannot name their inputs (baseline levels) set ``inputs_from_reads``: their reads are
listed as ``read:<path>`` without a warning.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from experiments.inputs import record_reads, unlisted
from experiments.manifest import build_manifest, write_json
from experiments.resources import ResourceMeter
from experiments.tasks import ExperimentConfig, TaskOutput, resolve_params, resolve_task
from retrieval.datadir import DataDirError, data_dir

logger = logging.getLogger(__name__)


class ExperimentError(ValueError):
    """An experiment config or run folder is unusable; the message says which and why."""


def load_experiment(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(f"experiment config {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return ExperimentConfig.model_validate(raw)
    except (yaml.YAMLError, ValueError) as exc:
        raise ExperimentError(f"{path} is not a valid experiment config: {exc}") from exc


def pin_threads(threads: int) -> None:
    """Pin BLAS and torch thread counts so that sums are computed in the same order."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch

    torch.set_num_threads(threads)


def run_seed(config: ExperimentConfig, seed: int, run_dir: Path) -> Path:
    """Run one seed into ``run_dir`` and return it.

    Raises:
        ExperimentError: the task's params do not validate.
    """
    pin_threads(config.threads)
    meter = ResourceMeter()
    task = resolve_task(config.task)
    try:
        params = resolve_params(config.task, config.params)
    except ValueError as exc:
        raise ExperimentError(f"`params` of task `{config.task}`: {exc}") from exc
    resolved = config.model_copy(update={"params": params})
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(resolved.model_dump(mode="json"), sort_keys=False)
    )
    root = _data_root()
    with _run_log(run_dir / "run.log"):
        with record_reads(root or run_dir) as reads:
            logger.info("%s seed %d: params %s", config.name, seed, params)
            output = task(params, seed, run_dir)
        usage = meter.usage()
        inputs = _with_unlisted(output, reads, root, config.task)
        logger.info("%s seed %d finished: %s", config.name, seed, usage.note())

    write_json(
        run_dir / "manifest.json",
        build_manifest(
            inputs,
            seeds=[seed],
            threads=config.threads,
            extra={"experiment": config.name, "task": config.task},
        ),
    )
    write_json(run_dir / "metrics.json", _rounded(output.metrics))
    write_json(run_dir / "series.json", output.series)
    write_json(run_dir / "timings.json", usage.as_dict())
    return run_dir


def _data_root() -> Path | None:
    try:
        return data_dir()
    except DataDirError:
        return None  # a task that reads no shared data (or only absolute paths) still runs


@contextmanager
def _run_log(path: Path) -> Iterator[None]:
    """Send the seed's log records (INFO and up) to ``path``.

    The root logger is lowered to INFO while the seed runs: only the CLI process configures
    logging (``logging.basicConfig``), so a Ray worker's root logger stays at WARNING and the
    file would otherwise get warnings only.
    """
    root = logging.getLogger()
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = root.level
    root.setLevel(min(level, logging.INFO) if level != logging.NOTSET else logging.INFO)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _with_unlisted(
    output: TaskOutput, reads: set[str], root: Path | None, task: str
) -> dict[str, Path]:
    inputs = dict(output.inputs)
    missing = unlisted(reads, inputs) if root is not None else []
    if missing and not output.inputs_from_reads:
        logger.warning(
            "task `%s` read data files it does not list in TaskOutput.inputs (added to the "
            "manifest as unlisted:*): %s",
            task,
            ", ".join(str(p) for p in missing),
        )
    kind = "read" if output.inputs_from_reads else "unlisted"
    real_root = root.resolve() if root else None  # `unlisted` gives paths with links resolved
    for path in missing:
        name = path.relative_to(real_root) if real_root and path.is_relative_to(real_root) else path
        inputs[f"{kind}:{name}"] = path
    return inputs


def run_experiment(
    config: ExperimentConfig,
    seeds: list[int],
    out_dir: str | Path = "runs/experiments",
    backend: str = "local",
    workers: int = 2,
) -> list[Path]:
    """Run every seed; ``backend="ray"`` runs them in parallel on a local Ray cluster."""
    base = Path(out_dir).resolve() / config.name
    dirs = [base / f"seed-{seed}" for seed in seeds]
    if backend == "local":
        return [run_seed(config, seed, d) for seed, d in zip(seeds, dirs, strict=True)]
    if backend != "ray":
        raise ExperimentError(f"unknown backend {backend!r}; use `local` or `ray`")
    return _run_on_ray(config, seeds, dirs, workers)


def _run_on_ray(
    config: ExperimentConfig, seeds: list[int], dirs: list[Path], workers: int
) -> list[Path]:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(run_seed)
        refs = [remote.remote(config, s, d) for s, d in zip(seeds, dirs, strict=True)]
        return [Path(p) for p in ray.get(refs)]
    finally:
        if started_here:
            ray.shutdown()


def read_metrics(run_dir: Path) -> dict[str, float]:
    path = run_dir / "metrics.json"
    if not path.is_file():
        raise ExperimentError(f"{run_dir} has no metrics.json: is it a finished run folder?")
    metrics: dict[str, float] = json.loads(path.read_text())
    return metrics


def _rounded(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: round(float(v), 6) for k, v in sorted(metrics.items())}
