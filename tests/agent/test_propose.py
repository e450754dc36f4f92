"""Proposal parsing and grounding against a real lexicon built from a BC5CDR slice."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm.local import LocalBackend
from agent.llm.testing import shared_local_backend
from agent.propose import (
    ProposedTriple,
    parse_line,
    parse_relation,
    proposals_from_text,
    propose,
)
from agent.types import Evidence, Relation
from retrieval.lexicon import EntityLexicon
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


@pytest.fixture(scope="module")
def slice_docs(bc5cdr_train: Path, tmp_path_factory: pytest.TempPathFactory) -> list:
    path = first_documents(bc5cdr_train, 3, tmp_path_factory.mktemp("cdr") / "slice.txt")
    return list(read_pubtator(path))


@pytest.fixture(scope="module")
def lexicon(slice_docs: list) -> EntityLexicon:
    return EntityLexicon.build(slice_docs)


# Hand-written model output over the first three BC5CDR training abstracts (227508:
# naloxone, clonidine, alpha-methyldopa, hypotensive; 354896: lidocaine, cardiac asystole).
REPLY = "\n".join(
    [
        '{"subject": "lidocaine", "relation": "induces", "object": "cardiac asystole"}',
        '{"subject": "Alpha-methyldopa", "relation": "causes", "object": "hypotensive"}',
        "```json",
        '{"subject": "Lidocaine", "relation": "Induces", "object": "cardiac  asystole"}',
        '{"subject": "lidocaine", "relation": "inhibits", "object": "cardiac asystole"}',
        '{"subject": "aspirin", "relation": "treats", "object": "cardiac asystole"}',
        '{"subject": "cardiac asystole", "relation": "induces", "object": "lidocaine"}',
        '{"subject": "naloxone", "relation": "treats"',
        "Naloxone reverses the effect of clonidine.",
        '{"subject": "naloxone", "object": "hypotensive"}',
    ]
)


def test_parse_line_and_relation_words() -> None:
    parsed = parse_line('1. {"subject": " lithium ", "relation": "causes", "object": "tremor"}')
    assert parsed == ProposedTriple(subject="lithium", relation="causes", object="tremor")
    assert parse_line("no json here") == "unparseable: no JSON object on the line"
    assert str(parse_line('{"subject": 1')).startswith("unparseable: no JSON")
    assert str(parse_line('{"subject": "a", "object": "b"}')).endswith("non-empty relation")
    assert parse_relation("Causes") is Relation.INDUCES
    assert parse_relation("is associated with") is Relation.ASSOCIATED_WITH
    assert parse_relation("Negative_Correlation") is Relation.ASSOCIATED_WITH
    assert parse_relation("CID") is Relation.INDUCES
    assert parse_relation("treats") is Relation.TREATS
    assert parse_relation("inhibits") is None


def test_hand_written_reply_is_grounded_or_rejected_with_reasons(lexicon: EntityLexicon) -> None:
    evidence = Evidence(pmid="354896", text="Lidocaine-induced cardiac asystole.", score=1.0)
    result = proposals_from_text(REPLY, lexicon, evidence)

    keys = [h.key for h in result.accepted]
    assert keys == [
        ("MESH:D008012", "induces", "MESH:D006323"),  # lidocaine -> cardiac asystole
        ("MESH:D008750", "induces", "MESH:D007022"),  # alpha-methyldopa -> hypotension
    ]  # the third line repeats the first (other case and spacing) and is merged into it
    first = result.accepted[0]
    assert first.provenance.generator == "llm"
    assert first.cited_pmids == ["354896"] and first.evidence == [evidence]

    reasons = [r.reason for r in result.rejected]
    assert reasons == [
        "unknown relation 'inhibits'",
        "subject: no lexicon entry for 'aspirin'",
        "subject: 'cardiac asystole' is a disease (MESH:D006323), expected chemical",
        "unparseable: no JSON object on the line",
        "unparseable: no JSON object on the line",
        "unparseable: JSON object lacks a non-empty relation",
    ]
    assert all(r.pmid == "354896" for r in result.rejected)
    assert result.rejected[0].raw.startswith('{"subject": "lidocaine", "relation": "inhibits"')


@pytest.mark.slow
def test_real_generation_run_is_parsed_and_accounted(
    slice_docs: list, lexicon: EntityLexicon, tmp_path_factory: pytest.TempPathFactory
) -> None:
    llm: LocalBackend = shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache")
    abstracts = [Evidence(pmid=d.pmid, text=d.text, score=1.0) for d in slice_docs[:2]]
    result = propose(abstracts, llm, lexicon, max_new_tokens=48, abstract_tokens=120)
    # Every non-blank reply line is either accepted (grounded, with its PMID) or rejected.
    assert result.accepted or result.rejected
    for h in result.accepted:
        assert h.cited_pmids and set(h.cited_pmids) <= {a.pmid for a in abstracts}
        assert lexicon.entity(h.subject.id) == h.subject
    for r in result.rejected:
        assert r.reason and r.raw and r.pmid in {a.pmid for a in abstracts}
    again = propose(abstracts, llm, lexicon, max_new_tokens=48, abstract_tokens=120)
    assert again == result  # greedy decoding: the same proposals twice
