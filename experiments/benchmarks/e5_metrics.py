"""Ranking metrics of E5 for binary relevance: recall@k, nDCG@k and reciprocal rank.

A ranking is a list of PMIDs, best first, without repeats; ``relevant`` is the set of PMIDs
that count as hits. Every function returns a value in [0, 1] for one query.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _check(ranking: Sequence[str], relevant: set[str], k: int | None = None) -> None:
    if not relevant:
        raise ValueError("`relevant` is empty; a query needs at least one relevant document")
    if k is not None and k < 1:
        raise ValueError(f"`k` must be at least 1, got {k}")


def recall_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant documents found in the top ``k``."""
    _check(ranking, relevant, k)
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def ndcg_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """Normalised discounted cumulative gain with gain 1 per relevant document.

    ``DCG = sum over relevant ranks r <= k of 1 / log2(r + 1)``, divided by the DCG of a
    ranking that puts all relevant documents first.
    """
    _check(ranking, relevant, k)
    dcg = sum(1 / math.log2(r + 1) for r, p in enumerate(ranking[:k], 1) if p in relevant)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def reciprocal_rank(ranking: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant document, 0 when none is ranked."""
    _check(ranking, relevant)
    return next((1 / r for r, p in enumerate(ranking, 1) if p in relevant), 0.0)


def score_query(
    ranking: Sequence[str],
    relevant: set[str],
    recall_ks: Sequence[int] = (1, 5, 10),
    ndcg_ks: Sequence[int] = (10,),
) -> dict[str, float]:
    """``recall@k``, ``ndcg@k`` at the given cut-offs, and ``mrr``, for one query."""
    scores = {f"recall@{k}": recall_at_k(ranking, relevant, k) for k in recall_ks}
    scores.update({f"ndcg@{k}": ndcg_at_k(ranking, relevant, k) for k in ndcg_ks})
    scores["mrr"] = reciprocal_rank(ranking, relevant)
    return scores


def mean_scores(per_query: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over queries (all dicts share their keys)."""
    if not per_query:
        raise ValueError("no queries to average; check that the query set is not empty")
    return {name: sum(q[name] for q in per_query) / len(per_query) for name in per_query[0]}
