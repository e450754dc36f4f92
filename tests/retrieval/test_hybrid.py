"""Reciprocal-rank fusion checked by hand, and document-level fusion of real BM25 retrievers."""

from __future__ import annotations

import pytest

from retrieval.bm25 import BM25Index
from retrieval.chunking import Chunk, chunk_documents
from retrieval.hybrid import (
    DocumentRetriever,
    HybridRetriever,
    best_per_document,
    fuse_results,
    reciprocal_rank_fusion,
)
from retrieval.index import RetrievedChunk
from retrieval.pubtator import Document


def test_rrf_scores_by_hand() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    # a: 1/61; b: 1/62 + 1/61; c: 1/63 + 1/62; d: 1/63.
    assert [p for p, _ in fused] == ["b", "c", "a", "d"]
    expected = {"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63 + 1 / 62, "d": 1 / 63}
    for pmid, score in fused:
        assert score == pytest.approx(expected[pmid])


def test_rrf_ties_go_to_the_smaller_pmid_whatever_the_input_order() -> None:
    # x and y swap places, z and w each appear once at rank 2: two pairs of equal scores.
    first = reciprocal_rank_fusion([["y", "x"], ["x", "y"]])
    second = reciprocal_rank_fusion([["x", "y"], ["y", "x"]])
    assert first == second
    assert [p for p, _ in first] == ["x", "y"]
    assert first[0][1] == first[1][1] == pytest.approx(1 / 61 + 1 / 62)
    solo = reciprocal_rank_fusion([["q", "z"], ["q", "w"]])
    assert [p for p, _ in solo] == ["q", "w", "z"]


def test_rrf_rejects_repeats_and_negative_k() -> None:
    with pytest.raises(ValueError, match="list a PMID once"):
        reciprocal_rank_fusion([["a", "a"]])
    with pytest.raises(ValueError, match="`k` must be non-negative"):
        reciprocal_rank_fusion([["a"]], k=-1)
    assert reciprocal_rank_fusion([]) == []


def _hit(pmid: str, score: float, chunk: str = "") -> RetrievedChunk:
    return RetrievedChunk(pmid, f"text of {pmid}{chunk}", score, f"{pmid}{chunk}")


def test_best_per_document_keeps_each_pmids_first_passage() -> None:
    hits = [_hit("1", 0.9, ":a"), _hit("2", 0.8), _hit("1", 0.7, ":b"), _hit("3", 0.1)]
    kept = best_per_document(hits)
    assert [(h.pmid, h.chunk_id) for h in kept] == [("1", "1:a"), ("2", "2"), ("3", "3")]


def test_fuse_results_represents_a_document_by_the_first_input_that_found_it() -> None:
    fused = fuse_results([[_hit("1", 5.0, ":bm25")], [_hit("2", 0.9), _hit("1", 0.3, ":dense")]])
    assert [h.pmid for h in fused] == ["1", "2"]
    assert fused[0].chunk_id == "1:bm25"
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)


@pytest.fixture(scope="module")
def docs(bc5cdr_docs: list[Document]) -> list[Document]:
    return bc5cdr_docs[:40]


@pytest.fixture(scope="module")
def whole(docs: list[Document]) -> BM25Index:
    return BM25Index.build(Chunk(d.pmid, d.pmid, d.text, 0, len(d.text)) for d in docs)


@pytest.fixture(scope="module")
def passages(docs: list[Document]) -> BM25Index:
    return BM25Index.build(chunk_documents(docs, chunk_size=300, chunk_overlap=50))


def test_document_retriever_lists_each_pmid_once(docs: list[Document], passages: BM25Index) -> None:
    retriever = DocumentRetriever(passages, depth=len(passages))
    ranked = retriever.retrieve(docs[3].title, k=len(docs))
    assert len({h.pmid for h in ranked}) == len(ranked) == len(docs)
    assert ranked[0].pmid == docs[3].pmid
    with pytest.raises(ValueError, match="`depth` must be at least 1"):
        DocumentRetriever(passages, depth=0)


def test_hybrid_finds_own_title_and_equals_rrf_of_its_inputs(
    docs: list[Document], whole: BM25Index, passages: BM25Index
) -> None:
    hybrid = HybridRetriever([whole, passages], depth=len(passages))
    for doc in docs[:10]:
        fused = hybrid.retrieve(doc.title, k=5)
        assert fused[0].pmid == doc.pmid, doc.title
        inputs = [
            [h.pmid for h in best_per_document(r.retrieve(doc.title, len(passages)))]
            for r in (whole, passages)
        ]
        by_hand = reciprocal_rank_fusion(inputs)[:5]
        assert [(h.pmid, h.score) for h in fused] == by_hand
        assert hybrid.retrieve(doc.title, k=5) == fused  # the same answer every time


def test_hybrid_rejects_bad_settings(whole: BM25Index) -> None:
    with pytest.raises(ValueError, match="`retrievers` is empty"):
        HybridRetriever([])
    with pytest.raises(ValueError, match="`k` must be at least 1"):
        HybridRetriever([whole]).retrieve("lithium", k=0)
