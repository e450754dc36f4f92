"""A FAISS passage index: exact inner product by default, HNSW for large corpora.

Vectors are unit-length (see `retrieval.embeddings`), so the inner product is the cosine
similarity. An index is saved as a folder with ``index.faiss`` (the FAISS index) and
``chunks.json`` (settings and passage metadata, in index order).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np
from sentence_transformers import SentenceTransformer

from retrieval.chunking import Chunk
from retrieval.embeddings import embed, embedding_dim

logger = logging.getLogger(__name__)

IndexKind = Literal["flat", "hnsw"]
INDEX_FILE = "index.faiss"
META_FILE = "chunks.json"
FORMAT_VERSION = 1
# HNSW search breadth: 128 keeps recall@10 near 1.0 on corpora of this size at small cost.
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 200


@dataclass(frozen=True)
class RetrievedChunk:
    """A passage returned for a query, most similar first."""

    pmid: str
    text: str
    score: float
    chunk_id: str
    start: int = 0
    """Offset of the passage in its document's text (title + " " + abstract)."""
    end: int = 0


class ChunkIndex:
    """Dense retrieval over passages with FAISS.

    Build with :meth:`build`, query with :meth:`retrieve`, persist with :meth:`save` and
    :meth:`load`.
    """

    def __init__(
        self, index: faiss.Index, chunks: list[Chunk], embedder: SentenceTransformer, kind: str
    ) -> None:
        if index.ntotal != len(chunks):
            raise ValueError(f"index holds {index.ntotal} vectors but {len(chunks)} chunks given")
        self._index = index
        self.chunks = chunks
        self.embedder = embedder
        self.kind = kind

    @classmethod
    def build(
        cls,
        chunks: Iterable[Chunk],
        embedder: SentenceTransformer,
        kind: IndexKind = "flat",
        hnsw_m: int = 32,
    ) -> ChunkIndex:
        """Embed the passages and index them.

        Args:
            chunks: passages, e.g. from `retrieval.chunking.chunk_documents`.
            embedder: from `retrieval.embeddings.load_embedder`.
            kind: ``"flat"`` (exact ``IndexFlatIP``) or ``"hnsw"`` (approximate, ``M=hnsw_m``).
            hnsw_m: neighbours per HNSW node.

        Raises:
            ValueError: an unknown ``kind``, or duplicate chunk ids.
        """
        chunk_list = list(chunks)
        vectors = embed(embedder, [c.text for c in chunk_list])
        return cls.from_vectors(vectors, chunk_list, embedder, kind, hnsw_m)

    @classmethod
    def from_vectors(
        cls,
        vectors: np.ndarray,
        chunks: list[Chunk],
        embedder: SentenceTransformer,
        kind: IndexKind = "flat",
        hnsw_m: int = 32,
    ) -> ChunkIndex:
        """Index passages whose unit vectors are already computed (row ``i`` is ``chunks[i]``).

        Lets a benchmark compare index kinds on one set of embeddings; see :meth:`vectors`.
        """
        ids = [c.chunk_id for c in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids must be unique; deduplicate the documents first")
        dim = embedding_dim(embedder)
        if vectors.shape != (len(chunks), dim):
            raise ValueError(
                f"`vectors` must have shape ({len(chunks)}, {dim}), got {vectors.shape}"
            )
        index = _new_index(kind, dim, hnsw_m)
        if len(chunks):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        logger.info("indexed %d chunks (%s, dim %d)", len(chunks), kind, dim)
        return cls(index, chunks, embedder, kind)

    def __len__(self) -> int:
        return len(self.chunks)

    def retrieve(self, query: str, k: int = 5) -> list[RetrievedChunk]:
        """The ``k`` passages most similar to ``query`` (fewer if the index is smaller)."""
        return self.retrieve_many([query], k)[0]

    def retrieve_many(self, queries: list[str], k: int = 5) -> list[list[RetrievedChunk]]:
        """:meth:`retrieve` for several queries, embedded in one batch (much faster)."""
        if k < 1:
            raise ValueError(f"`k` must be at least 1, got {k}")
        if not self.chunks:
            return [[] for _ in queries]
        scores, positions = self._index.search(embed(self.embedder, queries), min(k, len(self)))
        return [
            [
                RetrievedChunk(
                    self.chunks[pos].pmid,
                    self.chunks[pos].text,
                    float(score),
                    self.chunks[pos].chunk_id,
                    self.chunks[pos].start,
                    self.chunks[pos].end,
                )
                for score, pos in zip(row_scores, row_positions, strict=True)
                if pos >= 0
            ]
            for row_scores, row_positions in zip(scores, positions, strict=True)
        ]

    def vectors(self) -> np.ndarray:
        """The indexed unit vectors, ``(len(self), dim)`` float32, in chunk order."""
        return np.asarray(self._index.reconstruct_n(0, self._index.ntotal), dtype=np.float32)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``index.faiss`` and ``chunks.json`` into ``directory`` (created if needed)."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / INDEX_FILE))
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "dim": int(self._index.d),
            "chunks": [asdict(c) for c in self.chunks],
        }
        (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike[str], embedder: SentenceTransformer) -> ChunkIndex:
        """Read an index written by :meth:`save`.

        Raises:
            FileNotFoundError: a file is missing.
            ValueError: the metadata is unreadable or the embedder's dimension differs.
        """
        folder = Path(directory)
        missing = [f for f in (INDEX_FILE, META_FILE) if not (folder / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{folder} is not a saved ChunkIndex: missing {', '.join(missing)}; "
                "build one and call `save` first"
            )
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            chunks = [Chunk(**c) for c in meta["chunks"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{folder / META_FILE} is not valid index metadata: {exc}") from exc
        if meta.get("dim") != embedding_dim(embedder):
            raise ValueError(
                f"{folder} was built with {meta.get('dim')}-dimensional vectors but the embedder "
                f"gives {embedding_dim(embedder)}; load it with the model that built it"
            )
        index = faiss.read_index(str(folder / INDEX_FILE))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, chunks, embedder, str(meta.get("kind", "flat")))


def _new_index(kind: str, dim: int, hnsw_m: int) -> faiss.Index:
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    raise ValueError(f"`kind` must be 'flat' or 'hnsw', got {kind!r}")
