"""``python -m baselines.level3_recommender.serve``: run the service (the Docker image's command).

Configured by environment only, so the same command runs in the image and in the tests:
``L3_ARTIFACTS`` (serving folder of the batch job, default ``./serving``), ``L3_HOST``
(default 127.0.0.1; the image sets 0.0.0.0), ``L3_PORT`` (default 8000) and the other
``L3_*`` fields of ``ServiceSettings``.
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn
from pydantic import ValidationError

from .recommend import ServiceState
from .service import create_app
from .serving import ServiceSettings


def main() -> int:
    """Validate the settings, load the serving folder and serve until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = ServiceSettings.from_env()
        port = int(os.environ.get("L3_PORT", "8000"))
    except (ValidationError, ValueError) as exc:
        print(f"error: bad L3_* environment variable: {exc}", file=sys.stderr)
        return 2
    if not settings.artifacts.is_dir():
        print(
            f"error: serving folder {settings.artifacts} does not exist; run "
            "`python -m baselines.level3_recommender --out DIR` and set L3_ARTIFACTS=DIR/serving",
            file=sys.stderr,
        )
        return 2
    app = create_app(ServiceState.load(settings))
    host = os.environ.get("L3_HOST", "127.0.0.1")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
