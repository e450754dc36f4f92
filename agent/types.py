"""Domain types shared by every package: entities, hypotheses, evidence, verdicts, outcomes.

They flow one way: readers produce entities, generators produce hypotheses, checkers add
verdicts, labs add outcomes. All are pydantic models and round-trip through JSON.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

KNOWN_PREFIXES = (
    "MESH",
    "NCBIGene",
    "DOID",
    "DRUGBANK",
    "UMLS",
    "NCBITaxon",
    "CVCL",
    "DBSNP",
    "TMVAR",
    "OMIM",
)


class EntityType(StrEnum):
    CHEMICAL = "chemical"
    DISEASE = "disease"
    GENE = "gene"
    VARIANT = "variant"
    SPECIES = "species"
    CELL_LINE = "cell_line"
    OTHER = "other"


class Relation(StrEnum):
    """The project's relation vocabulary; see `agent.relations` for the mapping from sources."""

    INDUCES = "induces"
    TREATS = "treats"
    PALLIATES = "palliates"
    ASSOCIATED_WITH = "associated_with"
    INTERACTS_WITH = "interacts_with"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entity(_Frozen):
    """A normalised entity, e.g. ``Entity(id="MESH:D008094", name="Lithium", type="chemical")``."""

    id: str = Field(
        description="Namespaced identifier, PREFIX:local (MESH:D008094, NCBIGene:7124)."
    )
    name: str = Field(description="Preferred human-readable name.")
    type: EntityType

    @field_validator("id")
    @classmethod
    def _namespaced(cls, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if not sep or not local or prefix not in KNOWN_PREFIXES:
            raise ValueError(
                f"entity id {value!r} is not namespaced; expected one of "
                f"{', '.join(p + ':...' for p in KNOWN_PREFIXES)}"
            )
        return value


class EvidenceMention(_Frozen):
    """An annotated entity mention inside an evidence passage, as the corpus marks it."""

    start: int = Field(ge=0, description="Character offset of the mention in `Evidence.text`.")
    end: int = Field(gt=0, description="End offset (exclusive) in `Evidence.text`.")
    entity_ids: list[str] = Field(
        default_factory=list, description="Namespaced ids of the mention; empty when unlinked."
    )
    type: EntityType


class Evidence(_Frozen):
    """A passage retrieved for a hypothesis, with the entity mentions the corpus marks in it."""

    pmid: str
    text: str
    score: float = Field(description="Retriever similarity; higher is closer.")
    retriever: str = Field(default="faiss", description="Which retriever found it.")
    mentions: list[EvidenceMention] = Field(
        default_factory=list,
        description="Mentions inside `text`, by offset into it; sorted by start.",
    )


class Verdict(_Frozen):
    """One checker's judgement on a hypothesis, with the proof or reason behind it."""

    check: str = Field(description="Checker name, e.g. `well_typed`, `novel`, `consistent`.")
    passed: bool | None = Field(description="True/False, or None when the checker abstains.")
    reason: str = Field(description="One readable sentence.")
    proof: list[str] = Field(default_factory=list, description="Proof steps, one per line.")


class Outcome(_Frozen):
    """What a lab reported for a tested hypothesis."""

    confirmed: bool | None = Field(description="None when the lab could not decide.")
    lab: str
    cost: float = 1.0
    detail: str = ""


class Provenance(_Frozen):
    generator: str = Field(description="`abc`, `llm`, ...: what proposed the hypothesis.")
    intermediates: list[Entity] = Field(
        default_factory=list, description="B entities linking subject and object (ABC model)."
    )
    run_id: str | None = None


class Hypothesis(BaseModel):
    """A typed claim ``subject relation object`` with its support.

    Verdicts and the outcome are appended by later stages; the identifying triple is fixed.
    """

    model_config = ConfigDict(extra="forbid")

    subject: Entity
    relation: Relation
    object: Entity
    rationale: str = ""
    cited_pmids: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    provenance: Provenance = Field(default_factory=lambda: Provenance(generator="unknown"))
    evidence: list[Evidence] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def id(self) -> str:
        """Stable 16-hex-digit id of the triple, the same in every run."""
        return triple_id(self.subject.id, self.relation, self.object.id)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject.id, str(self.relation), self.object.id)

    def text(self) -> str:
        return f"{self.subject.name} {self.relation.value.replace('_', ' ')} {self.object.name}"

    def verdict(self, check: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.check == check), None)


def triple_id(subject_id: str, relation: str, object_id: str) -> str:
    digest = hashlib.sha256(f"{subject_id}|{relation}|{object_id}".encode()).hexdigest()
    return digest[:16]
