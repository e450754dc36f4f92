"""The LLM proposes hypotheses of its own from retrieved abstracts, as structured output.

The model is asked for one JSON object per line, ``{"subject": ..., "relation": ...,
"object": ...}``; a LangChain output parser turns each line into a pydantic `ProposedTriple`
(or a parse error), free-text relations are mapped onto `agent.types.Relation`, and both
names are grounded to ids through the entity lexicon. Every line that fails a step becomes a
`Rejection` that says which step and why, so a run can report how many were kept.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Protocol

from langchain_core.output_parsers import BaseOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.llm import LLMBackend, chat_model_of
from agent.llm.chat import message_text
from agent.llm.prompting import truncate_tokens, with_token_limit
from agent.relations import map_relation
from agent.types import Entity, EntityType, Evidence, Hypothesis, Provenance, Relation

logger = logging.getLogger(__name__)

PROPOSE_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "human",
            "Abstract [PMID {pmid}]:\n{abstract}\n\nList the chemical-disease relations this "
            "abstract states, one JSON object per line, for example:\n"
            '{{"subject": "cisplatin", "relation": "induces", "object": "nephrotoxicity"}}\n'
            "Use relation induces, treats or associated_with.",
        )
    ]
)

# Free-text relation -> project relation; keys are lower-case with single spaces.
_RELATION_WORDS: dict[str, Relation] = {
    **{
        w: Relation.INDUCES
        for w in (
            "induces",
            "induce",
            "induced",
            "causes",
            "cause",
            "caused",
            "leads to",
            "results in",
            "triggers",
            "increases risk of",
            "is induced by",
        )
    },
    **{
        w: Relation.TREATS
        for w in (
            "treats",
            "treat",
            "treated",
            "cures",
            "prevents",
            "reduces",
            "is used to treat",
            "therapy for",
        )
    },
    **{w: Relation.PALLIATES for w in ("palliates", "relieves", "alleviates")},
    **{
        w: Relation.ASSOCIATED_WITH
        for w in (
            "associated with",
            "is associated with",
            "related to",
            "linked to",
            "correlates with",
        )
    },
    **{w: Relation.INTERACTS_WITH for w in ("interacts with", "binds", "binds to")},
}
# Expected (subject, object) types; None accepts any linked type.
_SIGNATURES: dict[Relation, tuple[EntityType | None, EntityType | None]] = {
    Relation.INDUCES: (EntityType.CHEMICAL, EntityType.DISEASE),
    Relation.TREATS: (EntityType.CHEMICAL, EntityType.DISEASE),
    Relation.PALLIATES: (EntityType.CHEMICAL, EntityType.DISEASE),
    Relation.ASSOCIATED_WITH: (None, None),
    Relation.INTERACTS_WITH: (None, None),
}


class LinkOutcome(Protocol):
    """What a link attempt returns: the entity, or None and the reason (read-only)."""

    @property
    def entity(self) -> Entity | None: ...

    @property
    def reason(self) -> str: ...


class EntityLinker(Protocol):
    """What proposing needs from `retrieval.lexicon.EntityLexicon`."""

    def link(self, name: str, expected_type: EntityType | None = None) -> LinkOutcome: ...


class ProposedTriple(BaseModel):
    """One relation as the model wrote it, before mapping and grounding."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    subject: str = Field(min_length=1)
    relation: str = Field(min_length=1)
    object: str = Field(min_length=1)


class Rejection(BaseModel):
    """A line of model output that did not become a hypothesis, and why."""

    raw: str
    reason: str
    pmid: str | None = None


class ProposalResult(BaseModel):
    """Accepted hypotheses (grounded, deduplicated) and every rejected line."""

    accepted: list[Hypothesis] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)


class JsonLinesParser(BaseOutputParser[list[tuple[str, ProposedTriple | str]]]):
    """Model text -> ``(raw line, ProposedTriple or the parse error)`` for each non-blank line."""

    def parse(self, text: str) -> list[tuple[str, ProposedTriple | str]]:
        parsed: list[tuple[str, ProposedTriple | str]] = []
        for line in text.splitlines():
            raw = line.strip()
            if raw and not raw.startswith("```"):
                parsed.append((raw, parse_line(raw)))
        return parsed


def parse_line(raw: str) -> ProposedTriple | str:
    """Parse one line into a triple, or return why it cannot be parsed."""
    match = re.search(r"\{.*\}", raw)
    if match is None:
        return "unparseable: no JSON object on the line"
    try:
        return ProposedTriple.model_validate(json.loads(match.group(0)))
    except json.JSONDecodeError as exc:
        return f"unparseable: invalid JSON ({exc.msg})"
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        return f"unparseable: JSON object lacks a non-empty {fields or 'subject/relation/object'}"


def parse_relation(text: str) -> Relation | None:
    """Map a free-text relation ("causes", "Positive_Correlation", "treats") to the vocabulary."""
    words = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    if words in _RELATION_WORDS:
        return _RELATION_WORDS[words]
    try:
        return map_relation(text.strip())[0]
    except ValueError:
        pass
    try:
        return Relation(words.replace(" ", "_"))
    except ValueError:
        return None


def ground(triple: ProposedTriple, lexicon: EntityLinker) -> tuple[Entity, Relation, Entity] | str:
    """Map the relation and link both names; return the grounded triple or the reason not."""
    relation = parse_relation(triple.relation)
    if relation is None:
        return f"unknown relation {triple.relation!r}"
    subject_type, object_type = _SIGNATURES[relation]
    subject = lexicon.link(triple.subject, subject_type)
    if subject.entity is None:
        return f"subject: {subject.reason}"
    obj = lexicon.link(triple.object, object_type)
    if obj.entity is None:
        return f"object: {obj.reason}"
    if subject.entity.id == obj.entity.id:
        return f"subject and object are the same entity ({subject.entity.id})"
    return subject.entity, relation, obj.entity


def proposals_from_text(
    text: str,
    lexicon: EntityLinker,
    evidence: Evidence | None = None,
    result: ProposalResult | None = None,
) -> ProposalResult:
    """Parse and ground one model reply, adding to ``result`` (a new one by default).

    A triple proposed twice is kept once, with the evidence of every abstract that led to it.
    """
    result = result if result is not None else ProposalResult()
    pmid = evidence.pmid if evidence else None
    known = {h.key: h for h in result.accepted}
    for raw, parsed in JsonLinesParser().parse(text):
        grounded = parsed if isinstance(parsed, str) else ground(parsed, lexicon)
        if isinstance(grounded, str):
            result.rejected.append(Rejection(raw=raw, reason=grounded, pmid=pmid))
            continue
        subject, relation, obj = grounded
        key = (subject.id, str(relation), obj.id)
        if key not in known:
            known[key] = Hypothesis(
                subject=subject,
                relation=relation,
                object=obj,
                provenance=Provenance(generator="llm"),
            )
            result.accepted.append(known[key])
        hypothesis = known[key]
        if evidence and evidence.pmid not in hypothesis.cited_pmids:
            hypothesis.evidence.append(evidence)
            hypothesis.cited_pmids.append(evidence.pmid)
    return result


def propose(
    abstracts: list[Evidence],
    llm: LLMBackend,
    lexicon: EntityLinker,
    max_new_tokens: int = 96,
    abstract_tokens: int = 200,
) -> ProposalResult:
    """Ask the model for relations stated in each abstract; keep those that ground.

    Args:
        abstracts: retrieved passages (one prompt each, cut to ``abstract_tokens`` tokens).
        llm: a backend from `agent.llm.load_backend`.
        lexicon: e.g. `retrieval.lexicon.EntityLexicon`; names are linked by its ``link``.
        max_new_tokens: cap on each reply.
    """
    tokenizer = getattr(llm, "tokenizer", None)
    inputs = [
        {"pmid": a.pmid, "abstract": truncate_tokens(a.text, abstract_tokens, tokenizer)}
        for a in abstracts
    ]
    chain = PROPOSE_PROMPT | with_token_limit(chat_model_of(llm), max_new_tokens)
    replies = chain.batch(inputs) if inputs else []
    result = ProposalResult()
    for abstract, reply in zip(abstracts, replies, strict=True):
        proposals_from_text(message_text(reply), lexicon, abstract, result)
    logger.info(
        "proposals: %d accepted, %d rejected from %d abstracts",
        len(result.accepted),
        len(result.rejected),
        len(abstracts),
    )
    return result
