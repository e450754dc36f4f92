"""Prompt helpers shared by rationale writing, plausibility scoring and proposing."""

from __future__ import annotations

from typing import Any

from agent.llm.chat import with_token_limit
from agent.types import Evidence

__all__ = ["format_evidence", "relation_phrase", "truncate_tokens", "with_token_limit"]

# Without a tokenizer (an endpoint backend), budgets are converted at ~4 characters per
# token, the usual figure for English BPE vocabularies.
_CHARS_PER_TOKEN = 4


def truncate_tokens(text: str, budget: int, tokenizer: Any | None = None) -> str:
    """Cut ``text`` to at most ``budget`` tokens (whole tokens; ``...`` marks a cut)."""
    if tokenizer is None:
        limit = budget * _CHARS_PER_TOKEN
        return text if len(text) <= limit else text[:limit].rstrip() + "..."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) <= budget:
        return text
    return str(tokenizer.decode(ids[:budget])).rstrip() + "..."


def format_evidence(
    evidence: list[Evidence], budget: int, tokenizer: Any | None = None, max_items: int = 3
) -> tuple[str, list[str]]:
    """Render the best ``max_items`` passages as ``[PMID n] text`` lines within ``budget`` tokens.

    The budget is split evenly, so one long abstract cannot crowd out the others.

    Returns:
        The rendered block and the PMIDs shown, in order (duplicates dropped).
    """
    shown: list[Evidence] = []
    for item in sorted(evidence, key=lambda e: -e.score):
        if item.pmid not in {e.pmid for e in shown}:
            shown.append(item)
        if len(shown) == max_items:
            break
    if not shown:
        return "", []
    share = max(budget // len(shown), 8)
    lines = [f"[PMID {e.pmid}] {truncate_tokens(e.text, share, tokenizer)}" for e in shown]
    return "\n".join(lines), [e.pmid for e in shown]


def relation_phrase(relation: str) -> str:
    """``associated_with`` -> ``is associated with``: readable in a sentence."""
    words = relation.replace("_", " ")
    return f"is {words}" if relation == "associated_with" else words
