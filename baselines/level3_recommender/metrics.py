"""Top-k ranking metrics: precision, recall, NDCG, MAP and catalogue coverage.

Conventions (stated because published tables differ on them): relevance is binary; NDCG's
ideal DCG and MAP's denominator both use ``min(|relevant|, k)``, so a perfect list scores 1.0
even for users with fewer than k relevant items; recall divides by all relevant items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def user_metrics(ranked: Sequence[int], relevant: set[int], k: int) -> dict[str, float]:
    """Precision, recall, NDCG and average precision at ``k`` for one user's ranked list."""
    if not relevant:
        raise ValueError("`relevant` is empty; evaluate only users with a held-out positive")
    hits = np.array([item in relevant for item in list(ranked)[:k]], dtype=float)
    n_hits = float(hits.sum())
    ideal = min(len(relevant), k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((hits * discounts[: len(hits)]).sum())
    idcg = float(discounts[:ideal].sum())
    precision_at_i = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return {
        "precision": n_hits / k,
        "recall": n_hits / len(relevant),
        "ndcg": dcg / idcg,
        "map": float((precision_at_i * hits).sum()) / ideal,
    }


def evaluate_lists(
    lists: Mapping[int, Sequence[int]],
    relevant: Mapping[int, set[int]],
    k: int,
    catalogue_size: int,
) -> dict[str, float]:
    """Average the per-user metrics and add catalogue coverage.

    Args:
        lists: user -> ranked recommended items (at least k of them).
        relevant: user -> held-out relevant items; every user here is scored.
        k: The cut-off.
        catalogue_size: Number of recommendable items (coverage's denominator).

    Returns:
        ``precision@k``, ``recall@k``, ``ndcg@k``, ``map@k`` (means over users), ``coverage@k``
        (distinct items in all top-k lists / catalogue size) and ``users``.
    """
    per_user = [user_metrics(lists[u], rel, k) for u, rel in relevant.items()]
    shown = {item for u in relevant for item in list(lists[u])[:k]}
    out = {f"{name}@{k}": float(np.mean([m[name] for m in per_user])) for name in per_user[0]}
    out[f"coverage@{k}"] = len(shown) / catalogue_size
    out["users"] = float(len(per_user))
    return out
