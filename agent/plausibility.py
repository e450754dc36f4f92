"""LLM plausibility of a hypothesis, from token log-likelihoods.

For a hypothesis ``S r O`` with retrieved abstracts ``A`` (cut to a token budget):

    yes_no  = log P("Yes" | Q) - log P("No" | Q)
    support = [log P(T | A) - log P(T | none)] / |T|
    llm_plausibility = yes_no + support

where Q is the chat-formatted question "Abstracts: A. Is it plausible that S r O? Answer
yes or no.", T is the statement " S r O." with |T| tokens, and "none" is the same prefix
with no abstracts. ``yes_no`` is the model's answer margin in nats; ``support`` is the
per-token pointwise mutual information between the abstracts and the statement, so it
rewards statements the abstracts make likelier rather than statements with common words.
All three numbers are stored in ``h.scores`` (``llm_yes_no``, ``llm_support``,
``llm_plausibility``). Higher is more plausible; 0 means no preference.

When the backend cannot score text (an endpoint through the langchain backend), the score
falls back to the generated answer: +1 for yes, -1 for no, 0 otherwise (with a warning).
"""

from __future__ import annotations

import logging
from typing import Any

from agent.llm import LLMBackend
from agent.llm.prompting import format_evidence, relation_phrase
from agent.types import Hypothesis

logger = logging.getLogger(__name__)

QUESTION = "Abstracts:\n{abstracts}\n\nIs it plausible that {statement}? Answer yes or no."
NO_ABSTRACTS = "(none)"


def score_plausibility(
    hypotheses: list[Hypothesis], llm: LLMBackend, evidence_tokens: int = 160
) -> list[Hypothesis]:
    """Store ``llm_plausibility`` (and its two parts) in each hypothesis's ``scores``.

    The hypotheses are updated in place and also returned, for chaining.
    """
    if not hypotheses:
        return hypotheses
    tokenizer = getattr(llm, "tokenizer", None)
    blocks = [
        format_evidence(h.evidence, evidence_tokens, tokenizer)[0] or NO_ABSTRACTS
        for h in hypotheses
    ]
    statements = [_statement(h) for h in hypotheses]
    questions = [
        QUESTION.format(abstracts=b, statement=s) for b, s in zip(blocks, statements, strict=True)
    ]
    try:
        yes_no = _yes_no_margins(llm, questions)
        support = _support(llm, blocks, statements, tokenizer)
    except NotImplementedError as exc:
        logger.warning("plausibility falls back to generated yes/no answers: %s", exc)
        return _fallback(hypotheses, llm, questions)
    for h, margin, gain in zip(hypotheses, yes_no, support, strict=True):
        h.scores["llm_yes_no"] = margin
        h.scores["llm_support"] = gain
        h.scores["llm_plausibility"] = margin + gain
    return hypotheses


def _statement(h: Hypothesis) -> str:
    return f"{h.subject.name} {relation_phrase(h.relation.value)} {h.object.name}"


def _yes_no_margins(llm: LLMBackend, questions: list[str]) -> list[float]:
    format_chat = getattr(llm, "format_chat", None)
    contexts = [format_chat(q) if format_chat else f"{q}\nAnswer:" for q in questions]
    yes_cont, no_cont = ("Yes", "No") if format_chat else (" Yes", " No")
    scores = llm.loglikelihood(contexts * 2, [yes_cont] * len(contexts) + [no_cont] * len(contexts))
    n = len(contexts)
    return [scores[i] - scores[n + i] for i in range(n)]


def _support(
    llm: LLMBackend, blocks: list[str], statements: list[str], tokenizer: Any | None
) -> list[float]:
    with_abstracts = [f"Abstracts:\n{b}\n\nIn summary," for b in blocks]
    without = [f"Abstracts:\n{NO_ABSTRACTS}\n\nIn summary,"] * len(blocks)
    targets = [f" {s}." for s in statements]
    scores = llm.loglikelihood(with_abstracts + without, targets * 2)
    n = len(targets)
    lengths = [_token_count(t, tokenizer) for t in targets]
    return [(scores[i] - scores[n + i]) / lengths[i] for i in range(n)]


def _token_count(text: str, tokenizer: Any | None) -> int:
    if tokenizer is None:
        return max(len(text) // 4, 1)
    return max(len(tokenizer(text, add_special_tokens=False)["input_ids"]), 1)


def _fallback(
    hypotheses: list[Hypothesis], llm: LLMBackend, questions: list[str]
) -> list[Hypothesis]:
    answers = llm.generate(questions, max_new_tokens=3)
    for h, answer in zip(hypotheses, answers, strict=True):
        word = answer.strip().lower()
        h.scores["llm_plausibility"] = (
            1.0 if word.startswith("yes") else (-1.0 if word.startswith("no") else 0.0)
        )
    return hypotheses
