"""E5's two tasks: build the pool and the retrievers, score them, render the table."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sentence_transformers import SentenceTransformer

from experiments.benchmarks.e5_data import (
    Query,
    abbreviation_definitions,
    deduplicate,
    evidence_queries,
    pubmedqa_queries,
    read_corpora,
    read_pubmedqa,
    without_relations,
)
from experiments.benchmarks.e5_eval import (
    DenseRankings,
    LastQueryCache,
    Row,
    cached_embeddings,
    evaluate,
    whole_documents,
)
from retrieval.bm25 import BM25Index
from retrieval.chunking import Chunk, chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import data_dir, resolve
from retrieval.embeddings import load_embedder
from retrieval.entity_retriever import EntityRetriever
from retrieval.hybrid import HybridRetriever, Retriever
from retrieval.index import ChunkIndex
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document

if TYPE_CHECKING:
    from experiments.benchmarks.e5_retrieval import E5Params

logger = logging.getLogger(__name__)

RECALL_KS = (1, 5, 10)
# The columns each task's table shows (every metric is in metrics.json either way).
COLUMNS = {
    "pubmedqa": ("recall@1", "recall@5", "recall@10", "mrr"),
    "evidence": ("recall@10", "ndcg@10", "mrr"),
}


@dataclass
class TaskResult:
    """Scores per row of one task, query seconds per row, and the task's counts."""

    task: str
    scores: dict[str, dict[str, float]]
    seconds: dict[str, float]
    counts: dict[str, float]


@dataclass
class E5Result:
    """Every task's result, with setup timings (seconds) for the table."""

    tasks: list[TaskResult] = field(default_factory=list)
    setup_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        flat = {}
        for task in self.tasks:
            for row, scores in task.scores.items():
                flat.update({f"e5/{task.task}/{row}/{m}": v for m, v in scores.items()})
            flat.update({f"e5/{task.task}/{c}": v for c, v in task.counts.items()})
        return flat


@dataclass
class Shared:
    """What both tasks use: passages with their vectors, the embedder and the lexicon."""

    chunks: list[Chunk]
    vectors: np.ndarray
    embedder: SentenceTransformer
    lexicon: EntityLexicon
    use_annotations: bool


def run_tasks(config: E5Params, run_dir: Path) -> E5Result:
    """Read the data, embed the passages once, and run the configured tasks."""
    result, clock = E5Result(), time.perf_counter()
    annotated = without_relations(deduplicate(read_corpora(_paths(config.corpora, config))))
    qa_path = resolve(config.pubmedqa, config.data_dir)
    qa_docs = read_pubmedqa(qa_path)[: config.max_pubmedqa]
    pool = deduplicate([*annotated, *qa_docs])
    indexed = pool if "evidence" in config.tasks else qa_docs
    chunks = list(chunk_documents(indexed, config.chunk_size, config.chunk_overlap))
    result.setup_seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    embedder = load_embedder()
    vectors = cached_embeddings(chunks, embedder, run_dir / "cache")
    result.setup_seconds["embed passages"] = time.perf_counter() - clock

    clock = time.perf_counter()
    mesh = MeshVocabulary.load(data_dir(config.data_dir)) if config.mesh else None
    lexicon = EntityLexicon.build(annotated, mesh)
    result.setup_seconds["lexicon"] = time.perf_counter() - clock
    shared = Shared(chunks, vectors, embedder, lexicon, config.use_annotations)

    for task in config.tasks:
        clock = time.perf_counter()
        if task == "pubmedqa":
            queries = pubmedqa_queries(qa_path)[: config.max_pubmedqa]
            result.tasks.append(_run_task("pubmedqa", qa_docs, queries, shared, {}))
        else:
            queries, skipped = _evidence_queries(config, annotated)
            counts = {"skipped_pairs": float(skipped)}
            result.tasks.append(_run_task("evidence", pool, queries, shared, counts))
        result.setup_seconds[f"task {task}"] = time.perf_counter() - clock
    return result


def _paths(files: Sequence[str], config: E5Params) -> list[Path]:
    return [resolve(f, config.data_dir) for f in files]


def _evidence_queries(config: E5Params, annotated: list[Document]) -> tuple[list[Query], int]:
    graph = CooccurrenceGraph.from_documents(annotated)
    dev = read_corpora(_paths([config.query_corpus], config))
    labelled = read_corpora(_paths(config.label_corpora, config))
    definitions = abbreviation_definitions(annotated)
    queries, skipped = evidence_queries(dev, labelled, graph, definitions)
    return queries[: config.max_queries], skipped


def _run_task(
    task: str,
    docs: list[Document],
    queries: list[Query],
    shared: Shared,
    counts: dict[str, float],
) -> TaskResult:
    """Build every row's retriever over ``docs`` and score it on ``queries``."""
    pmids = {d.pmid for d in docs}
    keep = [i for i, c in enumerate(shared.chunks) if c.pmid in pmids]
    passages = [shared.chunks[i] for i in keep]
    index = ChunkIndex.from_vectors(shared.vectors[keep], passages, shared.embedder)
    texts = sorted({t for q in queries for t in (q.text, q.expanded) if t is not None})
    retrievers = _retrievers(docs, index, texts, shared)

    # Each retriever is asked the plain query, and the expanded one where the task has it.
    rows = [Row(name, r, _plain) for name, r in retrievers.items()]
    if any(q.expanded is not None for q in queries):
        rows += [Row(f"{name}_abbrev", r, _expanded) for name, r in retrievers.items()]
    scores, seconds = evaluate(rows, queries, len(docs), RECALL_KS, desc=f"E5 {task}")

    counts = {
        **counts,
        "n_queries": float(len(queries)),
        "n_documents": float(len(docs)),
        "n_passages": float(len(passages)),
        "mean_relevant": sum(len(q.relevant) for q in queries) / max(len(queries), 1),
    }
    if task == "evidence":
        counts["expanded_queries"] = float(sum(_expanded(q) != q.text for q in queries))
        counts["both_entities_linked"] = _linked_share(shared.lexicon, queries, _plain)
        counts["both_entities_linked_abbrev"] = _linked_share(shared.lexicon, queries, _expanded)
    return TaskResult(task, scores, seconds, counts)


def _retrievers(
    docs: list[Document], index: ChunkIndex, texts: list[str], shared: Shared
) -> dict[str, Retriever]:
    """The rows' retrievers; BM25 and dense answers are shared through one-query caches.

    ``entity`` uses annotated mentions where a document has them; ``entity_linked`` links
    every document's text with the lexicon, shown only when some document is annotated
    (otherwise the two are the same retriever).
    """
    dense = LastQueryCache(DenseRankings(index, texts))
    bm25 = LastQueryCache(BM25Index.build(whole_documents(docs)))
    annotations = shared.use_annotations
    entity = EntityRetriever.build(docs, shared.lexicon, use_annotations=annotations)
    retrievers: dict[str, Retriever] = {
        "bm25": bm25,
        "dense": dense,
        "hybrid": HybridRetriever([bm25, dense], depth=len(docs)),
        "entity": entity,
        "entity_dense": entity.with_fallback(dense),
    }
    if annotations and any(d.mentions for d in docs):
        linked = EntityRetriever.build(docs, shared.lexicon, use_annotations=False)
        retrievers["entity_linked"] = linked
        retrievers["entity_linked_dense"] = linked.with_fallback(dense)
    return retrievers


def _plain(query: Query) -> str:
    return query.text


def _expanded(query: Query) -> str:
    return query.expanded if query.expanded is not None else query.text


def _linked_share(
    lexicon: EntityLexicon, queries: list[Query], text: Callable[[Query], str]
) -> float:
    """Share of evidence queries whose chemical and disease ids the linker both finds.

    Evaluation only: the ids come from the query's label pair, which no retriever sees.
    """
    hits = 0
    for query in queries:
        found = {entity.id for _, _, entity in lexicon.find_mentions(text(query))}
        hits += set(query.qid.split("|")) <= found
    return hits / max(len(queries), 1)


def render_table(result: E5Result, usage: str) -> str:
    """Markdown: one table per task (rows x metrics, query seconds), counts and timings.

    ``usage`` is the run's wall-time and peak-memory sentence (`experiments.resources`).
    """
    lines = ["# E5 retrieval", ""]
    for task in result.tasks:
        columns = COLUMNS[task.task]
        lines += [f"## {task.task}", "", "| retriever | " + " | ".join(columns) + " | query s |"]
        lines.append("|---" * (len(columns) + 2) + "|")
        for row, scores in task.scores.items():
            cells = " | ".join(f"{scores[c]:.3f}" for c in columns)
            lines.append(f"| {row} | {cells} | {task.seconds[row]:.1f} |")
        counts = ", ".join(f"{k} {v:g}" for k, v in task.counts.items())
        lines += ["", f"Counts: {counts}.", ""]
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.setup_seconds.items())
    total = sum(result.setup_seconds.values())
    lines += [f"Timings: {timings} (total {total:.1f} s). {usage}", ""]
    lines.append(
        "Query seconds count a shared input (BM25, dense) once, in the first row that asks it."
    )
    return "\n".join(lines) + "\n"
