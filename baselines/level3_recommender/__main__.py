"""``python -m baselines.level3_recommender [--config PATH] [--out DIR]``: run level 3."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .config import ConfigError
from .data import DataFormatError, DataMissingError
from .task import default_out_dir, run


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the task, print the metrics; exit 2 on a user mistake."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level3_recommender")
    parser.add_argument("--config", type=Path, default=None, help="YAML config (default: ours)")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    out = args.out or default_out_dir()
    try:
        metrics = run(args.config, out)
    except (ConfigError, DataMissingError, DataFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print((out / "metrics.md").read_text(encoding="utf-8"))
    width = max(len(name) for name in metrics)
    for name, value in metrics.items():
        print(f"{name:<{width}}  {value:.4f}")
    print(f"output: {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
