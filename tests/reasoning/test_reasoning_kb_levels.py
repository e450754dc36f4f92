"""``KnowledgeBase.contradictions``: every opposing level, on the full BC5CDR training split.

Facts used (CDR_TrainingSet.PubTator.txt): PMID 227508 ``CID D008750 D007022`` (methyldopa
induces hypotension) and PMID 12574103 ``CID D003907 D006973`` (dexamethasone induces
hypertension). MeSH 2015: Betamethasone D04.808.745.432.769.199 and Dexamethasone
D04.808.745.432.769.344 are both children of Pregnadienetriols D04.808.745.432.769.
"""

from __future__ import annotations

from agent.types import Entity, Hypothesis, Relation, Verdict
from reasoning.kb import KnowledgeBase
from retrieval.mesh import MeshVocabulary

METHYLDOPA, HYPOTENSION, HYPERTENSION = "MESH:D008750", "MESH:D007022", "MESH:D006973"
BETAMETHASONE = "MESH:D001623"


def hyp(mesh: MeshVocabulary, subject: str, relation: Relation, obj: str) -> Hypothesis:
    def entity(mesh_id: str) -> Entity:
        return Entity(
            id=mesh_id, name=mesh.name(mesh_id) or mesh_id, type=mesh.entity_type(mesh_id)
        )

    return Hypothesis(subject=entity(subject), relation=relation, object=entity(obj))


def verdicts(kb: KnowledgeBase, h: Hypothesis) -> dict[str, Verdict]:
    return {v.check: v for v in kb.check(h)}


def test_exact_level_comes_first_with_the_proof_consistent_gives(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    h = hyp(mesh, METHYLDOPA, Relation.TREATS, HYPOTENSION)
    found = kb.contradictions(h)
    assert next(iter(found)) == "exact"
    assert found["exact"] == verdicts(kb, h)["consistent"].proof


def test_sibling_level_is_listed_although_consistent_abstains(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    h = hyp(mesh, METHYLDOPA, Relation.TREATS, HYPERTENSION)
    assert list(kb.contradictions(h)) == ["sibling"]
    assert verdicts(kb, h)["consistent"].passed is None


def test_class_effect_names_the_sibling_chemical_and_leaves_consistent_alone(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    h = hyp(mesh, BETAMETHASONE, Relation.TREATS, HYPERTENSION)
    found = kb.contradictions(h)
    assert list(found) == ["class"]
    assert found["class"] == [
        "known fact: Dexamethasone (MESH:D003907) induces Hypertension (MESH:D006973)",
        "Betamethasone (MESH:D001623) is-a Pregnadienetriols (MESH:D011246): tree number "
        "D04.808.745.432.769.199 under D04.808.745.432.769",
        "Dexamethasone (MESH:D003907) is-a Pregnadienetriols (MESH:D011246): tree number "
        "D04.808.745.432.769.344 under D04.808.745.432.769",
        "rule contradicts(treats, induces): induces is known for the same disease, by a "
        "chemical of the same MeSH class (a class effect)",
    ]
    assert verdicts(kb, h)["consistent"].passed is True


def test_unrelated_pair_has_no_contradiction(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    assert kb.contradictions(hyp(mesh, "MESH:D008094", Relation.TREATS, "MESH:D001943")) == {}
