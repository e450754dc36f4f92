"""Knowledge-base verdicts on the full BC5CDR training split, checked by hand.

Facts used (from CDR_TrainingSet.PubTator.txt): PMID 227508 ``CID D008750 D007022``
(methyldopa induces hypotension) and PMID 7453952 ``CID D008094 D003919`` (lithium induces
diabetes insipidus). MeSH 2015: Hypotension C14.907.514 and Hypertension C14.907.489 are
both children of Vascular Diseases C14.907; Diabetes Insipidus, Nephrogenic
C12.777.419.135.500 is a child of Diabetes Insipidus C12.777.419.135, itself a child of
Kidney Diseases C12.777.419.
"""

from __future__ import annotations

from agent.types import Entity, EntityType, Hypothesis, Relation, Verdict
from reasoning.kb import KnowledgeBase
from retrieval.mesh import MeshVocabulary

METHYLDOPA, HYPOTENSION, HYPERTENSION = "MESH:D008750", "MESH:D007022", "MESH:D006973"
LITHIUM, DIABETES_INSIPIDUS, NEPHROGENIC_DI = "MESH:D008094", "MESH:D003919", "MESH:D018500"
KIDNEY_DISEASES = "MESH:D007674"


def hyp(mesh: MeshVocabulary, subject: str, relation: Relation, obj: str) -> Hypothesis:
    def entity(mesh_id: str) -> Entity:
        etype = mesh.entity_type(mesh_id) or EntityType.OTHER
        return Entity(id=mesh_id, name=mesh.name(mesh_id) or mesh_id, type=etype)

    return Hypothesis(subject=entity(subject), relation=relation, object=entity(obj))


def verdicts(kb: KnowledgeBase, h: Hypothesis) -> dict[str, Verdict]:
    return {v.check: v for v in kb.check(h)}


def test_build_asserts_all_of_mesh_and_every_unique_cid_pair(
    kb: KnowledgeBase, mesh: MeshVocabulary, cid_facts: list[tuple[str, Relation, str]]
) -> None:
    assert kb.stats.tree_numbers == 56_341  # mesh/README.md: 56,341 tree rows
    assert kb.count("tree/2") == 56_341
    assert kb.stats.facts == kb.count("fact/3") == len(set(cid_facts))
    assert len(cid_facts) == 1_022  # bc5cdr/README.md: 1,022 CID relations in train
    # One is-a edge per tree number whose prefix before the last dot is a tree number too.
    trees = {tn for mesh_id in mesh.ids() for tn in mesh.tree_numbers(mesh_id)}
    expected = sum(1 for tn in trees if "." in tn and tn.rpartition(".")[0] in trees)
    assert kb.stats.parent_edges == kb.count("parent/4") == expected
    assert kb.stats.declared == kb.count("declared/2") > 0  # supplementary C-ids


def test_known_cid_pair_is_not_novel(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    result = verdicts(kb, hyp(mesh, METHYLDOPA, Relation.INDUCES, HYPOTENSION))
    assert result["well_typed"].passed is True
    assert result["novel"].passed is False
    assert result["novel"].reason.startswith("already known")
    assert result["novel"].proof == [
        "known fact: Methyldopa (MESH:D008750) induces Hypotension (MESH:D007022)",
        "rule known(S, R, O) :- fact(S, R, O)",
    ]
    assert result["consistent"].passed is True


def test_treating_an_induced_disease_contradicts(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    result = verdicts(kb, hyp(mesh, METHYLDOPA, Relation.TREATS, HYPOTENSION))
    assert result["consistent"].passed is False
    assert "the same disease" in result["consistent"].reason
    assert result["consistent"].proof == [
        "known fact: Methyldopa (MESH:D008750) induces Hypotension (MESH:D007022)",
        "rule contradicts(treats, induces): induces is known for the same disease",
    ]
    assert result["novel"].passed is True  # nobody stated "treats"
    assert result["well_typed"].passed is True


def test_disease_inducing_a_chemical_is_ill_typed(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    result = verdicts(kb, hyp(mesh, HYPOTENSION, Relation.INDUCES, METHYLDOPA))
    typed = result["well_typed"]
    assert typed.passed is False
    assert typed.proof[0] == "Hypotension (MESH:D007022) is a disease: MeSH tree number C14.907.514"
    assert typed.proof[1] == (
        "Methyldopa (MESH:D008750) is a chemical: MeSH tree number D02.092.311.200.538"
    )
    assert typed.proof[-1].startswith("no rule well_typed(induces, ...)")
    assert "(chemical, disease)" in typed.proof[-1]


def test_well_typed_proof_names_types_and_rule(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    typed = verdicts(kb, hyp(mesh, LITHIUM, Relation.INDUCES, NEPHROGENIC_DI))["well_typed"]
    assert typed.passed is True
    assert typed.proof == [
        "Lithium (MESH:D008094) is a chemical: MeSH tree number D01.268.549.450",
        "Diabetes Insipidus, Nephrogenic (MESH:D018500) is a disease: MeSH tree number "
        "C12.777.419.135.500",
        "rule well_typed(induces, chemical, disease)",
    ]


def test_relation_known_for_the_parent_is_known_at_a_broader_level(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    novel = verdicts(kb, hyp(mesh, LITHIUM, Relation.INDUCES, NEPHROGENIC_DI))["novel"]
    assert novel.passed is None
    assert novel.reason.startswith("known at a broader level")
    assert novel.proof == [
        "known fact: Lithium (MESH:D008094) induces Diabetes Insipidus (MESH:D003919)",
        "Diabetes Insipidus, Nephrogenic (MESH:D018500) is-a Diabetes Insipidus "
        "(MESH:D003919): tree number C12.777.419.135.500 under C12.777.419.135",
        "rule known_broader(S, R, O) :- fact(S, R, A), ancestor(O, A)",
    ]


def test_relation_known_for_a_descendant_is_implied(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    known = kb.known(LITHIUM, Relation.INDUCES, KIDNEY_DISEASES)
    assert known is not None and known[0] == "narrower"
    novel = verdicts(kb, hyp(mesh, LITHIUM, Relation.INDUCES, KIDNEY_DISEASES))["novel"]
    assert novel.passed is False
    assert novel.reason.startswith("known at a narrower level")
    assert novel.proof[-2].endswith("under C12.777.419")  # the last is-a step reaches it
    assert "Kidney Diseases (MESH:D007674)" in novel.proof[-2]


def test_treating_a_subtype_of_an_induced_disease_contradicts_at_the_broader_level(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    consistent = verdicts(kb, hyp(mesh, LITHIUM, Relation.TREATS, NEPHROGENIC_DI))["consistent"]
    assert consistent.passed is False
    assert "broader concept" in consistent.reason
    assert consistent.proof[0] == (
        "known fact: Lithium (MESH:D008094) induces Diabetes Insipidus (MESH:D003919)"
    )


def test_sibling_disease_is_tension_not_contradiction(
    kb: KnowledgeBase, mesh: MeshVocabulary
) -> None:
    """Methyldopa is an antihypertensive; BC5CDR says it induces hypotension, a sibling."""
    consistent = verdicts(kb, hyp(mesh, METHYLDOPA, Relation.TREATS, HYPERTENSION))["consistent"]
    assert consistent.passed is None
    assert consistent.reason.startswith("tension, not a contradiction")
    assert consistent.proof == [
        "known fact: Methyldopa (MESH:D008750) induces Hypotension (MESH:D007022)",
        "Hypertension (MESH:D006973) is-a Vascular Diseases (MESH:D014652): tree number "
        "C14.907.489 under C14.907",
        "Hypotension (MESH:D007022) is-a Vascular Diseases (MESH:D014652): tree number "
        "C14.907.514 under C14.907",
        "rule contradicts(treats, induces): induces is known for a sibling concept "
        "(same MeSH parent)",
    ]


def test_unrelated_pair_is_novel_and_consistent(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    result = verdicts(kb, hyp(mesh, LITHIUM, Relation.TREATS, "MESH:D001943"))  # breast cancer
    assert result["novel"].passed is True
    assert result["consistent"].passed is True
    assert result["well_typed"].passed is True


def test_batched_and_single_checks_agree(kb: KnowledgeBase, mesh: MeshVocabulary) -> None:
    batch = [
        hyp(mesh, METHYLDOPA, Relation.INDUCES, HYPOTENSION),
        hyp(mesh, HYPOTENSION, Relation.INDUCES, METHYLDOPA),
        hyp(mesh, LITHIUM, Relation.INDUCES, NEPHROGENIC_DI),
        hyp(mesh, LITHIUM, Relation.TREATS, NEPHROGENIC_DI),
        hyp(mesh, METHYLDOPA, Relation.TREATS, HYPERTENSION),
        hyp(mesh, LITHIUM, Relation.ASSOCIATED_WITH, KIDNEY_DISEASES),
    ]
    one_by_one = [[kb.well_typed(h), kb.novel(h), kb.consistent(h)] for h in batch]
    assert kb.check_many(batch) == one_by_one
    assert [kb.check(h) for h in batch] == one_by_one
