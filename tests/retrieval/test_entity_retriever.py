"""Entity-aware retrieval on the first 40 BC5CDR training abstracts, counted by hand.

PMID 354896 ("Lidocaine-induced cardiac asystole") annotates lidocaine (D008012) 3 times,
cardiac asystole (D006323), depression (D003866) and bradyarrhythmias (D001919) once each.
PMID 227508 annotates naloxone (D009270) 5 times, clonidine (D003000) 6, hypertensive
(D006973) 3, alpha-methyldopa (D008750) 2 and hypotensive (D007022) once; its three
unlinked ``-1`` mentions (nalozone, [3H]-naloxone, [3H]-dihydroergocryptine) count for none.
PMID 435349 annotates suxamethonium (D013390) 4 times, fasciculations (D005207) 7 and
tetany (D013746) 3.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import pytest

from agent.types import EntityType
from retrieval.bm25 import BM25Index
from retrieval.chunking import Chunk
from retrieval.entity_retriever import EntityRetriever, annotated_entities, linked_entities
from retrieval.lexicon import EntityLexicon
from retrieval.pubtator import Document, Mention

LIDOCAINE, ASYSTOLE = "MESH:D008012", "MESH:D006323"


@pytest.fixture(scope="module")
def docs(bc5cdr_docs: list[Document]) -> list[Document]:
    return bc5cdr_docs[:40]


@pytest.fixture(scope="module")
def lexicon(docs: list[Document]) -> EntityLexicon:
    return EntityLexicon.build(docs)


@pytest.fixture(scope="module")
def retriever(docs: list[Document], lexicon: EntityLexicon) -> EntityRetriever:
    return EntityRetriever.build(docs, lexicon)


def _doc(docs: list[Document], pmid: str) -> Document:
    return next(d for d in docs if d.pmid == pmid)


def test_annotated_entities_counted_by_hand(docs: list[Document]) -> None:
    assert annotated_entities(_doc(docs, "354896")) == Counter(
        {LIDOCAINE: 3, ASYSTOLE: 1, "MESH:D003866": 1, "MESH:D001919": 1}
    )
    assert annotated_entities(_doc(docs, "227508")) == Counter(
        {
            "MESH:D009270": 5,
            "MESH:D003000": 6,
            "MESH:D006973": 3,
            "MESH:D008750": 2,
            "MESH:D007022": 1,
        }
    )


def test_bm25_over_entities_by_hand(docs: list[Document], lexicon: EntityLexicon) -> None:
    three = [_doc(docs, p) for p in ("227508", "354896", "435349")]
    small = EntityRetriever.build(three, lexicon)
    # Lengths 17, 6 and 14 mentions (average 37/3); lidocaine is in one document of three.
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    norm = 1.2 * (1 - 0.75 + 0.75 * 6 / (37 / 3))
    assert small.entity_scores([LIDOCAINE]) == {"354896": pytest.approx(idf * 3 * 2.2 / (3 + norm))}
    assert small.entity_scores(["MESH:D999999"]) == {}


def test_query_entities_come_from_the_linker(retriever: EntityRetriever) -> None:
    assert retriever.query_entities("lidocaine induces cardiac asystole") == [ASYSTOLE, LIDOCAINE]
    assert retriever.query_entities("Lidocaine-induced cardiac asystole") == [ASYSTOLE, LIDOCAINE]
    assert retriever.query_entities("no entity in this sentence") == []


def test_documents_with_both_entities_rank_first(
    docs: list[Document], retriever: EntityRetriever
) -> None:
    ranked = retriever.retrieve("lidocaine induces cardiac asystole", k=len(docs))
    both = {d.pmid for d in docs if {LIDOCAINE, ASYSTOLE} <= set(annotated_entities(d))}
    either = {d.pmid for d in docs if {LIDOCAINE, ASYSTOLE} & set(annotated_entities(d))}
    assert "354896" in both
    assert {h.pmid for h in ranked[: len(both)]} == both
    assert {h.pmid for h in ranked} == either  # no fallback: only documents with an entity
    assert retriever.retrieve("no entity in this sentence", k=5) == []


class _NoRelations:
    """A document whose relation annotations cannot be read: reading them fails the test."""

    def __init__(self, doc: Document) -> None:
        self.pmid, self.text, self.mentions = doc.pmid, doc.text, doc.mentions

    @property
    def relations(self) -> tuple[()]:
        raise AssertionError(f"the entity retriever read the relations of {self.pmid}")


def test_never_reads_relations(
    docs: list[Document], lexicon: EntityLexicon, retriever: EntityRetriever
) -> None:
    guarded = EntityRetriever.build([_NoRelations(d) for d in docs], lexicon)  # type: ignore[misc]
    stripped = EntityRetriever.build([replace(d, relations=()) for d in docs], lexicon)
    assert any(d.relations for d in docs)
    for query in ("lidocaine induces cardiac asystole", "lithium induces hypertension"):
        expected = retriever.retrieve(query, k=10)
        assert guarded.retrieve(query, k=10) == expected
        assert stripped.retrieve(query, k=10) == expected


def test_linking_without_annotations_finds_the_title_entities(
    docs: list[Document], lexicon: EntityLexicon
) -> None:
    linked = linked_entities(_doc(docs, "354896").text, lexicon)
    assert linked[LIDOCAINE] == 3 and linked[ASYSTOLE] >= 1
    bare = [replace(d, mentions=()) for d in docs]
    by_linker = EntityRetriever.build(bare, lexicon, use_annotations=True)
    assert by_linker.doc_entities["354896"] == linked  # no annotations: the linker's mentions
    assert by_linker.retrieve("lidocaine induces cardiac asystole", k=1)[0].pmid == "354896"


def test_first_occurrence_of_a_pmid_wins(docs: list[Document], lexicon: EntityLexicon) -> None:
    doc = _doc(docs, "354896")
    chemical = EntityType.CHEMICAL
    other = replace(doc, mentions=(Mention(0, 9, "Lidocaine", "Chemical", chemical, ("MESH:D1",)),))
    built = EntityRetriever.build([doc, other], lexicon)
    assert len(built) == 1 and built.doc_entities["354896"] == annotated_entities(doc)


def test_fallback_ranks_every_document_deterministically(
    docs: list[Document], retriever: EntityRetriever
) -> None:
    bm25 = BM25Index.build(Chunk(d.pmid, d.pmid, d.text, 0, len(d.text)) for d in docs)
    fused = retriever.with_fallback(bm25)
    ranked = fused.retrieve("lidocaine induces cardiac asystole", k=len(docs))
    assert len(ranked) == len(docs) == len({h.pmid for h in ranked})
    assert ranked[0].pmid == "354896"
    assert fused.retrieve("lidocaine induces cardiac asystole", k=len(docs)) == ranked
    # A query without entities falls back to the BM25 order (RRF of one input keeps it).
    assert retriever.query_entities("cardiac pacemakers") == []
    words = [h.pmid for h in bm25.retrieve("cardiac pacemakers", k=len(docs))]
    assert [h.pmid for h in fused.retrieve("cardiac pacemakers", k=len(docs))] == words
