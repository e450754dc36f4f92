"""``python -m baselines.level4_fraud.serve --artifacts DIR [--config PATH] [--start DATE]
[--model NAME]``.

Serves the scoring API with uvicorn on loopback, its feature store warmed with all history
before ``--start`` (default: the config's first test day).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path

import uvicorn

from baselines.level4_fraud.config import load_config
from baselines.level4_fraud.service import create_app, load_service


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the service and serve it until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.serve")
    parser.add_argument("--artifacts", default="runs/level4_fraud", help="run folder")
    parser.add_argument("--config", default=None, help="YAML config (default: packaged one)")
    parser.add_argument("--start", default=None, help="first day served (YYYY-MM-DD)")
    parser.add_argument("--model", default=None, help="saved model name (default: config's)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = load_config(args.config)
    if args.model:
        cfg.service.model = args.model
    start = dt.date.fromisoformat(args.start) if args.start else cfg.split.test_start
    service = load_service(cfg, Path(args.artifacts), start)
    uvicorn.run(create_app(service), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
