"""``python -m baselines.level4_fraud [--config PATH] [--out DIR]``: run level 4."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from baselines.level4_fraud.config import ConfigError
from baselines.level4_fraud.data import DataFormatError, MissingDataError
from baselines.level4_fraud.task import SplitError, default_out_dir, run


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the task, print the metrics; exit 2 on a user mistake."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="YAML config (default: ours)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: runs/baselines/...)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    out = args.out or default_out_dir()
    try:
        metrics = run(args.config, out)
    except (ConfigError, MissingDataError, DataFormatError, SplitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print((out / "results.md").read_text(encoding="utf-8"))
    width = max(len(name) for name in metrics)
    for name, value in metrics.items():
        print(f"{name:<{width}}  {value:.4f}")
    print(f"output: {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
