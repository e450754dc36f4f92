"""The ``scidisco`` command line.

scidisco run experiments/configs/demo.yaml        the main job; prints the run folder
scidisco run CONFIG --set rl.budget=3 --seed 1     override any config field
scidisco check-data                                is the data directory complete?
scidisco serve                                     the review web app
scidisco admin create-user --username ann --role reviewer
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import yaml

logger = logging.getLogger("scidisco")

DEMO_CONFIG = "experiments/configs/demo.yaml"
DEMO_DATA_FILES = (
    "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "bio/mesh/terms.tsv",
    "bio/mesh/tree-numbers.tsv",
)


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback."""


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn ``["rl.budget=3", "llm.max_new_tokens=32"]`` into nested dicts (YAML-typed values)."""
    nested: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--set expects KEY=VALUE (e.g. rl.budget=3), got {pair!r}")
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return nested


def cmd_run(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from experiments.runner import run

    overrides = parse_overrides(args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.output_dir is not None:
        overrides["output_dir"] = args.output_dir
    config = load_config(args.config, overrides)
    result = run(config, progress=not args.quiet)
    top = result.loop.top(10)
    print(f"\nTop {len(top)} hypotheses:")
    for i, h in enumerate(top, start=1):
        checks = " ".join(
            f"{v.check}={'yes' if v.passed else 'no' if v.passed is False else '?'}"
            for v in h.verdicts
        )
        print(f"{i:>3}. {h.text():<60.60} rank={h.scores.get('rank', 0):.3f} {checks}")
    print("\nMetrics:")
    for key, value in sorted(result.metrics.items()):
        print(f"  {key:<40} {value:.4f}")
    db = config.review_url()
    print(f"\nRun folder: {result.run_dir}\nReport:     {result.run_dir / 'report.html'}")
    print(
        "Review:     scidisco admin create-user --username YOU --role reviewer "
        f"--db {db}\n            scidisco serve --dev --db {db}   "
        "(then open http://127.0.0.1:8000)"
    )
    return 0


def cmd_check_data(args: argparse.Namespace) -> int:
    from retrieval.datadir import require

    root = require(DEMO_DATA_FILES, args.data_dir)
    print(f"data directory {root} has everything the demo needs")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scidisco",
        description="Autonomous discovery over biomedical literature: generate, check, "
        "select and review hypotheses.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the discovery loop on a YAML config")
    run.add_argument("config", nargs="?", default=DEMO_CONFIG, help=f"default: {DEMO_CONFIG}")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set rl.budget=3 (repeatable)",
    )
    run.add_argument("--seed", type=int, help="override the config's seed")
    run.add_argument("--output-dir", help="where the run folder goes (default: runs/)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-data", help="check the data directory for the demo's files")
    check.add_argument("--data-dir", help="default: $SCIDISCO_DATA or ../shared/data")
    check.set_defaults(func=cmd_check_data)

    for register in _plugins():
        register(sub)
    return parser


def _plugins() -> list[Callable[[Any], None]]:
    """Subcommands owned by other packages (review app, fine-tuning, experiments)."""
    from agent.finetune import register as finetune_command
    from experiments.cli import register as experiment_commands
    from hitl.cli import register as review_commands

    return [review_commands, finetune_command, experiment_commands]


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--quiet" in argv:
        # Before the parser imports the subcommands' modules: tqdm, transformers and the hub
        # read these once, at import.
        os.environ["TQDM_DISABLE"] = "1"
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return int(args.func(args) or 0)
    except Exception as exc:  # user-facing errors only; anything else keeps its traceback
        if not _is_user_error(exc):
            raise
        print(f"scidisco: error: {exc}", file=sys.stderr)
        return 2


def _is_user_error(exc: Exception) -> bool:
    """Mistakes in a config, a data file or the data directory: the message says what to fix."""
    from agent.config import ConfigError
    from experiments.multirun import ExperimentError
    from retrieval.datadir import DataDirError
    from retrieval.pubtator import CorpusFormatError
    from rl.facts import LabDataError

    user_errors = (
        UserError,
        ConfigError,
        DataDirError,
        CorpusFormatError,
        LabDataError,
        ExperimentError,
    )
    return isinstance(exc, user_errors)


if __name__ == "__main__":
    sys.exit(main())
