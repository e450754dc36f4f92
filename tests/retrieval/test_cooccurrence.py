"""Co-occurrence counts checked by hand on three BC5CDR abstracts.

227508 (naloxone, clonidine, hypertensive, hypotensive, alpha-methyldopa: 5 ids),
354896 (lidocaine, cardiac asystole, depression, bradyarrhythmias: 4 ids) and 1378968
(lithium, chronic renal failure, nephropathy, renal failure, proteinuria, hypertension,
glomerulosclerosis, creatinine: 8 ids). Only hypertension (D006973) is in two of them.
"""

from __future__ import annotations

import pytest

from agent.types import EntityType
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.pubtator import Document

HYPERTENSION, CLONIDINE, LITHIUM, LIDOCAINE = (
    "MESH:D006973",
    "MESH:D003000",
    "MESH:D008094",
    "MESH:D008012",
)


@pytest.fixture(scope="module")
def graph(bc5cdr_docs: list[Document]) -> CooccurrenceGraph:
    chosen = [d for d in bc5cdr_docs if d.pmid in {"227508", "354896", "1378968"}]
    return CooccurrenceGraph.from_documents(chosen)


def test_counts_by_hand(graph: CooccurrenceGraph) -> None:
    assert graph.n_docs == 3
    assert graph.doc_count(HYPERTENSION) == 2 and graph.doc_count(LITHIUM) == 1
    assert graph.count(HYPERTENSION, CLONIDINE) == graph.count(CLONIDINE, HYPERTENSION) == 1
    assert graph.count(HYPERTENSION, LITHIUM) == 1
    assert graph.count(CLONIDINE, LITHIUM) == 0
    assert graph.count(HYPERTENSION, HYPERTENSION) == 2
    assert graph.pmids(HYPERTENSION, LITHIUM) == ["1378968"]
    assert graph.pmids(CLONIDINE, LITHIUM) == []


def test_neighbors_by_hand(graph: CooccurrenceGraph) -> None:
    assert graph.neighbors(LIDOCAINE) == {"MESH:D001919": 1, "MESH:D003866": 1, "MESH:D006323": 1}
    assert len(graph.neighbors(HYPERTENSION)) == 4 + 7  # the others of 227508 and 1378968
    # 10 + 6 + 28 distinct pairs, each seen from both ends.
    assert sum(len(graph.neighbors(e)) for e in graph.entities()) == 2 * (10 + 6 + 28)
    assert graph.neighbors("MESH:D000000") == {}


def test_entities_names_and_types(graph: CooccurrenceGraph) -> None:
    assert len(graph.entities()) == 16
    assert len(graph.entities(EntityType.DISEASE)) == 10
    assert len(graph.entities(EntityType.CHEMICAL)) == 6
    # "hypertensive" x3 in 227508 beats "hypertension" x2 in 1378968.
    assert graph.entity(HYPERTENSION).name == "hypertensive"
    assert graph.entity(LITHIUM).name == "lithium"  # 11 of 15 mentions
    assert graph.entity(LITHIUM).type is EntityType.CHEMICAL
    with pytest.raises(KeyError, match="not mentioned"):
        graph.entity("MESH:D000000")


def test_namespaces_and_duplicate_pmids(biored_docs: list[Document]) -> None:
    doc = next(d for d in biored_docs if d.pmid == "10491763")
    mesh_only = CooccurrenceGraph.from_documents([doc, doc])  # the same PMID twice counts once
    everything = CooccurrenceGraph.from_documents([doc], namespaces=None)
    assert mesh_only.n_docs == 1
    assert set(mesh_only.entities()) == {"MESH:D003924", "MESH:D005947"}
    assert mesh_only.count("MESH:D003924", "MESH:D005947") == 1
    genes = everything.entities(EntityType.GENE)
    assert set(genes) == {
        "NCBIGene:3175",
        "NCBIGene:3630",
        "NCBIGene:3172",
        "NCBIGene:3651",
        "NCBIGene:6927",
    }


def test_whole_corpus_enumeration(bc5cdr_docs: list[Document]) -> None:
    graph = CooccurrenceGraph.from_documents(bc5cdr_docs)
    assert graph.n_docs == 490
    total = sum(graph.neighbors(e).get(f, 0) for e in graph.entities() for f in graph.neighbors(e))
    # Each pair counted from both ends: the sum of counts is even and matches count().
    assert total % 2 == 0
    some = graph.entities()[0]
    assert all(graph.count(some, f) == n for f, n in graph.neighbors(some).items())
