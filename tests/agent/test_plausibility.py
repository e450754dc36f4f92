"""Plausibility scores from the real local model's token log-likelihoods."""

from __future__ import annotations

import logging
import math

import pytest
from langchain_core.language_models import BaseChatModel

from agent.llm.chat import LangChainBackend
from agent.llm.local import LocalBackend
from agent.llm.testing import shared_local_backend
from agent.plausibility import score_plausibility
from agent.types import Entity, EntityType, Evidence, Hypothesis, Relation

ABSTRACT = Evidence(
    pmid="354896",
    text="Lidocaine-induced cardiac asystole. Intravenous administration of a single 50-mg "
    "bolus of lidocaine in a 67-year-old man resulted in profound depression of the activity "
    "of the sinoatrial and atrioventricular nodal pacemakers.",
    score=1.0,
)  # BC5CDR training abstract 354896 (title and first sentence)


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    return shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache")


def _hypothesis(subject: str, obj: str) -> Hypothesis:
    return Hypothesis(
        subject=Entity(id="MESH:D008012", name=subject, type=EntityType.CHEMICAL),
        relation=Relation.INDUCES,
        object=Entity(id="MESH:D006323", name=obj, type=EntityType.DISEASE),
        evidence=[ABSTRACT],
    )


def test_scores_follow_the_documented_formula(llm: LocalBackend) -> None:
    hypotheses = [_hypothesis("lidocaine", "cardiac asystole"), _hypothesis("banana", "sunburn")]
    scored = score_plausibility(hypotheses, llm)
    assert scored is hypotheses
    for h in scored:
        parts = h.scores["llm_yes_no"] + h.scores["llm_support"]
        assert h.scores["llm_plausibility"] == pytest.approx(parts)
        assert all(math.isfinite(v) for v in h.scores.values())
    # The abstract states the first claim; it says nothing of bananas, so it raises the
    # first statement's likelihood (per token) more than the second's.
    assert scored[0].scores["llm_support"] > scored[1].scores["llm_support"]


def test_yes_no_margin_matches_direct_loglikelihoods(llm: LocalBackend) -> None:
    h = score_plausibility([_hypothesis("lidocaine", "cardiac asystole")], llm)[0]
    from agent.llm.prompting import format_evidence
    from agent.plausibility import QUESTION

    block = format_evidence([ABSTRACT], 160, llm.tokenizer)[0]
    question = QUESTION.format(abstracts=block, statement="lidocaine induces cardiac asystole")
    yes, no = llm.loglikelihood([llm.format_chat(question)] * 2, ["Yes", "No"])
    assert h.scores["llm_yes_no"] == pytest.approx(yes - no, abs=1e-4)


def test_backend_without_logprobs_falls_back_with_warning(
    llm: LocalBackend, caplog: pytest.LogCaptureFixture
) -> None:
    chat = llm.chat_model()
    assert isinstance(chat, BaseChatModel)
    endpoint_like = LangChainBackend(chat)  # a real chat model that exposes no logprobs
    with pytest.raises(NotImplementedError, match="cannot score continuations"):
        endpoint_like.loglikelihood(["a"], [" b"])
    with caplog.at_level(logging.WARNING, logger="agent.plausibility"):
        h = score_plausibility([_hypothesis("lidocaine", "cardiac asystole")], endpoint_like)[0]
    assert "falls back to generated yes/no answers" in caplog.text
    assert h.scores["llm_plausibility"] in (-1.0, 0.0, 1.0)
    assert "llm_yes_no" not in h.scores
