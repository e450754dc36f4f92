"""E5's retrievers over one document pool and the loop that scores them.

Dense rankings of a known query set are computed up front in batches (one FAISS search per
batch of queries), kept as compact arrays, and served through the ordinary
``retrieve(query, k)`` shape, so the hybrid and entity retrievers fuse the very same dense
results the dense row is scored on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sentence_transformers import SentenceTransformer
from tqdm import tqdm

from experiments.benchmarks.e5_data import Query
from experiments.benchmarks.e5_metrics import mean_scores, score_query
from retrieval.chunking import Chunk
from retrieval.embeddings import embed
from retrieval.hybrid import Retriever, best_per_document
from retrieval.index import ChunkIndex, RetrievedChunk
from retrieval.pubtator import Document

logger = logging.getLogger(__name__)

QUERY_BATCH = 32


def whole_documents(documents: Sequence[Document]) -> list[Chunk]:
    """One passage per document, the whole title + abstract (chunk id = PMID)."""
    return [Chunk(d.pmid, d.pmid, d.text, 0, len(d.text)) for d in documents]


def cached_embeddings(
    chunks: Sequence[Chunk], embedder: SentenceTransformer, cache_dir: Path
) -> np.ndarray:
    """Unit vectors of the passages, reused from ``cache_dir`` when it holds the same ids.

    The cache lives in the run folder only: a rerun of a run folder skips the encoding.
    """
    ids_file, vec_file = cache_dir / "passage_ids.json", cache_dir / "passage_vectors.npy"
    ids = [c.chunk_id for c in chunks]
    if ids_file.is_file() and vec_file.is_file() and json.loads(ids_file.read_text()) == ids:
        logger.info("reusing %d cached passage vectors from %s", len(ids), cache_dir)
        return np.load(vec_file)
    logger.info("embedding %d passages", len(chunks))
    vectors = embed(embedder, [c.text for c in chunks])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(vec_file, vectors)
    ids_file.write_text(json.dumps(ids))
    return vectors


class DenseRankings:
    """Full document rankings of ``index`` for a fixed query set, max score over passages.

    Raises ``KeyError`` from :meth:`retrieve` for a query it was not built with.
    """

    def __init__(self, index: ChunkIndex, queries: Sequence[str], progress: bool = True) -> None:
        self.index = index
        self.pmids = sorted({c.pmid for c in index.chunks})
        position = {p: i for i, p in enumerate(self.pmids)}
        self._texts = {c.pmid: c.text for c in reversed(index.chunks)}  # first passage wins
        self._rankings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        unique = sorted(set(queries))
        batches = range(0, len(unique), QUERY_BATCH)
        for start in tqdm(batches, desc="dense search", disable=not progress):
            batch = unique[start : start + QUERY_BATCH]
            for query, hits in zip(batch, index.retrieve_many(batch, len(index)), strict=True):
                docs = best_per_document(hits)
                order = np.array([position[h.pmid] for h in docs], dtype=np.int32)
                scores = np.array([h.score for h in docs], dtype=np.float32)
                self._rankings[query] = (order, scores)

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` best documents for a query given at construction."""
        order, scores = self._rankings[query]
        return [
            RetrievedChunk(self.pmids[i], self._texts[self.pmids[i]], float(s), self.pmids[i])
            for i, s in zip(order[:k], scores[:k], strict=True)
        ]


class LastQueryCache:
    """Remembers a retriever's answer to the last (query, k): rows of one query share it."""

    def __init__(self, inner: Retriever) -> None:
        self.inner = inner
        self._last: tuple[str, int, list[RetrievedChunk]] | None = None

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        if self._last is None or self._last[:2] != (query, k):
            self._last = (query, k, self.inner.retrieve(query, k))
        return self._last[2]


@dataclass(frozen=True)
class Row:
    """One table row: a retriever and how a query's text is written for it."""

    name: str
    retriever: Retriever
    query_text: Callable[[Query], str]


def evaluate(
    rows: Sequence[Row],
    queries: Sequence[Query],
    n_docs: int,
    recall_ks: Sequence[int],
    desc: str,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Mean metrics per row over the queries, and seconds spent per row.

    Every row ranks the whole pool (``n_docs``), so MRR counts a relevant document at any
    rank. Rows are run query by query so that cached inputs are shared within a query.
    """
    per_row: dict[str, list[dict[str, float]]] = {r.name: [] for r in rows}
    seconds = dict.fromkeys(per_row, 0.0)
    for query in tqdm(queries, desc=desc):
        for row in rows:
            started = time.perf_counter()
            ranking = [h.pmid for h in row.retriever.retrieve(row.query_text(query), n_docs)]
            seconds[row.name] += time.perf_counter() - started
            per_row[row.name].append(score_query(ranking, set(query.relevant), recall_ks))
    return {name: mean_scores(scores) for name, scores in per_row.items()}, seconds
