"""Chunking, embeddings, FAISS and BM25 indexes and the LangChain adapter on 50 real abstracts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from retrieval.bm25 import BM25Index
from retrieval.chunking import Chunk, chunk_documents
from retrieval.embeddings import embed
from retrieval.index import ChunkIndex
from retrieval.langchain import ChunkRetriever
from retrieval.pubtator import Document


@pytest.fixture(scope="module")
def docs(bc5cdr_docs: list[Document]) -> list[Document]:
    return bc5cdr_docs[:50]


@pytest.fixture(scope="module")
def chunks(docs: list[Document]) -> list[Chunk]:
    return list(chunk_documents(docs))


@pytest.fixture(scope="module")
def flat(chunks: list[Chunk], embedder: SentenceTransformer) -> ChunkIndex:
    return ChunkIndex.build(chunks, embedder)


def test_chunks_keep_offsets_and_stable_ids(docs: list[Document], chunks: list[Chunk]) -> None:
    by_pmid = {d.pmid: d for d in docs}
    assert {c.pmid for c in chunks} == set(by_pmid)
    assert len(chunks) > len(docs)  # abstracts longer than 1000 characters are split
    for chunk in chunks:
        assert by_pmid[chunk.pmid].text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == f"{chunk.pmid}:{chunk.start}-{chunk.end}"
        assert len(chunk.text) <= 1000
    again = list(chunk_documents([*docs, docs[0]]))
    assert again == chunks  # deterministic, and a repeated PMID is chunked once
    with pytest.raises(ValueError, match="`chunk_overlap` must be in"):
        list(chunk_documents(docs, chunk_size=100, chunk_overlap=100))


def test_embeddings_are_unit_float32(embedder: SentenceTransformer) -> None:
    vectors = embed(embedder, ["lithium-induced nephropathy", "naloxone"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert embed(embedder, []).shape == (0, 384)


def test_own_title_retrieves_own_pmid_first(docs: list[Document], flat: ChunkIndex) -> None:
    all_hits = flat.retrieve_many([d.title for d in docs], k=3)
    for doc, hits in zip(docs, all_hits, strict=True):
        assert hits[0].pmid == doc.pmid, (doc.title, hits[0])
        assert hits[0].score >= hits[1].score >= hits[2].score
    single = flat.retrieve(docs[0].title, k=3)  # alone, not batched: same ranking and scores
    assert [h.chunk_id for h in single] == [h.chunk_id for h in all_hits[0]]
    assert [h.score for h in single] == pytest.approx([h.score for h in all_hits[0]], abs=1e-5)


def test_save_load_round_trip(
    flat: ChunkIndex, embedder: SentenceTransformer, docs: list[Document], tmp_path: Path
) -> None:
    flat.save(tmp_path / "idx")
    loaded = ChunkIndex.load(tmp_path / "idx", embedder)
    queries = [docs[3].title, "drug-induced seizures in children", "renal failure"]
    assert loaded.retrieve_many(queries, k=5) == flat.retrieve_many(queries, k=5)
    assert loaded.chunks == flat.chunks and loaded.kind == "flat"
    np.testing.assert_array_equal(loaded.vectors(), flat.vectors())


def test_load_errors_are_explained(
    flat: ChunkIndex, embedder: SentenceTransformer, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing index\.faiss, chunks\.json"):
        ChunkIndex.load(tmp_path / "nothing", embedder)
    folder = flat.save(tmp_path / "idx")
    meta = json.loads((folder / "chunks.json").read_text())
    (folder / "chunks.json").write_text(json.dumps({**meta, "dim": 768}))
    with pytest.raises(
        ValueError, match="built with 768-dimensional vectors but the embedder gives 384"
    ):
        ChunkIndex.load(folder, embedder)


def test_hnsw_matches_exact_search(
    chunks: list[Chunk],
    embedder: SentenceTransformer,
    flat: ChunkIndex,
    docs: list[Document],
    tmp_path: Path,
) -> None:
    # The same vectors as the exact index, so only the search differs.
    hnsw = ChunkIndex.from_vectors(flat.vectors(), chunks, embedder, kind="hnsw")
    titles = [d.title for d in docs[:10]]
    exact = [[h.chunk_id for h in hits] for hits in flat.retrieve_many(titles, 3)]
    approx = [[h.chunk_id for h in hits] for hits in hnsw.retrieve_many(titles, 3)]
    assert approx == exact
    loaded = ChunkIndex.load(hnsw.save(tmp_path / "hnsw"), embedder)
    assert loaded.kind == "hnsw"
    assert loaded.retrieve_many(titles, 3) == hnsw.retrieve_many(titles, 3)
    with pytest.raises(ValueError, match="`kind` must be 'flat' or 'hnsw', got 'ivf'"):
        ChunkIndex.from_vectors(flat.vectors(), chunks, embedder, kind="ivf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`vectors` must have shape \(\d+, 384\)"):
        ChunkIndex.from_vectors(flat.vectors()[:3], chunks, embedder)


def test_k_larger_than_index(flat: ChunkIndex) -> None:
    assert len(flat.retrieve("hypertension", k=10_000)) == len(flat)
    assert len(flat.vectors()) == len(flat)
    with pytest.raises(ValueError, match="`k` must be at least 1"):
        flat.retrieve("hypertension", k=0)


def test_bm25_same_shape(docs: list[Document], chunks: list[Chunk]) -> None:
    bm25 = BM25Index.build(chunks)
    for doc in docs[:20]:
        hits = bm25.retrieve(doc.title, k=5)
        assert hits[0].pmid == doc.pmid
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert BM25Index.build([]).retrieve("anything") == []


def test_langchain_adapter(flat: ChunkIndex, docs: list[Document]) -> None:
    retriever = ChunkRetriever(index=flat, k=3)
    results = retriever.invoke(docs[5].title)
    assert len(results) == 3
    top = results[0]
    assert top.metadata["pmid"] == docs[5].pmid
    assert set(top.metadata) == {"pmid", "score", "chunk_id"}
    direct = flat.retrieve(docs[5].title, 3)
    assert [r.metadata["chunk_id"] for r in results] == [h.chunk_id for h in direct]
    assert top.page_content == direct[0].text
    bm25_results = ChunkRetriever(index=BM25Index.build(flat.chunks), k=2).invoke(docs[5].title)
    assert bm25_results[0].metadata["pmid"] == docs[5].pmid
