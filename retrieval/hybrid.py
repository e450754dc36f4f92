"""Document-level fusion of retrievers: reciprocal-rank fusion (RRF) with deterministic ties.

Every retriever here has the ``retrieve(query, k) -> list[RetrievedChunk]`` shape of
`retrieval.index.ChunkIndex` and `retrieval.bm25.BM25Index`. Passage results are turned into
document rankings by keeping each PMID's best passage (max score), then fused with RRF
(Cormack, Clarke & Buettcher 2009): ``score(d) = sum_i 1 / (k + rank_i(d))`` with 1-based ranks,
so only the order of each input matters, never the scale of its scores. Equal fused scores
are ordered by PMID, so a fusion never depends on dict or set order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Protocol

from retrieval.index import RetrievedChunk

# The constant of the original RRF paper; it damps the weight of the very first ranks.
RRF_K = 60


class Retriever(Protocol):
    """Anything with ``retrieve(query, k)`` returning results best first."""

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]: ...


def best_per_document(results: Iterable[RetrievedChunk]) -> list[RetrievedChunk]:
    """Keep the first (best-scoring) result of each PMID, in the given order.

    Results come best first, so the first passage of a PMID is its max-score passage.
    """
    seen: set[str] = set()
    kept = []
    for hit in results:
        if hit.pmid not in seen:
            seen.add(hit.pmid)
            kept.append(hit)
    return kept


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse PMID rankings (each best first, no repeats) into ``(pmid, score)``, best first.

    A PMID missing from a ranking gets nothing from it. Equal scores are ordered by PMID.

    Raises:
        ValueError: ``k`` is negative or a ranking repeats a PMID.
    """
    if k < 0:
        raise ValueError(f"`k` must be non-negative, got {k}")
    scores: dict[str, float] = {}
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("each ranking must list a PMID once; aggregate passages first")
        for rank, pmid in enumerate(ranking, start=1):
            scores[pmid] = scores.get(pmid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class DocumentRetriever:
    """A passage retriever seen as a document retriever: each PMID once, by its best passage.

    Args:
        passages: the passage retriever.
        depth: passages requested per query; the corpus's passage count gives a full ranking.
    """

    def __init__(self, passages: Retriever, depth: int) -> None:
        if depth < 1:
            raise ValueError(f"`depth` must be at least 1, got {depth}")
        self.passages = passages
        self.depth = depth

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` best documents (max over their passages), best first."""
        if k < 1:
            raise ValueError(f"`k` must be at least 1, got {k}")
        return best_per_document(self.passages.retrieve(query, self.depth))[:k]


class HybridRetriever:
    """RRF of several retrievers at the document level (e.g. BM25 and dense).

    Args:
        retrievers: the inputs; each is asked for its ``depth`` best passages.
        depth: passages requested from each input; a document none of them returns within
            its depth is not ranked. Use the corpus size for a complete ranking.
        k: the RRF constant.
    """

    def __init__(self, retrievers: Sequence[Retriever], depth: int = 100, k: int = RRF_K) -> None:
        if not retrievers:
            raise ValueError("`retrievers` is empty; give at least one retriever to fuse")
        if depth < 1:
            raise ValueError(f"`depth` must be at least 1, got {depth}")
        self.retrievers = list(retrievers)
        self.depth = depth
        self.k = k

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` best documents by fused rank; ``score`` is the RRF score.

        Each document is represented by its best passage from the first input that found it.
        """
        if k < 1:
            raise ValueError(f"`k` must be at least 1, got {k}")
        per_input = [best_per_document(r.retrieve(query, self.depth)) for r in self.retrievers]
        return fuse_results(per_input, self.k)[:k]


def fuse_results(
    per_input: Sequence[Sequence[RetrievedChunk]], k: int = RRF_K
) -> list[RetrievedChunk]:
    """RRF of document-level result lists (one hit per PMID each), as `RetrievedChunk`."""
    representative: dict[str, RetrievedChunk] = {}
    for hits in per_input:
        for hit in hits:
            representative.setdefault(hit.pmid, hit)
    fused = reciprocal_rank_fusion([[h.pmid for h in hits] for hits in per_input], k)
    return [dataclasses.replace(representative[pmid], score=score) for pmid, score in fused]
