"""E1's re-rankers of each target's top candidates: the Prolog filter and the LLM.

Both are expensive, and several rows of the table need them on overlapping candidates, so
each candidate is checked (`SymbolicChecker`) and scored by the LLM (`LLMScorer`) at most
once; the rows then reuse the cached verdicts and scores.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np
from tqdm.auto import tqdm

from agent.llm import LLMBackend, LLMConfig, load_backend
from agent.plausibility import score_plausibility
from agent.rank import passes_symbolic
from agent.types import Evidence, Hypothesis, Relation, Verdict
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

LLM_BATCH = 32


def top_rows(candidates: CandidateSet, scores: np.ndarray, target: str, k: int) -> np.ndarray:
    """The ``k`` best-scored candidate rows of ``target`` (ties by row, so deterministic)."""
    return best_rows(candidates.rows_of(target), scores, k)


def best_rows(rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``rows`` with the highest ``scores``, best first, ties by row."""
    return rows[np.lexsort((rows, -scores[rows]))[:k]]


def hypotheses(
    candidates: CandidateSet, rows: Iterable[int], graph: CooccurrenceGraph
) -> list[Hypothesis]:
    """``chemical induces disease`` for each candidate row."""
    out = []
    for row in rows:
        chem, dis = candidates.pair(int(row))
        out.append(
            Hypothesis(
                subject=graph.entity(chem), relation=Relation.INDUCES, object=graph.entity(dis)
            )
        )
    return out


class SymbolicChecker:
    """The Prolog verdicts of candidate rows, each row checked once.

    The knowledge base holds MeSH and the known relations of the training corpus and of the
    extra corpora, minus any document whose PMID is held out. ``novel`` is left out of the
    verdicts: no candidate is co-mentioned in training, so none is a training fact, and a
    pair the extra corpora state is a true pair here, not one to demote.

    Use it as a context manager (the knowledge base is a Prolog module, unloaded on exit).
    """

    def __init__(
        self,
        candidates: CandidateSet,
        train: Sequence[Document],
        extra_paths: Sequence[Path],
        held_out: Sequence[Document],
        mesh: MeshVocabulary,
    ) -> None:
        held = {d.pmid for d in held_out}
        extra = [d for p in extra_paths for d in read_pubtator(p) if d.pmid not in held]
        entities, facts = corpus_facts([*train, *extra])
        self.candidates = candidates
        self.graph = CooccurrenceGraph.from_documents(train)
        self.kb = KnowledgeBase.build(mesh, entities, facts)
        self._checked: dict[int, Hypothesis] = {}

    def __enter__(self) -> SymbolicChecker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kb.close()

    def verdicts(self, rows: Iterable[int]) -> dict[int, list[Verdict]]:
        """Verdicts of ``rows`` (checking the ones not seen before)."""
        wanted = [int(r) for r in rows]
        new = sorted(set(wanted) - set(self._checked))
        for start in range(0, len(new), 5000):
            part = new[start : start + 5000]
            batch = hypotheses(self.candidates, part, self.graph)
            for row, h, found in zip(part, batch, self.kb.check_many(batch), strict=True):
                h.verdicts = [v for v in found if v.check != "novel"]
                self._checked[row] = h
        return {r: self._checked[r].verdicts for r in wanted}

    def passes(self, row: int) -> bool:
        """`agent.rank.passes_symbolic` of the row's hypothesis (checked on first use)."""
        self.verdicts([row])
        return passes_symbolic(self._checked[row])

    def filter_top(self, scores: np.ndarray, top_k: int) -> np.ndarray:
        """Scores where each target's top ``top_k`` failing a check sink below the rest."""
        out = scores.astype(float).copy()
        sink = float(scores.max() - scores.min() + 1.0)
        blocks = [top_rows(self.candidates, scores, t, top_k) for t in self.candidates.diseases]
        self.verdicts(np.concatenate(blocks))
        failing = [r for block in blocks for r in block if not self.passes(int(r))]
        out[failing] -= sink
        logger.info("E1 filter demoted %d of the per-target top-%d candidates", len(failing), top_k)
        return out


class LLMScorer:
    """The LLM plausibility (`agent.plausibility`) of candidate rows, each row scored once.

    Evidence: the ``evidence_k`` training passages nearest to ``"<chemical> induces
    <disease>"`` (MiniLM + FAISS), as the agent retrieves it.
    """

    def __init__(
        self, candidates: CandidateSet, train: Sequence[Document], evidence_k: int
    ) -> None:
        self.candidates, self.evidence_k = candidates, evidence_k
        self.graph = CooccurrenceGraph.from_documents(train)
        self.index = ChunkIndex.build(chunk_documents(train), load_embedder())
        self._llm: LLMBackend | None = None
        self._scores: dict[int, float] = {}

    def scores(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``llm_plausibility`` of each row, in order."""
        new = list(dict.fromkeys(int(r) for r in rows if int(r) not in self._scores))
        if new:
            self._llm = self._llm or load_backend(LLMConfig())
            batch = hypotheses(self.candidates, new, self.graph)
            if self.evidence_k:
                hits = self.index.retrieve_many([h.text() for h in batch], k=self.evidence_k)
                for h, found in zip(batch, hits, strict=True):
                    h.evidence = [Evidence(pmid=c.pmid, text=c.text, score=c.score) for c in found]
            for start in tqdm(range(0, len(batch), LLM_BATCH), desc="E1 LLM plausibility"):
                score_plausibility(batch[start : start + LLM_BATCH], self._llm)
            self._scores.update(
                (row, h.scores["llm_plausibility"]) for row, h in zip(new, batch, strict=True)
            )
        return np.array([self._scores[int(r)] for r in rows])

    @property
    def scored(self) -> int:
        """How many distinct candidates the LLM has scored."""
        return len(self._scores)


def llm_rerank(
    candidates: CandidateSet,
    scores: np.ndarray,
    scorer: LLMScorer,
    targets: Sequence[str],
    top_n: int,
    weight: float,
) -> np.ndarray:
    """Re-order each target's top ``top_n`` by its z-score + ``weight`` * LLM z-score.

    The z-scores are taken over all re-ranked rows together. The re-ordered block keeps the
    same set of score values (they are reassigned among its rows), so the candidates outside
    the block and the other targets are untouched.
    """
    blocks = {t: top_rows(candidates, scores, t, top_n) for t in targets}
    rows = np.concatenate(list(blocks.values()))
    combined = _z(scores[rows]) + weight * _z(scorer.scores(rows))
    out = scores.astype(float).copy()
    position = 0
    for block in blocks.values():
        part = slice(position, position + len(block))
        values = np.sort(scores[block])[::-1]
        order = np.lexsort((block, -combined[part]))
        out[block[order]] = values
        position += len(block)
    return out


def _z(values: np.ndarray) -> np.ndarray:
    std = values.std()
    return (values - values.mean()) / (std if std > 0 else 1.0)
