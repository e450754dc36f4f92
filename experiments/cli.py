"""``scidisco experiment``: run configs over seeds, reproduce a run, build tables."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def cmd_run(args: argparse.Namespace) -> int:
    from experiments.multirun import load_experiment, run_experiment
    from experiments.tables import aggregate, collect, write_tables

    config = load_experiment(args.config)
    dirs = run_experiment(config, args.seeds, args.out, backend=args.backend, workers=args.workers)
    table = aggregate(collect(dirs))
    paths = write_tables(table, Path(args.out) / config.name, stem="summary")
    print(paths[1].read_text())
    print("run folders:\n  " + "\n  ".join(str(d) for d in dirs))
    if args.mlflow:
        _log_to_mlflow(config.name, dirs, args.mlflow_uri, args.out)
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from experiments.reproduce import reproduce

    result = reproduce(args.run_dir, args.out)
    for warning in result.warnings:
        print(f"warning: {warning}")
    if result.identical:
        print(
            f"reproduced: every metric in {args.run_dir}/metrics.json is identical "
            f"(rerun in {result.rerun_dir})"
        )
        return 0
    print(f"{len(result.differences)} metric(s) differ (recorded -> rerun):")
    for key, (before, after) in result.differences.items():
        print(f"  {key}: {before} -> {after}")
    return 1


def cmd_table(args: argparse.Namespace) -> int:
    from experiments.tables import aggregate, collect, plot_metrics, write_tables

    table = aggregate(collect([Path(d) for d in args.run_dirs]))
    out = Path(args.out)
    paths = write_tables(table, out, args.stem) + plot_metrics(table, out, args.stem)
    print(paths[1].read_text())
    print("written:\n  " + "\n  ".join(str(p) for p in paths))
    return 0


def _log_to_mlflow(experiment: str, dirs: list[Path], uri: str | None, out: str) -> None:
    """Log each seed as an MLflow run when MLflow is installed (it is optional)."""
    import importlib.util
    import os

    if importlib.util.find_spec("mlflow") is None:
        logger.warning("--mlflow given but MLflow is not installed; `pip install mlflow-skinny`")
        return
    from experiments.tracking import log_run_dirs

    # MLflow 3 refuses its old file store unless told otherwise: default to SQLite beside the
    # run folders; MLFLOW_TRACKING_URI, when set, wins over that default.
    database = Path(out).resolve() / "mlflow.db"
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{database}"
    ids = log_run_dirs(experiment, dirs, uri)
    print(f"logged {len(ids)} MLflow run(s) to {uri}")


def register(subparsers: Any) -> None:
    """Add ``experiment run|reproduce|table`` to the ``scidisco`` command line."""
    parser = subparsers.add_parser("experiment", help="multi-seed runs, reproduction, tables")
    sub = parser.add_subparsers(dest="experiment_command", required=True, metavar="ACTION")

    run = sub.add_parser("run", help="run one experiment config for several seeds")
    run.add_argument(
        "config", help="an experiment config, e.g. experiments/configs/e1_ranking.yaml"
    )
    run.add_argument("--seeds", type=int, nargs="+", default=[0], help="default: 0")
    run.add_argument("--backend", choices=("local", "ray"), default="local")
    run.add_argument("--workers", type=int, default=2, help="Ray CPUs (default 2)")
    run.add_argument("--out", default="runs/experiments", help="default: runs/experiments")
    run.add_argument("--mlflow", action="store_true", help="also log to MLflow if installed")
    run.add_argument(
        "--mlflow-uri",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///OUT/mlflow.db)",
    )
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser("reproduce", help="rerun a run folder and report differing metrics")
    rep.add_argument(
        "run_dir", help="a run folder (runs/experiments/<name>/seed-N) holding manifest.json"
    )
    rep.add_argument("--out", help="where the rerun goes (default: a temp folder)")
    rep.set_defaults(func=cmd_reproduce)

    table = sub.add_parser("table", help="mean ± std over seeds as CSV, Markdown, LaTeX, PNG")
    table.add_argument("run_dirs", nargs="+", help="run folders, e.g. runs/experiments/e3/seed-*")
    table.add_argument("--out", default="runs/tables", help="default: runs/tables")
    table.add_argument("--stem", default="results", help="file name stem (default: results)")
    table.set_defaults(func=cmd_table)
