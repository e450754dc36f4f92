"""Knowledge bases side by side, declared types from BioRED, symmetric relations, bad input."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.relations import map_relation
from agent.types import Entity, EntityType, Hypothesis, Relation
from reasoning.kb import KnowledgeBase
from reasoning.prolog import engine
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents

LITHIUM, DIABETES_INSIPIDUS = "MESH:D008094", "MESH:D003919"


class MeshSlice:
    """The real vocabulary restricted to a few ids, so small KBs build in milliseconds."""

    def __init__(self, mesh: MeshVocabulary, ids: list[str]) -> None:
        self._mesh, self._ids = mesh, ids

    def ids(self) -> Iterator[str]:
        return iter(self._ids)

    def tree_numbers(self, mesh_id: str) -> tuple[str, ...]:
        return self._mesh.tree_numbers(mesh_id) if mesh_id in self._ids else ()

    def name(self, mesh_id: str) -> str | None:
        return self._mesh.name(mesh_id)

    def entity_type(self, mesh_id: str) -> EntityType | None:
        return self._mesh.entity_type(mesh_id) if mesh_id in self._ids else None


def entity(mesh: MeshVocabulary, mesh_id: str) -> Entity:
    etype = mesh.entity_type(mesh_id) or EntityType.OTHER
    return Entity(id=mesh_id, name=mesh.name(mesh_id) or mesh_id, type=etype)


@pytest.fixture(scope="module")
def biored_kb(biored_train: Path, tmp_path_factory: pytest.TempPathFactory, mesh: MeshVocabulary):
    """A KB over the relations of the first 20 BioRED training abstracts."""
    path = first_documents(biored_train, 20, tmp_path_factory.mktemp("biored") / "slice.txt")
    entities: dict[str, Entity] = {}
    facts = []
    for doc in read_pubtator(path):
        types = {i: m.entity_type for m in doc.mentions for i in m.ids}
        for mention in doc.mentions:
            for mention_id in mention.ids:
                try:
                    entities.setdefault(
                        mention_id, Entity(id=mention_id, name=mention.text, type=types[mention_id])
                    )
                except ValidationError:  # OMIM:... ids are outside agent.types.KNOWN_PREFIXES
                    continue
        for rel in doc.relations:
            relation, _ = map_relation(rel.type, types.get(rel.id1), types.get(rel.id2))
            facts.append((rel.id1, relation, rel.id2))
    with KnowledgeBase.build(mesh, entities.values(), facts) as kb:
        yield kb


def test_gene_type_comes_from_the_corpus(biored_kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    """PMID 10788334: ``Association NCBIGene:672 MESH:D001943`` (BRCA1, breast neoplasms)."""
    brca1 = Entity(id="NCBIGene:672", name="BRCA1", type=EntityType.GENE)
    h = Hypothesis(
        subject=brca1, relation=Relation.ASSOCIATED_WITH, object=entity(mesh, "MESH:D001943")
    )
    typed, novel, consistent = biored_kb.check(h)
    assert typed.passed is True
    assert (
        typed.proof[0] == "BRCA1 (NCBIGene:672) is a gene: type declared by the corpus annotation"
    )
    assert novel.passed is False and novel.reason.startswith("already known")
    assert consistent.passed is None  # no contradiction rule for associated_with


def test_symmetric_relation_is_known_backwards(
    biored_kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    """PMID 10661407: ``Bind NCBIGene:50489 MESH:D008358`` becomes gene interacts_with chemical."""
    gene = Entity(id="NCBIGene:50489", name="CD207", type=EntityType.GENE)
    h = Hypothesis(
        subject=entity(mesh, "MESH:D008358"), relation=Relation.INTERACTS_WITH, object=gene
    )
    novel = biored_kb.novel(h)
    assert novel.passed is False
    assert novel.proof[1] == "rule symmetric(interacts_with): the relation holds in both directions"
    assert biored_kb.well_typed(h).proof[-1] == "rule well_typed(interacts_with, chemical, gene)"


def test_disease_first_association_is_well_typed_backwards(
    biored_kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    """PMID 15099351 states ``Association MESH:D006938 NCBIGene:255738`` disease first."""
    gene = Entity(id="NCBIGene:255738", name="PCSK9", type=EntityType.GENE)
    h = Hypothesis(
        subject=entity(mesh, "MESH:D006938"), relation=Relation.ASSOCIATED_WITH, object=gene
    )
    typed = biored_kb.well_typed(h)
    assert typed.passed is True
    assert typed.proof[-1].startswith("rule well_typed(associated_with, gene, disease), read back")


def test_type_from_the_hypothesis_when_the_kb_has_none(biored_kb: KnowledgeBase) -> None:
    unseen = Entity(id="NCBIGene:999999999", name="made-up gene", type=EntityType.GENE)
    disease = Entity(id="MESH:D001943", name="Breast Neoplasms", type=EntityType.DISEASE)
    typed = biored_kb.well_typed(
        Hypothesis(subject=unseen, relation=Relation.ASSOCIATED_WITH, object=disease)
    )
    assert typed.passed is True
    assert typed.proof[0].startswith("made-up gene (NCBIGene:999999999) is a gene: type given by")


def test_two_kbs_do_not_share_facts(mesh: MeshVocabulary) -> None:
    small = MeshSlice(mesh, [LITHIUM, DIABETES_INSIPIDUS])
    h = Hypothesis(
        subject=entity(mesh, LITHIUM),
        relation=Relation.INDUCES,
        object=entity(mesh, DIABETES_INSIPIDUS),
    )
    with (
        KnowledgeBase.build(small, [], [(LITHIUM, Relation.INDUCES, DIABETES_INSIPIDUS)]) as a,
        KnowledgeBase.build(small, [], []) as b,
    ):
        assert a.module != b.module
        assert a.novel(h).passed is False
        assert b.novel(h).passed is True
        assert a.count("tree/2") == b.count("tree/2") == 7  # 4 + 3 tree numbers
        a.close()
        assert a.count("fact/3") == 0
        assert b.count("tree/2") == 7


def test_discarded_kb_is_emptied_at_the_next_build(mesh: MeshVocabulary) -> None:
    small = MeshSlice(mesh, [LITHIUM])
    module = KnowledgeBase.build(small, [], [(LITHIUM, Relation.INDUCES, LITHIUM)]).module
    gc.collect()
    with KnowledgeBase.build(small, [], []):
        found = engine().once("aggregate_all(count, %p:fact(_, _, _), N)", module)
        assert found == {"N": 0}


def test_hostile_names_and_ids_round_trip(mesh: MeshVocabulary) -> None:
    odd_id = "MESH:D0'); halt. %"
    odd = Entity(id=odd_id, name="O'Brien'); halt. %", type=EntityType.CHEMICAL)
    with KnowledgeBase.build(
        MeshSlice(mesh, [DIABETES_INSIPIDUS]),
        [odd],
        [(odd_id, Relation.INDUCES, DIABETES_INSIPIDUS)],
    ) as kb:
        h = Hypothesis(
            subject=odd, relation=Relation.INDUCES, object=entity(mesh, DIABETES_INSIPIDUS)
        )
        typed, novel, _ = kb.check(h)
        assert typed.proof[0] == (
            "O'Brien'); halt. % (MESH:D0'); halt. %) is a chemical: type declared by the "
            "corpus annotation"
        )
        assert novel.passed is False
        assert engine().succeeds("true")


def test_malformed_fact_is_reported_with_its_position(mesh: MeshVocabulary) -> None:
    facts = [(LITHIUM, Relation.INDUCES, DIABETES_INSIPIDUS), (LITHIUM, "cures", "MESH:D1")]
    with pytest.raises(ValueError, match=r"fact #1 .*'cures'.*induces"):
        KnowledgeBase.build(MeshSlice(mesh, [LITHIUM]), [], facts)  # type: ignore[arg-type]


def test_supplementary_concept_is_typed_from_the_corpus(
    bc5cdr_train: Path, data_dir: Path, tmp_path: Path
) -> None:
    """PMID 2505783 (11th abstract): ``CID C004656 D003556``, chloroacetaldehyde -> cystitis.

    C004656 is a MeSH supplementary concept: no tree number, typed from its corpus mentions.
    """
    fresh = MeshVocabulary.load(data_dir)
    fresh.supplement_from(read_pubtator(first_documents(bc5cdr_train, 11, tmp_path / "s.txt")))
    caa, cystitis = "MESH:C004656", "MESH:D003556"
    with KnowledgeBase.build(
        MeshSlice(fresh, [caa, cystitis]), [], [(caa, Relation.INDUCES, cystitis)]
    ) as kb:
        h = Hypothesis(
            subject=Entity(id=caa, name="CAA", type=EntityType.CHEMICAL),
            relation=Relation.INDUCES,
            object=entity(fresh, cystitis),
        )
        typed, novel, _ = kb.check(h)
        assert typed.passed is True
        assert (
            typed.proof[0]
            == "CAA (MESH:C004656) is a chemical: type declared by the corpus annotation"
        )
        assert novel.passed is False
        assert novel.proof[0] == "known fact: CAA (MESH:C004656) induces Cystitis (MESH:D003556)"
