"""``python -m baselines.level4_fraud [--config PATH] [--out DIR]``."""

from __future__ import annotations

import argparse
import logging
import sys

from baselines.level4_fraud.config import ConfigError
from baselines.level4_fraud.data import MissingDataError
from baselines.level4_fraud.task import DEFAULT_OUT, run


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the task and print the metrics; 2 on a user error."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud", description=__doc__)
    parser.add_argument("--config", default=None, help="YAML config (default: packaged one)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        metrics = run(args.config, args.out)
    except (ConfigError, MissingDataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in metrics.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    print(f"results table: {args.out}/results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
