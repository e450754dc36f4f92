"""E5: document retrieval with BM25, dense (MiniLM + FAISS), hybrid (RRF) and entity-aware.

Two tasks over whole abstracts (title + abstract; PubMedQA has no title, so its contexts):

* ``pubmedqa``: each PQA-L question against the 1,000 PQA-L abstracts; the one relevant
  document is the question's own. A sanity check: the questions are rewritten titles.
* ``evidence``: the pool of every shared abstract (BC5CDR, BioRED, PubMedQA; one per PMID).
  Each BC5CDR development CID pair is asked as "<chemical> induces <disease>", each name being
  the entity's most frequent mention text over the annotated abstracts; the relevant
  documents are those whose CID annotations hold the pair (BC5CDR train and dev).

Rows: ``bm25`` (whole abstracts), ``dense`` (MiniLM over passages, max score per abstract),
``hybrid`` (RRF, k=60, of the two), ``entity`` (BM25 over the entity ids of the abstracts'
annotated mentions; abstracts without annotations, PubMedQA's, are linked by the lexicon),
``entity_linked`` (every abstract linked by the lexicon, no annotation used; shown where some
abstract is annotated) and ``*_dense`` (an entity row fused with dense by RRF). Query entities
are always found by the project's linker (`retrieval.lexicon.EntityLexicon.find_mentions`).
In ``evidence``, ``*_abbrev`` rows ask the same with a name that is an abbreviation written
out from the abstracts' own "long form (SF)" definitions (`e5_data.expand_name`).
No retriever sees a relation annotation: relations are stripped before anything is indexed.
The run has no randomness; ``seed`` is unused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from experiments.benchmarks import e5_tasks
from experiments.inputs import mesh_inputs
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from retrieval.datadir import require, resolve

logger = logging.getLogger(__name__)

TaskName = Literal["pubmedqa", "evidence"]
TASK_NAMES: tuple[TaskName, ...] = ("pubmedqa", "evidence")


class E5Params(BaseModel):
    """Parameters of E5; the defaults are the full benchmark."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskName] = Field(
        default_factory=lambda: list(TASK_NAMES), description="Tasks to run, in order."
    )
    corpora: list[str] = Field(
        default_factory=lambda: [
            "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
            "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
            "bio/biored/Train.PubTator",
            "bio/biored/Dev.PubTator",
        ],
        description="Annotated PubTator abstracts of the evidence pool, first PMID wins; their "
        "mentions also build the entity lexicon. Relative paths are inside the data directory.",
    )
    query_corpus: str = Field(
        "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
        description="PubTator file whose CID pairs become the evidence queries.",
    )
    label_corpora: list[str] = Field(
        default_factory=lambda: [
            "bio/bc5cdr/CDR_TrainingSet.PubTator.txt",
            "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
        ],
        description="PubTator files whose CID annotations mark the relevant documents.",
    )
    pubmedqa: str = Field(
        "bio/pubmedqa_pqal/ori_pqal.json", description="PubMedQA PQA-L JSON (queries and pool)."
    )
    max_pubmedqa: int | None = Field(
        None, ge=1, description="Use only the first N PubMedQA PMIDs (sorted); None uses all."
    )
    max_queries: int | None = Field(
        None, ge=1, description="Score only the first N evidence queries (sorted by id pair)."
    )
    chunk_size: int = Field(
        1000, ge=100, description="Dense passage length in characters (MiniLM reads 256 tokens)."
    )
    chunk_overlap: int = Field(200, ge=0, description="Characters shared by adjacent passages.")
    use_annotations: bool = Field(
        True,
        description="Entity rows use the abstracts' annotated mentions where they exist; False "
        "links every abstract's text with the lexicon instead.",
    )
    mesh: bool = Field(True, description="Add MeSH preferred names to the entity lexicon.")
    data_dir: str | None = Field(None, description="Data directory; default SCIDISCO_DATA.")


def run(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    """Run E5 and write ``table.md`` (printed too) into ``run_dir``."""
    try:
        config = E5Params.model_validate(params)
    except ValidationError as exc:
        raise ValueError(f"invalid E5 params: {exc}") from exc
    meter = ResourceMeter()
    files = sorted({*config.corpora, config.query_corpus, *config.label_corpora, config.pubmedqa})
    relative = [f for f in files if not Path(f).is_absolute()]
    require(relative, config.data_dir)
    inputs = {f"input_{i}": resolve(f, config.data_dir) for i, f in enumerate(files)}
    if config.mesh:  # the entity lexicon adds MeSH names (retrieval.mesh)
        inputs |= mesh_inputs(config.data_dir)
    logger.info("E5 with %s (seed %d unused: no randomness)", config.model_dump(), seed)

    result = e5_tasks.run_tasks(config, run_dir)
    table = e5_tasks.render_table(result, meter.usage().note())
    (run_dir / "table.md").write_text(table)
    print(table)
    metrics = {k: round(v, 6) for k, v in sorted(result.metrics.items())}
    return TaskOutput(metrics=metrics, inputs=inputs)
