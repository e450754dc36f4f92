"""BM25 lexical retrieval over the same passages as `retrieval.index.ChunkIndex`.

Same ``retrieve(query, k)`` shape and result type, so benchmarks can swap one for the other.
Tokens are casefolded words (runs of letters and digits); no stemming or stop list, to stay
close to what a reader of the abstract would type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.chunking import Chunk
from retrieval.index import RetrievedChunk

_WORD = re.compile(r"\w+")


def bm25_tokens(text: str) -> list[str]:
    """Casefolded word tokens of ``text``."""
    return [w.casefold() for w in _WORD.findall(text)]


class BM25Index:
    """Okapi BM25 (k1=1.5, b=0.75) over passages; build with :meth:`build`."""

    def __init__(self, chunks: list[Chunk], model: BM25Okapi | None) -> None:
        self.chunks = chunks
        self._model = model

    @classmethod
    def build(cls, chunks: Iterable[Chunk]) -> BM25Index:
        """Index passages, e.g. from `retrieval.chunking.chunk_documents`."""
        chunk_list = list(chunks)
        # rank_bm25 divides by the corpus size, so an empty corpus gets no model at all.
        model = BM25Okapi([bm25_tokens(c.text) for c in chunk_list]) if chunk_list else None
        return cls(chunk_list, model)

    def __len__(self) -> int:
        return len(self.chunks)

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` best-scoring passages for ``query``, best first (ties by index order)."""
        if k < 1:
            raise ValueError(f"`k` must be at least 1, got {k}")
        if self._model is None:
            return []
        scores = np.asarray(self._model.get_scores(bm25_tokens(query)), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [(self.chunks[i], float(scores[i])) for i in order]
        return [RetrievedChunk(c.pmid, c.text, s, c.chunk_id, c.start, c.end) for c, s in hits]
