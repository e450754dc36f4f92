"""``python -m baselines.level1_eda [--config PATH] [--out DIR] [--notebook]``."""

from __future__ import annotations

import argparse
import logging
import sys

from baselines.level1_eda.common import ConfigError, format_metrics, prepare_out_dir
from baselines.level1_eda.data import DataValidationError
from baselines.level1_eda.task import LEVEL, run


def main(argv: list[str] | None = None) -> int:
    """Run level 1 (and optionally its notebook); print the metrics. Returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level1_eda", description=__doc__)
    parser.add_argument("--config", help="YAML config (default: the packaged config.yaml)")
    parser.add_argument("--out", help="output folder (default: runs/baselines/level1_eda/<time>)")
    parser.add_argument(
        "--notebook", action="store_true", help="also execute notebook.ipynb into the folder"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    out = prepare_out_dir(args.out, LEVEL)
    try:
        metrics = run(args.config, out)
    except (ConfigError, FileNotFoundError, DataValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_metrics(metrics))
    if args.notebook:
        from baselines.level1_eda.notebook_runner import execute_notebook

        execute_notebook(out / "notebook.executed.ipynb")
    print(f"outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
