"""E1's rows for the agent's own ranking, `agent.rank.rank_pool`, over ABC pools.

The loop (`agent.loop`) ranks a target's pool, the generator's ``max_candidates`` best
candidates by ABC score, with Prolog verdicts, LLM plausibility for the top
``plausibility_per_target`` of the symbolically filtered pool, then
``rank_pool(pool, llm_weight, symbolic_filter)``. E1 does the same on its candidates:

- pool: per target, the ``pool_size`` candidates with the highest ``adamic_adar`` among those
  with at least one linking term (the generator proposes no other). E1's ``adamic_adar``
  column is ``agent.generate``'s ``abc_score``: the same sum of 1 / log(1 + df) over the
  shared neighbours, on the same co-occurrence graph (checked in the tests);
- scores for the metrics: ``rank_pool`` orders the pool; candidates outside it (never
  proposed by the generator) come after the whole pool, in ABC order. As one array, pool
  rows that pass get their ``rank`` score, demoted pool rows ``rank - S`` and outside rows
  ``abc / best + llm_weight / 2 - 2 S``, with ``S = 2 (1 + llm_weight)``, more than the range
  of ``rank``, so the three tiers never mix. Ties inside a tier rank pessimistically, as for
  every E1 row (``rank_pool`` itself breaks them by subject id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from agent.rank import passes_symbolic, rank_pool
from agent.types import Verdict
from experiments.benchmarks.e1_features import CandidateSet
from experiments.benchmarks.e1_rerank import hypotheses, top_rows
from retrieval.cooccurrence import CooccurrenceGraph


def abc_pools(candidates: CandidateSet, abc: np.ndarray, pool_size: int) -> dict[str, np.ndarray]:
    """Each target's pool: its ``pool_size`` best candidates by ABC score, linked ones only."""
    pools = {}
    for target in candidates.diseases:
        rows = top_rows(candidates, abc, target, pool_size)
        pools[target] = rows[abc[rows] > 0]
    return pools


def rank_pool_scores(
    candidates: CandidateSet,
    abc: np.ndarray,
    pools: Mapping[str, np.ndarray],
    graph: CooccurrenceGraph,
    llm_weight: float,
    verdicts: Mapping[int, Sequence[Verdict]] | None = None,
    llm: Mapping[int, float] | None = None,
) -> np.ndarray:
    """One score per candidate ordering each target as ``rank_pool`` ranks its pool.

    Args:
        abc: the ABC (Adamic-Adar) score of every candidate.
        pools: the rows of each target's pool (see `abc_pools`).
        verdicts: Prolog verdicts of every pool row; None turns the symbolic filter off.
        llm: ``llm_plausibility`` of the pool rows that have one (the others get none, as in
            the loop, and ``rank_pool`` counts them as indifferent).
    """
    tier = 2 * (1 + llm_weight)
    out = np.empty(candidates.size)
    for target, pool in pools.items():
        rows = candidates.rows_of(target)
        best = float(abc[pool].max()) if pool.size else 0.0
        out[rows] = abc[rows] / (best or 1.0) + llm_weight * 0.5 - 2 * tier
        batch = hypotheses(candidates, pool, graph)
        for row, h in zip(pool, batch, strict=True):
            h.scores["abc_score"] = float(abc[row])
            if llm is not None and int(row) in llm:
                h.scores["llm_plausibility"] = llm[int(row)]
            if verdicts is not None:
                h.verdicts = list(verdicts[int(row)])
        row_of = {id(h): int(r) for r, h in zip(pool, batch, strict=True)}
        for h in rank_pool(batch, llm_weight, symbolic_filter=verdicts is not None):
            demoted = verdicts is not None and not passes_symbolic(h)
            out[row_of[id(h)]] = h.scores["rank"] - (tier if demoted else 0.0)
    return out


def llm_rows(
    candidates: CandidateSet,
    filtered_abc: np.ndarray,
    pools: Mapping[str, np.ndarray],
    targets: Sequence[str],
    top_n: int,
) -> dict[str, np.ndarray]:
    """The pool rows the loop would have the LLM score: the top ``top_n`` of each target's
    pool after the symbolic filter (``filtered_abc``: `rank_pool_scores` without an LLM)."""
    out = {}
    for target in targets:
        pool = set(pools[target].tolist())
        top = top_rows(candidates, filtered_abc, target, top_n)
        out[target] = np.array([r for r in top if int(r) in pool], dtype=np.int64)
    return out
