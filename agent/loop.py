"""The discovery loop: literature in, ranked, checked and partly tested hypotheses out.

Steps, each timed and logged:

1. read the corpus and store it; build the MeSH vocabulary, lexicon and co-occurrence graph;
2. load the held-out facts into a simulated lab (the generator never sees them);
3. generate ABC candidates for each target;
4. check every candidate in the Prolog knowledge base (types, novelty, contradictions);
5. retrieve evidence from the FAISS index, score plausibility with the LLM, rank;
6. write rationales for the top hypotheses, run the SymPy dose check on their evidence,
   and let the LLM propose hypotheses of its own, grounded through the lexicon;
7. train a MaskablePPO experiment-selection policy on some targets and compare it with
   baselines on the others; the chosen experiments' outcomes are attached.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from agent.config import RunConfig
from agent.generate import AbcSettings, generate, pick_targets
from agent.llm import LLMBackend, load_backend
from agent.plausibility import score_plausibility
from agent.propose import ProposalResult, propose
from agent.rank import rank_pool
from agent.rationale import write_rationales
from agent.selection import select_experiments
from agent.types import Evidence, Hypothesis, Relation
from reasoning.corpus_facts import corpus_facts
from reasoning.doses import dose_consistency
from reasoning.kb import KnowledgeBase
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.corpus import read_corpus
from retrieval.datadir import data_dir, resolve
from retrieval.embeddings import load_embedder
from retrieval.index import ChunkIndex
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document
from retrieval.store import DocumentStore
from rl.labs import SimulatedLab

logger = logging.getLogger(__name__)


@dataclass
class LoopResult:
    """What one pass of the loop produced."""

    pools: dict[str, list[Hypothesis]]
    proposals: ProposalResult | None
    metrics: dict[str, float]
    curves: dict[str, list[float]]
    inputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def hypotheses(self) -> list[Hypothesis]:
        """Every hypothesis, target by target, best first within a target."""
        return [h for pool in self.pools.values() for h in pool]

    def top(self, n: int) -> list[Hypothesis]:
        """The ``n`` best hypotheses across targets by rank score."""
        return _best(self.pools, n)


class DiscoveryLoop:
    """Runs the steps above for one config; ``run()`` returns a `LoopResult`."""

    def __init__(self, config: RunConfig, progress: bool = True) -> None:
        self.config = config
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        logger.info("step: %s", name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        logger.info("step: %s done in %.1f s", name, self.timings[name])

    def run(self) -> LoopResult:
        cfg = self.config
        _seed_everything(cfg.seed, cfg.threads)
        corpus_path = resolve(cfg.corpus.path, cfg.data_dir)
        gold_path = resolve(cfg.gold.path, cfg.data_dir)

        with self._step("read corpus"):
            docs = _read(corpus_path, cfg.corpus.format, cfg.corpus.max_documents)
            DocumentStore(cfg.review_url()).add(docs, corpus=corpus_path.name)
            mesh = MeshVocabulary.load(data_dir(cfg.data_dir))
            mesh.supplement_from(docs)
            graph = CooccurrenceGraph.from_documents(docs)
            lexicon = EntityLexicon.build(docs, mesh)
        with self._step("load held-out facts"):
            lab = _load_lab(gold_path, cfg)
        with self._step("generate candidates"):
            targets = cfg.generation.targets or pick_targets(
                graph,
                positive_pairs(lab, cfg.generation.relation),
                cfg.generation.n_targets,
                cfg.generation.subject_type,
                cfg.generation.object_type,
            )
            settings = AbcSettings(
                subject_type=cfg.generation.subject_type,
                relation=cfg.generation.relation,
                max_candidates=cfg.generation.max_candidates,
            )
            pools = {t: pool for t, pool in generate(graph, targets, settings).items() if pool}
        with self._step("symbolic checks"):
            entities, facts = corpus_facts(docs)
            kb = KnowledgeBase.build(mesh, entities, facts)
            for pool in pools.values():
                for h, verdicts in zip(pool, kb.check_many(pool), strict=True):
                    h.verdicts = list(verdicts)

        llm = self._llm()
        with self._step("retrieve evidence and score plausibility"):
            index = self._index(docs)
            top_per_target = [
                h
                for pool in pools.values()
                for h in rank_pool(pool, 0.0, cfg.agent.symbolic_filter)[
                    : cfg.agent.plausibility_per_target
                ]
            ]
            _attach_evidence(index, top_per_target, cfg.retrieval.k)
            score_plausibility(top_per_target, llm)
            pools = {
                t: rank_pool(p, cfg.agent.llm_weight, cfg.agent.symbolic_filter)
                for t, p in pools.items()
            }
        with self._step("rationales, dose check and LLM proposals"):
            pools = _with_rationales(pools, cfg.agent.rationale_top_k, llm)
            for h in _best(pools, cfg.agent.rationale_top_k):
                h.verdicts.append(dose_consistency([e.text for e in h.evidence]))
            proposals = None
            if cfg.agent.propose_documents:
                passages = _distinct_passages(
                    _best(pools, len(pools) * cfg.agent.plausibility_per_target),
                    cfg.agent.propose_documents,
                )
                proposals = propose(passages, llm, lexicon)
        with self._step("experiment selection"):
            selection = select_experiments(
                list(pools.values()),
                lab,
                cfg.rl.budget,
                cfg.rl.policies,
                train_fraction=cfg.rl.train_fraction,
                timesteps=cfg.rl.timesteps,
                episodes=cfg.rl.eval_episodes,
                seed=cfg.seed,
            )

        metrics = {**ranking_metrics(pools, lab, cfg.generation.relation), **selection.metrics}
        if proposals is not None:
            metrics["llm/proposals_accepted"] = float(len(proposals.accepted))
            metrics["llm/proposals_rejected"] = float(len(proposals.rejected))
        return LoopResult(
            pools=pools,
            proposals=proposals,
            metrics=metrics,
            curves=selection.curves,
            inputs={"corpus": corpus_path, "gold": gold_path},
            timings=dict(self.timings),
        )

    def _llm(self) -> LLMBackend:
        with self._step("load LLM"):
            return load_backend(self.config.llm)

    def _index(self, docs: list[Document]) -> ChunkIndex:
        cfg = self.config.retrieval
        chunks = chunk_documents(docs, chunk_size=cfg.chunk_size, chunk_overlap=cfg.chunk_overlap)
        return ChunkIndex.build(chunks, load_embedder(), kind=cfg.index)


def _best(pools: dict[str, list[Hypothesis]], n: int) -> list[Hypothesis]:
    """The ``n`` best hypotheses across targets by rank score (ties by id)."""
    everything = (h for pool in pools.values() for h in pool)
    return sorted(everything, key=lambda h: (-h.scores["rank"], h.id))[:n]


def _with_rationales(
    pools: dict[str, list[Hypothesis]], n: int, llm: LLMBackend
) -> dict[str, list[Hypothesis]]:
    """Pools in which the ``n`` best hypotheses carry an LLM rationale."""
    written = {h.id: h for h in write_rationales(_best(pools, n), llm)}
    return {t: [written.get(h.id, h) for h in pool] for t, pool in pools.items()}


def _distinct_passages(hypotheses: list[Hypothesis], n: int) -> list[Evidence]:
    """The first ``n`` distinct retrieved passages of the given hypotheses."""
    seen: dict[tuple[str, str], Evidence] = {}
    for h in hypotheses:
        for e in h.evidence:
            seen.setdefault((e.pmid, e.text), e)
    return list(seen.values())[:n]


def ranking_metrics(
    pools: dict[str, list[Hypothesis]], lab: SimulatedLab, relation: Relation
) -> dict[str, float]:
    """Hits@k (share of targets with a true pair in the top k), MRR and pool positive rate."""
    truth = positive_pairs(lab, relation)
    ranks: list[int | None] = []
    positives = total = 0
    for target, pool in pools.items():
        hits = [i for i, h in enumerate(pool, start=1) if (h.subject.id, target) in truth]
        ranks.append(hits[0] if hits else None)
        positives += len(hits)
        total += len(pool)
    metrics = {
        f"ranking/hits@{k}": float(np.mean([r is not None and r <= k for r in ranks]))
        for k in (1, 5, 10)
    }
    metrics["ranking/mrr"] = float(np.mean([1.0 / r if r else 0.0 for r in ranks]))
    metrics["ranking/targets"] = float(len(pools))
    metrics["ranking/pool_positive_rate"] = positives / total if total else 0.0
    return metrics


def positive_pairs(lab: SimulatedLab, relation: Relation) -> set[tuple[str, str]]:
    """``(subject, object)`` pairs the lab holds as true for ``relation``."""
    return {(s, o) for (s, r, o), label in lab.facts.items() if label and r == relation}


def _read(path: Path, fmt: str, limit: int | None) -> list[Document]:
    docs = []
    for doc in read_corpus(path, fmt):
        docs.append(doc)
        if limit is not None and len(docs) >= limit:
            break
    return docs


def _load_lab(path: Path, cfg: RunConfig) -> SimulatedLab:
    fmt = cfg.gold.format
    if fmt == "auto":
        fmt = "tsv" if path.suffix.lower() in {".tsv", ".tab"} else "pubtator"
    loader = SimulatedLab.from_tsv if fmt == "tsv" else SimulatedLab.from_pubtator
    return loader(path, noise=cfg.gold.noise, cost=cfg.gold.cost, seed=cfg.seed)


def _attach_evidence(index: ChunkIndex, hypotheses: list[Hypothesis], k: int) -> None:
    for h in hypotheses:
        hits = index.retrieve(h.text(), k=k)
        h.evidence = [Evidence(pmid=c.pmid, text=c.text, score=c.score) for c in hits]


def _seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
