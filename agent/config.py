"""The run configuration: typed, documented where declared, strict about unknown keys.

A run is fully described by one YAML file (see ``experiments/configs/demo.yaml``). Paths
that are not absolute are taken inside the data directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.llm import LLMConfig
from agent.types import EntityType, Relation

PolicyName = Literal["random", "greedy", "ucb", "thompson", "ppo"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorpusConfig(_Section):
    path: str = Field(
        "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
        description="Literature the system reads (PubTator, JSONL, PubMed XML or MEDLINE).",
    )
    format: Literal["auto", "pubtator", "jsonl", "pubmed-xml", "medline"] = Field(
        "auto", description="Reader to use; `auto` goes by extension, then by the first line."
    )
    max_documents: int | None = Field(None, ge=1, description="Read only the first N documents.")


class GoldConfig(_Section):
    path: str = Field(
        "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
        description="Held-out facts the simulated lab answers from: PubTator relation lines, "
        "or a TSV with columns subject, relation, object, label (namespaced ids).",
    )
    format: Literal["auto", "pubtator", "tsv", "pharmacotherapydb", "disgenet"] = Field(
        "auto",
        description="`auto`: TSV by extension (.tsv/.tab), else PubTator. `pharmacotherapydb` "
        "or `disgenet`: the curated tables of that name in the data directory, mapped to MeSH "
        "(`path` is then ignored; the unmapped counts go to the metrics as `gold/*`).",
    )
    noise: float = Field(0.0, ge=0.0, le=0.5, description="Probability the lab's answer flips.")
    cost: float = Field(
        1.0,
        gt=0.0,
        description="Cost of one test, in the lab's unit: recorded with every outcome and "
        "summed over the deployed policy's experiments (`selection/cost`). The budget counts "
        "tests.",
    )


class GenerationConfig(_Section):
    targets: list[str] = Field(
        default_factory=list,
        description="Target ids (MESH:...). Empty: pick targets with discoverable held-out facts.",
    )
    n_targets: int = Field(24, ge=2, description="How many targets when `targets` is empty.")
    subject_type: EntityType = EntityType.CHEMICAL
    object_type: EntityType = EntityType.DISEASE
    relation: Relation = Relation.INDUCES
    max_candidates: int = Field(40, ge=2, description="Candidates kept per target (pool size).")


class RetrievalConfig(_Section):
    chunk_size: int = Field(600, ge=100, description="Characters per chunk.")
    chunk_overlap: int = Field(100, ge=0)
    k: int = Field(3, ge=1, description="Passages retrieved as evidence per hypothesis.")
    index: Literal["flat", "hnsw"] = "flat"


class AgentConfig(_Section):
    rationale_top_k: int = Field(10, ge=0, description="Hypotheses that get an LLM rationale.")
    plausibility_per_target: int = Field(
        10, ge=0, description="Top candidates per target scored by LLM log-likelihood."
    )
    propose_documents: int = Field(
        4, ge=0, description="Abstracts the LLM reads to propose hypotheses of its own."
    )
    llm_weight: float = Field(0.5, ge=0.0, description="Weight of LLM plausibility in the rank.")
    symbolic_filter: bool = Field(True, description="Demote candidates failing Prolog checks.")


class RLConfig(_Section):
    budget: int = Field(5, ge=1, description="Experiments per target (episode length).")
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0, description="Targets used for training.")
    timesteps: int = Field(20_000, ge=100, description="MaskablePPO training steps.")
    policies: list[PolicyName] = Field(
        default_factory=lambda: list[PolicyName](["random", "greedy", "ppo"]),
        description="Policies compared on held-out targets; the last (or ppo) is deployed.",
    )
    eval_episodes: int = Field(5, ge=1, description="Seeds per evaluation pool.")


class RunConfig(_Section):
    """Everything a run needs; saved resolved beside its results."""

    name: str = Field("run", pattern=r"^[A-Za-z0-9_.-]+$", description="Run folder prefix.")
    seed: int = 0
    threads: int = Field(2, ge=1, description="Torch/BLAS threads, pinned for repeatability.")
    data_dir: str | None = Field(None, description="Overrides $SCIDISCO_DATA.")
    output_dir: str = Field("runs", description="Where run folders are written.")
    review_db: str | None = Field(
        None, description="SQLAlchemy URL of the review store; default: <output_dir>/review.sqlite."
    )
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    gold: GoldConfig = Field(default_factory=GoldConfig)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    rl: RLConfig = Field(default_factory=RLConfig)

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> RunConfig:
        if self.retrieval.chunk_overlap >= self.retrieval.chunk_size:
            raise ValueError("`retrieval.chunk_overlap` must be smaller than `chunk_size`")
        return self

    def review_url(self) -> str:
        if self.review_db:
            return self.review_db
        return f"sqlite:///{Path(self.output_dir).resolve() / 'review.sqlite'}"


class ConfigError(ValueError):
    """A config file could not be read or validated; the message names file and field."""


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read, merge ``overrides`` (nested dicts) into, and validate a YAML run config."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(raw).__name__}")
    return validate_config(_merge(raw, overrides or {}), source=str(path))


def validate_config(raw: dict[str, Any], source: str = "<config>") -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '<top>'}: {err['msg']}"
            + (f" (got {err['input']!r})" if err["type"] != "missing" else "")
            for err in exc.errors()
        ]
        raise ConfigError(f"{source} is not a valid run config:\n" + "\n".join(lines)) from exc


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
