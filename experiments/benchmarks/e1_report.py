"""E1's Markdown table: every row on all candidates, hypernym-filtered, the LLM's targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.benchmarks.e1_ranking import E1Params

GLOBAL = ("auroc", "ap", "mrr", "hits@10", "hits@50", "hits@100")
PER_TARGET = ("mrr", "hits@10", "hits@50", "hits@100")


def _rows(
    metrics: dict[str, float], prefix: str, names: Sequence[str], cols: Sequence[str]
) -> list[str]:
    lines = ["| method | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name in names:
        cells = [f"{metrics.get(f'{prefix}/{name}/{c}', float('nan')):.4f}" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def render_table(metrics: dict[str, float], names: Sequence[str], cfg: E1Params, usage: str) -> str:
    """The run folder's ``table.md``; ``usage`` is the wall-time and memory sentence."""
    m = metrics
    llm_rows = [n for n in names if "+llm" in n]
    lines = [
        f"E1 hypothesis ranking (held-out literature): {m['e1/candidates']:.0f} candidates, "
        f"{m['e1/true_pairs']:.0f} true pairs, {m['e1/targets']:.0f} targets",
        "",
        "## All candidates",
        "",
        *_rows(m, "e1", names, GLOBAL),
        "",
        f"## Hypernym-filtered ({m['e1_hypernym_filtered/removed']:.0f} false candidates "
        "removed whose disease is a MeSH ancestor or descendant of one their chemical is "
        "known to induce)",
        "",
        *_rows(m, "e1_hypernym_filtered", names, GLOBAL),
    ]
    if llm_rows:
        lines += [
            "",
            f"## On the {m['e1_llm_subset/targets']:.0f} targets the LLM re-ranked "
            "(per-target metrics only)",
            "",
            *_rows(m, "e1_llm_subset", names, PER_TARGET),
        ]
    lines += ["", *_notes(m, cfg, bool(llm_rows)), "", usage]
    return "\n".join(lines) + "\n"


def _notes(m: dict[str, float], cfg: E1Params, llm: bool) -> list[str]:
    notes = [
        "Notes.",
        "- logreg: a logistic regression local to this benchmark (e1_features.fit_ranker, "
        "fitted inside the training split), not the agent's ranker. rank_pool: the agent's "
        "own score, agent.rank.rank_pool (ABC score / the pool's best + llm_weight x "
        f"sigmoid(LLM plausibility)), over each target's {cfg.pool_size} best ABC candidates "
        "with a linking term, as agent.loop ranks them; candidates outside the pool follow it.",
        f"- +filter: Prolog checks (well_typed, consistent) on each target's top {cfg.top_k} "
        f"(logreg) or on its pool (rank_pool); failing candidates sink below the rest.",
        "- Per-target metrics rank a target's best true chemical among its candidates, ties "
        "counted pessimistically.",
    ]
    if llm:
        notes.append(
            f"- +llm rows cover a subset: the LLM scored the top {cfg.llm_top} candidates of "
            f"only the first {m['e1_llm_subset/targets']:.0f} of {m['e1/targets']:.0f} "
            "evaluated targets (by id; `llm_max_targets`), "
            f"{m['e1_llm_subset/llm_scored']:.0f} distinct candidates in all. On the other "
            "targets those rows equal their base rows (logreg, rank_pool+filter), so their "
            "all-candidate and hypernym-filtered metrics mix re-ranked and untouched targets; "
            "compare them in the table of the LLM's targets."
        )
    else:
        notes.append("- No +llm rows: `llm_top` is 0.")
    return notes
