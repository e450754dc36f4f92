"""E1's two re-rankers of each target's top candidates: the Prolog filter and the LLM."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from agent.llm import LLMConfig, load_backend
from agent.plausibility import score_plausibility
from agent.rank import passes_symbolic
from agent.types import Evidence, Hypothesis, Relation
from experiments.benchmarks.e1_features import CandidateSet
from reasoning.corpus_facts import corpus_facts
from reasoning.kb import KnowledgeBase
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.embeddings import load_embedder
from retrieval.index import ChunkIndex
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator

logger = logging.getLogger(__name__)


def top_rows(candidates: CandidateSet, scores: np.ndarray, target: str, k: int) -> np.ndarray:
    """The ``k`` best-scored candidate rows of ``target`` (ties by row, so deterministic)."""
    rows = candidates.rows_of(target)
    order = np.lexsort((rows, -scores[rows]))
    return rows[order[:k]]


def _hypotheses(
    candidates: CandidateSet, rows: np.ndarray, graph: CooccurrenceGraph
) -> list[Hypothesis]:
    out = []
    for row in rows:
        chem, dis = candidates.pair(int(row))
        out.append(
            Hypothesis(
                subject=graph.entity(chem), relation=Relation.INDUCES, object=graph.entity(dis)
            )
        )
    return out


def filter_top(
    candidates: CandidateSet,
    scores: np.ndarray,
    train: Sequence[Document],
    extra_paths: Sequence[Path],
    held_out: Sequence[Document],
    top_k: int,
) -> np.ndarray:
    """Scores where each target's top ``top_k`` failing a Prolog check sink below the rest.

    The knowledge base holds MeSH and the known relations of the training corpus and of the
    extra corpora, minus any document whose PMID is held out.
    """
    held = {d.pmid for d in held_out}
    extra = [d for p in extra_paths for d in read_pubtator(p) if d.pmid not in held]
    entities, facts = corpus_facts([*train, *extra])
    graph = CooccurrenceGraph.from_documents(train)
    out = scores.astype(float).copy()
    sink = float(scores.max() - scores.min() + 1.0)
    rejected = 0
    with KnowledgeBase.build(MeshVocabulary.load(), entities, facts) as kb:
        for target in tqdm(candidates.diseases, desc="E1 Prolog filter", mininterval=5):
            rows = top_rows(candidates, scores, target, top_k)
            hypotheses = _hypotheses(candidates, rows, graph)
            for row, h, verdicts in zip(rows, hypotheses, kb.check_many(hypotheses), strict=True):
                h.verdicts = [v for v in verdicts if v.check != "novel"]
                if not passes_symbolic(h):
                    out[row] -= sink
                    rejected += 1
    logger.info("E1 filter demoted %d of the per-target top-%d candidates", rejected, top_k)
    return out


def llm_rerank(
    candidates: CandidateSet,
    scores: np.ndarray,
    train: Sequence[Document],
    targets: Sequence[str],
    top_n: int,
    weight: float,
    evidence_k: int,
) -> tuple[np.ndarray, dict[int, float]]:
    """Re-order each target's top ``top_n`` by ranker z-score + ``weight`` * LLM z-score.

    The re-ordered block keeps the same set of score values (they are reassigned among its
    rows), so the candidates outside the block and other targets are untouched.
    """
    graph = CooccurrenceGraph.from_documents(train)
    index = ChunkIndex.build(chunk_documents(train), load_embedder())
    llm = load_backend(LLMConfig())
    blocks = {t: top_rows(candidates, scores, t, top_n) for t in targets}
    rows = np.concatenate(list(blocks.values()))
    hypotheses = _hypotheses(candidates, rows, graph)
    if evidence_k:
        hits = index.retrieve_many([h.text() for h in hypotheses], k=evidence_k)
        for h, found in zip(hypotheses, hits, strict=True):
            h.evidence = [Evidence(pmid=c.pmid, text=c.text, score=c.score) for c in found]
    for start in tqdm(range(0, len(hypotheses), 32), desc="E1 LLM plausibility"):
        score_plausibility(hypotheses[start : start + 32], llm)

    llm_score = np.array([h.scores["llm_plausibility"] for h in hypotheses])
    combined = _z(scores[rows]) + weight * _z(llm_score)
    out = scores.astype(float).copy()
    position = 0
    for block in blocks.values():
        part = slice(position, position + len(block))
        values = np.sort(scores[block])[::-1]
        order = np.lexsort((block, -combined[part]))
        out[block[order]] = values
        position += len(block)
    return out, {int(r): float(s) for r, s in zip(rows, llm_score, strict=True)}


def _z(values: np.ndarray) -> np.ndarray:
    std = values.std()
    return (values - values.mean()) / (std if std > 0 else 1.0)
