"""Ranking hypotheses within a target.

The project's ranker combines, per target pool:

    rank_score = abc_norm + llm_weight * llm_norm

``abc_norm`` is the ABC score divided by the pool's best (so 1.0 for the top candidate);
``llm_norm`` is the LLM plausibility (a log-odds, see `agent.plausibility`) squashed by a
logistic function, 0.5 where the model is indifferent. Candidates without an LLM score get
``llm_norm = 0.5``. With the symbolic filter on, candidates that fail a Prolog check
(ill-typed, already known, contradicting a known fact) are moved below every candidate that
passed, keeping their relative order; they are not deleted, so reviewers still see them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from agent.types import Hypothesis

BLOCKING_CHECKS = ("well_typed", "novel", "consistent")


def passes_symbolic(h: Hypothesis) -> bool:
    """False when any blocking check said no; abstentions (None) pass."""
    return all(v.passed is not False for v in h.verdicts if v.check in BLOCKING_CHECKS)


def rank_pool(
    pool: Sequence[Hypothesis], llm_weight: float = 0.5, symbolic_filter: bool = True
) -> list[Hypothesis]:
    """Score and sort one target's candidates, best first; writes ``scores['rank']``."""
    best_abc = max((h.scores.get("abc_score", 0.0) for h in pool), default=0.0) or 1.0
    for h in pool:
        abc_norm = h.scores.get("abc_score", 0.0) / best_abc
        llm = h.scores.get("llm_plausibility")
        llm_norm = 0.5 if llm is None else 1.0 / (1.0 + math.exp(-llm))
        h.scores["rank"] = abc_norm + llm_weight * llm_norm

    def key(h: Hypothesis) -> tuple[bool, float, str]:
        demoted = symbolic_filter and not passes_symbolic(h)
        return (demoted, -h.scores["rank"], h.subject.id)

    return sorted(pool, key=key)
