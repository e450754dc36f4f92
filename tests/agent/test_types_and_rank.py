"""Domain types, the relation mapping, the rank score and the ranking metrics, by hand."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from agent.loop import ranking_metrics
from agent.rank import rank_pool
from agent.relations import map_relation
from agent.types import (
    Entity,
    EntityType,
    Evidence,
    EvidenceMention,
    Hypothesis,
    Outcome,
    Provenance,
    Relation,
    Verdict,
    triple_id,
)
from rl.labs import SimulatedLab

LITHIUM = Entity(id="MESH:D008094", name="Lithium", type=EntityType.CHEMICAL)
HYPOTHYROIDISM = Entity(id="MESH:D007037", name="Hypothyroidism", type=EntityType.DISEASE)


def _hypothesis(subject_id: str, abc: float, **scores: float) -> Hypothesis:
    subject = Entity(id=subject_id, name=subject_id, type=EntityType.CHEMICAL)
    return Hypothesis(
        subject=subject,
        relation=Relation.INDUCES,
        object=HYPOTHYROIDISM,
        scores={"abc_score": abc, **scores},
    )


def test_hypothesis_round_trips_through_json() -> None:
    h = Hypothesis(
        subject=LITHIUM,
        relation=Relation.INDUCES,
        object=HYPOTHYROIDISM,
        rationale="Lithium inhibits thyroid hormone release [PMID 123].",
        cited_pmids=["123"],
        scores={"rank": 1.25},
        provenance=Provenance(generator="abc", intermediates=[HYPOTHYROIDISM]),
        evidence=[
            Evidence(
                pmid="123",
                text="Lithium and goitre.",
                score=0.8,
                mentions=[
                    EvidenceMention(start=0, end=7, entity_ids=[LITHIUM.id], type="chemical")
                ],
            )
        ],
        verdicts=[Verdict(check="novel", passed=True, reason="not known", proof=["a", "b"])],
        outcome=Outcome(confirmed=True, lab="simulated", detail="curated fact"),
    )
    again = Hypothesis.model_validate_json(h.model_dump_json())
    assert again == h
    assert again.evidence[0].mentions[0].type is EntityType.CHEMICAL
    # The id is a function of the triple alone: the same in every run and every process.
    assert h.id == triple_id("MESH:D008094", "induces", "MESH:D007037") == again.id
    assert len(h.id) == 16 and h.text() == "Lithium induces Hypothyroidism"


@pytest.mark.parametrize("bad", ["D008094", "mesh:D008094", "MESH:", "FOO:1"])
def test_entity_ids_must_be_namespaced(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not namespaced"):
        Entity(id=bad, name="x", type=EntityType.CHEMICAL)


@pytest.mark.parametrize(
    ("source", "subject", "obj", "expected"),
    [
        ("CID", None, None, (Relation.INDUCES, True)),
        ("Positive_Correlation", EntityType.CHEMICAL, EntityType.DISEASE, (Relation.INDUCES, True)),
        (
            "Positive_Correlation",
            EntityType.GENE,
            EntityType.DISEASE,
            (Relation.ASSOCIATED_WITH, True),
        ),
        ("Negative_Correlation", EntityType.CHEMICAL, EntityType.DISEASE, (Relation.TREATS, True)),
        ("Bind", EntityType.CHEMICAL, EntityType.GENE, (Relation.INTERACTS_WITH, True)),
        ("DM", None, None, (Relation.TREATS, True)),
        ("SYM", None, None, (Relation.PALLIATES, True)),
        ("NOT", None, None, (Relation.TREATS, False)),
        ("DisGeNET", None, None, (Relation.ASSOCIATED_WITH, True)),
    ],
)
def test_relation_mapping_follows_the_documented_table(
    source: str, subject: EntityType | None, obj: EntityType | None, expected: tuple
) -> None:
    assert map_relation(source, subject, obj) == expected


def test_unknown_relation_type_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown relation type 'Causes'; known: .*CID"):
        map_relation("Causes")


def test_rank_score_by_hand_and_symbolic_demotion() -> None:
    a = _hypothesis("MESH:D000001", abc=2.0, llm_plausibility=0.0)  # 1.0 + 0.5 * 0.5
    b = _hypothesis("MESH:D000002", abc=1.0, llm_plausibility=math.log(3))  # 0.5 + 0.5 * 0.75
    c = _hypothesis("MESH:D000003", abc=1.5)  # no LLM score: 0.75 + 0.5 * 0.5
    c.verdicts = [Verdict(check="novel", passed=False, reason="already known")]

    ranked = rank_pool([b, c, a], llm_weight=0.5, symbolic_filter=True)
    assert [h.subject.id for h in ranked] == ["MESH:D000001", "MESH:D000002", "MESH:D000003"]
    assert a.scores["rank"] == pytest.approx(1.25)
    assert b.scores["rank"] == pytest.approx(0.875)
    assert c.scores["rank"] == pytest.approx(1.0)
    # Without the filter the known pair keeps its place by score.
    unfiltered = rank_pool([b, c, a], llm_weight=0.5, symbolic_filter=False)
    assert [h.subject.id for h in unfiltered] == ["MESH:D000001", "MESH:D000003", "MESH:D000002"]


def test_ranking_metrics_by_hand() -> None:
    target_a, target_b = "MESH:D007037", "MESH:D006973"
    pool_a = [_hypothesis(f"MESH:D00000{i}", abc=5 - i) for i in range(1, 4)]
    pool_b = [
        h.model_copy(update={"object": Entity(id=target_b, name="HT", type=EntityType.DISEASE)})
        for h in pool_a
    ]
    # Target a: the true pair is 2nd; target b: none of its candidates is true.
    lab = SimulatedLab({("MESH:D000002", Relation.INDUCES, target_a): True})
    metrics = ranking_metrics({target_a: pool_a, target_b: pool_b}, lab, Relation.INDUCES)
    assert metrics["ranking/hits@1"] == 0.0
    assert metrics["ranking/hits@5"] == metrics["ranking/hits@10"] == 0.5
    assert metrics["ranking/mrr"] == pytest.approx((1 / 2 + 0) / 2)
    assert metrics["ranking/pool_positive_rate"] == pytest.approx(1 / 6)
