"""``python -m baselines.level4_fraud.serve [--artifacts DIR] [--config PATH] [--start DATE]
[--model NAME] [--host H] [--port P] [--features-url URL]``: the scoring service on uvicorn.

Every option defaults to an environment variable (``L4_ARTIFACTS``, ``L4_CONFIG``,
``L4_START``, ``L4_MODEL``, ``L4_HOST``, ``L4_PORT``, ``L4_FEATURES_URL``), so the Docker
image's command and the tests' command are the same line.

Two roles: by default the instance holds the feature store (and answers ``/features`` for
others); with ``--features-url`` it is a stateless scorer taking its features from such an
instance (``remote.py``), needing only the model file and no transaction history.

The config, the run folder and the data files are checked before the server starts (a mistake
exits 2 with the message); the feature store is then warmed with all history before ``--start``
(default: the config's first test day) while the server already answers ``/health``; ``/ready``
turns 200 when warm-up is done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from baselines.level4_fraud import data
from baselines.level4_fraud.config import ConfigError, Level4Config, ServiceConfig, load_config
from baselines.level4_fraud.remote import RemoteFeatureScorer
from baselines.level4_fraud.service import (
    MissingArtifactError,
    artifact_paths,
    create_app,
    load_model,
    load_service,
)


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.serve")
    parser.add_argument("--artifacts", default=env("L4_ARTIFACTS", "runs/level4_fraud"))
    parser.add_argument("--config", default=env("L4_CONFIG"), help="YAML (default: packaged)")
    parser.add_argument("--start", default=env("L4_START"), help="first day served, YYYY-MM-DD")
    parser.add_argument("--model", default=env("L4_MODEL"), help="saved model (default: config)")
    parser.add_argument("--host", default=env("L4_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("L4_PORT", "8000")))
    parser.add_argument(
        "--features-url",
        default=env("L4_FEATURES_URL") or None,
        help="feature-store instance to take features from (scorer role)",
    )
    return parser


def checked_settings(args: argparse.Namespace) -> tuple[Level4Config, Path, dt.date]:
    """The config, run folder and first day, with every file the service needs present.

    Raises:
        ConfigError: bad config file, model name or start date.
        MissingArtifactError: the run folder lacks the model or reference features.
        MissingDataError: a transaction file is missing.
    """
    cfg = load_config(args.config)
    if args.model:
        try:
            service = ServiceConfig.model_validate(
                {**cfg.service.model_dump(), "model": args.model}
            )
        except ValidationError as exc:
            raise ConfigError(f"--model / L4_MODEL {args.model!r} is not valid:\n{exc}") from exc
        cfg = cfg.model_copy(update={"service": service})
    try:
        start = dt.date.fromisoformat(args.start) if args.start else cfg.split.test_start
    except ValueError as exc:
        raise ConfigError(
            f"--start / L4_START {args.start!r} is not a date; use YYYY-MM-DD"
        ) from exc
    artifacts = Path(args.artifacts)
    artifact_paths(cfg, artifacts, reference=args.features_url is None)
    if args.features_url is None:
        data.require_file(cfg, cfg.raw_file)
        data.require_file(cfg, cfg.features_file)
    return cfg, artifacts, start


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, check them, serve until interrupted; 2 on a user mistake."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        cfg, artifacts, start = checked_settings(args)
    except (ConfigError, MissingArtifactError, data.MissingDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.features_url:
        model_path, _ = artifact_paths(cfg, artifacts, reference=False)
        url = args.features_url
        app = create_app(loader=lambda: RemoteFeatureScorer(load_model(model_path), url, cfg))
    else:
        app = create_app(loader=lambda: load_service(cfg, artifacts, start))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
