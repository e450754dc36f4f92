"""The run report: Markdown for reading in a terminal or repository, HTML for a browser."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.ticker import MaxNLocator

from agent.config import RunConfig
from agent.loop import LoopResult
from agent.types import Hypothesis

TOP_N = 10


def write_report(run_dir: Path, config: RunConfig, loop: LoopResult) -> Path:
    """Write ``report.md``, ``report.html`` and the plots; return the Markdown path."""
    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    figures = [
        _discovery_curves(loop.curves, config.rl.budget, plots / "discovery_curves.png"),
        _score_separation(loop, plots / "score_separation.png"),
    ]
    rows = [_row(rank, h) for rank, h in enumerate(loop.top(TOP_N), start=1)]
    context = {
        "config": config,
        "metrics": sorted(loop.metrics.items()),
        "rows": rows,
        "figures": [f.relative_to(run_dir).as_posix() for f in figures],
        "proposals": loop.proposals,
        "timings": loop.timings,
        "run": run_dir.name,
        "verdict_summary": verdict_summary,
    }
    env = Environment(
        loader=PackageLoader("experiments", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    (run_dir / "report.html").write_text(env.get_template("report.html").render(**context))
    markdown = run_dir / "report.md"
    markdown.write_text(env.get_template("report.md").render(**context))
    return markdown


def _row(rank: int, h: Hypothesis) -> dict[str, object]:
    verdicts = {v.check: v for v in h.verdicts}
    outcome = "untested"
    if h.outcome is not None:
        outcome = {True: "confirmed", False: "refuted", None: "undecided"}[h.outcome.confirmed]
    return {
        "rank": rank,
        "text": h.text(),
        "subject": h.subject,
        "object": h.object,
        "scores": {k: round(v, 3) for k, v in sorted(h.scores.items())},
        "verdicts": verdicts,
        "verdict_summary": verdict_summary(h),
        "outcome": outcome,
        "rationale": h.rationale,
        "pmids": h.cited_pmids or sorted({e.pmid for e in h.evidence}),
        "intermediates": ", ".join(e.name for e in h.provenance.intermediates),
    }


def verdict_summary(h: Hypothesis) -> str:
    """``well_typed yes, novel no, ...``: each check's answer in one line."""
    return ", ".join(
        f"{v.check} {'yes' if v.passed else 'no' if v.passed is False else '?'}" for v in h.verdicts
    )


def _discovery_curves(curves: dict[str, list[float]], budget: int, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name, curve in sorted(curves.items()):
        ax.plot(range(0, len(curve) + 1), [0.0, *curve], marker="o", label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("experiments run")
    ax.set_ylabel("confirmed discoveries (mean per target)")
    ax.set_title(f"Experiment selection on held-out targets (budget {budget})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _score_separation(loop: LoopResult, path: Path) -> Path:
    """Rank scores of candidates the lab confirmed vs refuted (tested ones only)."""
    groups: dict[str, list[float]] = {"confirmed": [], "refuted": []}
    for h in loop.hypotheses:
        if h.outcome is not None and h.outcome.confirmed is not None:
            groups["confirmed" if h.outcome.confirmed else "refuted"].append(h.scores["rank"])
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.hist(list(groups.values()), bins=15, label=list(groups), stacked=False)
    ax.set_xlabel("rank score")
    ax.set_ylabel("tested hypotheses")
    ax.set_title("Rank score of tested hypotheses by lab outcome")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
