"""Run a config and leave a run folder behind.

A run folder holds::

    config.yaml        the resolved config (every default filled in)
    manifest.json      git commit and dirty flag, package versions, seed, input checksums
    hypotheses.jsonl   every hypothesis with scores, evidence, verdicts, outcome
    metrics.json       the numbers (byte-identical for the same config and seed)
    timings.json       wall time per step (never repeats, so kept apart from metrics)
    report.md, report.html and plots/*.png

For scripts::

    from agent.config import load_config
    from experiments.runner import run

    result = run(load_config("experiments/configs/demo.yaml", {"rl": {"budget": 3}}))
    print(result.metrics["ranking/hits@10"], result.run_dir)
"""

from __future__ import annotations

import json
import logging
import os
import resource
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from agent.config import RunConfig
from agent.loop import DiscoveryLoop, LoopResult
from agent.types import Hypothesis
from experiments.manifest import build_manifest, write_json
from experiments.report import write_report

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, float]
    hypotheses: list[Hypothesis]
    loop: LoopResult


def new_run_dir(config: RunConfig) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(config.output_dir) / f"{config.name}-{stamp}-s{config.seed}"
    run_dir, n = base, 1
    while run_dir.exists():
        n += 1
        run_dir = base.with_name(f"{base.name}-{n}")
    run_dir.mkdir(parents=True)
    return run_dir


def run(config: RunConfig, run_dir: Path | None = None, progress: bool = True) -> RunResult:
    """Run the discovery loop for ``config`` and write its run folder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run_dir = run_dir or new_run_dir(config)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
    logger.info("run %s: config %s", run_dir, config.model_dump(mode="json"))

    loop = DiscoveryLoop(config, progress=progress).run()
    write_json(
        run_dir / "manifest.json",
        build_manifest(
            loop.inputs,
            seeds=[config.seed],
            threads=config.threads,
            extra={"run": run_dir.name, "review_db": config.review_url()},
        ),
    )
    _write_hypotheses(run_dir / "hypotheses.jsonl", loop.hypotheses)
    if loop.proposals is not None:
        _write_hypotheses(run_dir / "proposals.jsonl", loop.proposals.accepted)
    if loop.index is not None:  # the evidence's source, reloadable with ChunkIndex.load
        loop.index.save(run_dir / "index")
    write_json(run_dir / "metrics.json", {k: round(v, 6) for k, v in sorted(loop.metrics.items())})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_json(run_dir / "timings.json", {"steps_s": loop.timings, "peak_rss_mb": peak_mb})
    _record_for_review(config, run_dir.name, loop.hypotheses)
    write_report(run_dir, config, loop)
    logger.info("run %s finished", run_dir)
    return RunResult(run_dir=run_dir, metrics=loop.metrics, hypotheses=loop.hypotheses, loop=loop)


def _write_hypotheses(path: Path, hypotheses: list[Hypothesis]) -> None:
    with open(path, "w") as handle:
        for h in hypotheses:
            row = {"id": h.id, **h.model_dump(mode="json")}
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def _record_for_review(config: RunConfig, run_id: str, hypotheses: list[Hypothesis]) -> None:
    from hitl.service import record_run

    count = record_run(config.review_url(), run_id, hypotheses)
    logger.info("recorded %d hypotheses for review in %s", count, config.review_url())
