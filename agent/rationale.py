"""Short LLM-written rationales for top hypotheses, grounded in their retrieved abstracts.

Each hypothesis with evidence gets one prompt (its best abstracts, cut to a token budget),
sent through a LangChain chain ``prompt | chat model | parser`` batched over all hypotheses.
Prompts stay short because the default 135M model writes about 17 tokens/s on 2 cores.
"""

from __future__ import annotations

import logging
import re
import time

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from agent.llm import LLMBackend, chat_model_of
from agent.llm.prompting import format_evidence, relation_phrase, with_token_limit
from agent.types import Hypothesis

logger = logging.getLogger(__name__)

RATIONALE_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "human",
            "Abstracts:\n{abstracts}\n\nIn one sentence, explain from these abstracts why "
            "{subject} might {relation} {object}. Cite PMIDs like [PMID 123].",
        )
    ]
)


def write_rationales(
    hypotheses: list[Hypothesis],
    llm: LLMBackend,
    max_new_tokens: int = 48,
    evidence_tokens: int = 160,
) -> list[Hypothesis]:
    """Return copies of ``hypotheses`` with ``rationale`` and ``cited_pmids`` filled in.

    ``cited_pmids`` lists the shown abstracts the model cited; when it cited none of them,
    all shown abstracts are cited and appended as ``[PMID ...]``, since the rationale was
    written from exactly those. Hypotheses without evidence are returned unchanged (a
    rationale with nothing to cite would be the model's guess).

    Args:
        hypotheses: hypotheses with ``evidence`` (PMID and text of retrieved abstracts).
        llm: a backend from `agent.llm.load_backend`.
        max_new_tokens: cap on the rationale's length.
        evidence_tokens: token budget for all abstracts of one prompt together.
    """
    tokenizer = getattr(llm, "tokenizer", None)
    todo = [i for i, h in enumerate(hypotheses) if h.evidence]
    if len(todo) < len(hypotheses):
        logger.warning(
            "%d hypotheses have no evidence; no rationale written for them",
            len(hypotheses) - len(todo),
        )
    inputs, shown = [], []
    for i in todo:
        h = hypotheses[i]
        block, pmids = format_evidence(h.evidence, evidence_tokens, tokenizer)
        inputs.append(
            {
                "abstracts": block,
                "subject": h.subject.name,
                "relation": relation_phrase(h.relation.value),
                "object": h.object.name,
            }
        )
        shown.append(pmids)

    chain = RATIONALE_PROMPT | with_token_limit(chat_model_of(llm), max_new_tokens)
    start = time.perf_counter()
    texts = (chain | StrOutputParser()).batch(inputs) if inputs else []
    elapsed = time.perf_counter() - start
    logger.info(
        "wrote %d rationales in %.1f s (%.2f s each)",
        len(texts),
        elapsed,
        elapsed / max(len(texts), 1),
    )

    result = [h.model_copy(deep=True) for h in hypotheses]
    for i, text, pmids in zip(todo, texts, shown, strict=True):
        rationale, cited = cite(text, pmids)
        result[i].rationale, result[i].cited_pmids = rationale, cited
    return result


def cite(text: str, shown_pmids: list[str]) -> tuple[str, list[str]]:
    """Return the rationale text and the PMIDs it cites among ``shown_pmids``.

    PMIDs the model invented (not among the shown ones) are not counted as citations.
    """
    text = " ".join(text.split())
    mentioned = set(re.findall(r"\d{4,9}", text))
    cited = [p for p in shown_pmids if p in mentioned]
    if cited or not shown_pmids:
        return text, cited
    return f"{text} [PMID {', '.join(shown_pmids)}]".strip(), list(shown_pmids)
