"""Run one experiment config for several seeds, locally or on a Ray cluster.

Each seed gets its own folder ``<out>/<name>/seed-<seed>/`` holding ``config.yaml`` (the
experiment config as resolved), ``manifest.json``, ``metrics.json`` (deterministic),
``series.json``, ``timings.json`` (wall time and peak memory, never compared) and ``run.log``.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
from pathlib import Path
from typing import Any

import yaml

from experiments.manifest import build_manifest, write_json
from experiments.tasks import ExperimentConfig, resolve_task

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
    """Run one seed into ``run_dir`` and return it."""
    pin_threads(config.threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
    handler = logging.FileHandler(run_dir / "run.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        start = time.perf_counter()
        output = resolve_task(config.task)(config.params, seed, run_dir)
        elapsed = time.perf_counter() - start
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    write_json(
        run_dir / "manifest.json",
        build_manifest(
            output.inputs,
            seeds=[seed],
            threads=config.threads,
            extra={"experiment": config.name, "task": config.task},
        ),
    )
    write_json(run_dir / "metrics.json", _rounded(output.metrics))
    write_json(run_dir / "series.json", output.series)
    write_json(
        run_dir / "timings.json",
        {
            "wall_s": round(elapsed, 3),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
    )
    return run_dir


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
