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
from agent.relations import map_relation
from agent.types import Entity, EntityType, Evidence, Hypothesis, Relation
from reasoning.kb import KnowledgeBase
from reasoning.quantitative import dose_consistency
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import resolve
from retrieval.embeddings import load_embedder
from retrieval.index import ChunkIndex
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document
from retrieval.readers import read_corpus
from retrieval.store import DocumentStore
from agent.selection import select_experiments
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
        return sorted(self.hypotheses, key=lambda h: -h.scores.get("rank", 0.0))[:n]


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
            mesh = MeshVocabulary.load(resolve(".", cfg.data_dir))
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
            kb = KnowledgeBase.build(mesh, _entities(graph), _corpus_facts(docs))
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
            result_top = sorted(
                (h for p in pools.values() for h in p), key=lambda h: -h.scores["rank"]
            )[: cfg.agent.rationale_top_k]
            write_rationales(result_top, llm)
            for h in result_top:
                h.verdicts.append(dose_consistency([e.text for e in h.evidence]))
            proposals = (
                propose(docs[: cfg.agent.propose_documents], llm, lexicon)
                if cfg.agent.propose_documents
                else None
            )
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


def _entities(graph: CooccurrenceGraph) -> list[Entity]:
    return [graph.entity(e) for e in graph.entities()]


def _corpus_facts(docs: list[Document]) -> list[tuple[str, Relation, str]]:
    """The corpus's own relations in the project's vocabulary, as Prolog facts."""
    types: dict[str, EntityType] = {}
    for doc in docs:
        for m in doc.mentions:
            for entity_id in m.ids:
                types.setdefault(entity_id, m.entity_type)
    facts = set()
    for doc in docs:
        for rel in doc.relations:
            try:
                relation, label = map_relation(rel.type, types.get(rel.id1), types.get(rel.id2))
            except ValueError:
                logger.warning("skipping relation of unknown type %r in %s", rel.type, doc.pmid)
                continue
            if label:
                facts.add((rel.id1, relation, rel.id2))
    return sorted(facts)


def _attach_evidence(index: ChunkIndex, hypotheses: list[Hypothesis], k: int) -> None:
    for h in hypotheses:
        hits = index.retrieve(h.text(), k=k)
        h.evidence = [Evidence(pmid=c.pmid, text=c.text, score=c.score) for c in hits]


def _seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
