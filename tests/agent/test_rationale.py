"""Rationales written by the real local model from real BC5CDR abstracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm.local import LocalBackend
from agent.llm.prompting import format_evidence, truncate_tokens
from agent.llm.testing import shared_local_backend
from agent.rationale import cite, write_rationales
from agent.types import Entity, EntityType, Evidence, Hypothesis, Relation
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    return shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache")


@pytest.fixture(scope="module")
def evidence(bc5cdr_train: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Evidence]:
    path = first_documents(bc5cdr_train, 2, tmp_path_factory.mktemp("cdr") / "slice.txt")
    return [Evidence(pmid=d.pmid, text=d.text, score=1.0) for d in read_pubtator(path)]


def _hypothesis(evidence: list[Evidence]) -> Hypothesis:
    return Hypothesis(
        subject=Entity(id="MESH:D008012", name="lidocaine", type=EntityType.CHEMICAL),
        relation=Relation.INDUCES,
        object=Entity(id="MESH:D006323", name="cardiac asystole", type=EntityType.DISEASE),
        evidence=evidence,
    )


def test_cite_keeps_only_shown_pmids() -> None:
    text, cited = cite("Lidocaine caused  asystole [PMID 354896] and [PMID 999999].", ["354896"])
    assert cited == ["354896"] and text.endswith("[PMID 999999].")
    text, cited = cite("It slows the heart.", ["354896", "227508"])
    assert cited == ["354896", "227508"]
    assert text == "It slows the heart. [PMID 354896, 227508]"


def test_evidence_is_cut_to_the_token_budget(llm: LocalBackend, evidence: list[Evidence]) -> None:
    block, pmids = format_evidence(evidence, budget=40, tokenizer=llm.tokenizer)
    assert pmids == ["227508", "354896"]  # equal scores: input order
    for line in block.splitlines():
        body = line.split("] ", 1)[1].removesuffix("...")
        assert len(llm.tokenizer(body, add_special_tokens=False)["input_ids"]) <= 21
    assert truncate_tokens("short text", 40, llm.tokenizer) == "short text"


def test_no_evidence_means_no_rationale(llm: LocalBackend) -> None:
    h = _hypothesis([])
    assert write_rationales([h], llm) == [h]


@pytest.mark.slow
def test_rationales_are_written_and_cite_the_abstracts(
    llm: LocalBackend, evidence: list[Evidence]
) -> None:
    hypotheses = [_hypothesis(evidence), _hypothesis(evidence[1:])]
    first = write_rationales(hypotheses, llm, max_new_tokens=24)
    assert [h.key for h in first] == [h.key for h in hypotheses]
    assert all(h.rationale == "" for h in hypotheses)  # inputs are not modified
    assert set(first[0].cited_pmids) <= {"227508", "354896"} and first[0].cited_pmids
    assert first[1].cited_pmids == ["354896"]
    assert all(len(h.rationale.split()) >= 3 for h in first)
    again = write_rationales(hypotheses, llm, max_new_tokens=24)
    assert [h.rationale for h in again] == [h.rationale for h in first]  # greedy
