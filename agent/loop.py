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
from agent.types import Evidence, EvidenceMention, Hypothesis, Relation
from reasoning.corpus_facts import corpus_facts
from reasoning.doses import dose_consistency
from reasoning.kb import KnowledgeBase
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.corpus import read_corpus
from retrieval.datadir import DataDirError, data_dir, resolve
from retrieval.embeddings import load_embedder
from retrieval.index import ChunkIndex, RetrievedChunk
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document
from retrieval.store import DocumentStore
from rl.facts import DISGENET_FILES, PHARMACOTHERAPYDB_FILES
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
    index: ChunkIndex | None = None
    """The FAISS index the evidence came from (the runner saves it in the run folder)."""

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
        inputs = input_files(cfg)
        corpus_path, gold_path = inputs["corpus"], inputs["gold"]

        with self._step("read corpus"):
            docs = _read(corpus_path, cfg.corpus.format, cfg.corpus.max_documents)
            Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)  # the default store is in it
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
            _attach_evidence(index, top_per_target, cfg.retrieval.k, {d.pmid: d for d in docs})
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
                # The LLM's own hypotheses face the same symbolic checks as ABC candidates.
                for h, verdicts in zip(
                    proposals.accepted, kb.check_many(proposals.accepted), strict=True
                ):
                    h.verdicts = list(verdicts)
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
                progress=self.progress,
            )

        metrics = {
            **ranking_metrics(pools, lab, cfg.generation.relation),
            **selection.metrics,
            **_mapping_metrics(lab, kb),
        }
        if proposals is not None:
            metrics["llm/proposals_accepted"] = float(len(proposals.accepted))
            metrics["llm/proposals_rejected"] = float(len(proposals.rejected))
        return LoopResult(
            pools=pools,
            proposals=proposals,
            metrics=metrics,
            curves=selection.curves,
            inputs=inputs,
            timings=dict(self.timings),
            index=index,
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


def input_files(cfg: RunConfig) -> dict[str, Path]:
    """Every data file the run reads, by role, after checking that all of them exist.

    Raises:
        DataDirError: naming each missing file and how to point the data setting elsewhere.
    """
    root = data_dir(cfg.data_dir)
    files = {
        "corpus": resolve(cfg.corpus.path, cfg.data_dir),
        "mesh_terms": root / MESH_TERMS,
        "mesh_trees": root / MESH_TREES,
    }
    if cfg.gold.format in CURATED_LABS:
        table, *tables = (root / rel for rel in CURATED_LABS[cfg.gold.format])
        files["gold"] = table
        files |= {f"gold_{p.stem}": p for p in tables if p not in files.values()}
    else:
        files["gold"] = resolve(cfg.gold.path, cfg.data_dir)
    missing = sorted({str(path) for path in files.values() if not path.is_file()})
    if missing:
        listing = "\n  ".join(missing)
        raise DataDirError(
            f"the run config names files that do not exist:\n  {listing}\n"
            "Fix `corpus.path` / `gold.path` (relative paths are taken inside the data "
            "directory) or point $SCIDISCO_DATA (or `data_dir:`) at a complete copy of "
            "shared/data; `scidisco check-data` lists what the demo needs."
        )
    return files


MESH_TERMS, MESH_TREES = "bio/mesh/terms.tsv", "bio/mesh/tree-numbers.tsv"
# Curated fact sources the lab can answer from instead of `gold.path` (data-dir relative).
CURATED_LABS = {"pharmacotherapydb": PHARMACOTHERAPYDB_FILES, "disgenet": DISGENET_FILES}


def _load_lab(path: Path, cfg: RunConfig) -> SimulatedLab:
    common = {"noise": cfg.gold.noise, "cost": cfg.gold.cost, "seed": cfg.seed}
    fmt = cfg.gold.format
    if fmt == "pharmacotherapydb":
        return SimulatedLab.from_pharmacotherapydb(data_dir(cfg.data_dir), **common)
    if fmt == "disgenet":
        return SimulatedLab.from_disgenet(data_dir(cfg.data_dir), **common)
    if fmt == "auto":
        fmt = "tsv" if path.suffix.lower() in {".tsv", ".tab"} else "pubtator"
    loader = SimulatedLab.from_tsv if fmt == "tsv" else SimulatedLab.from_pubtator
    return loader(path, **common)


def _mapping_metrics(lab: SimulatedLab, kb: KnowledgeBase) -> dict[str, float]:
    """How much of the held-out facts' source reached the project's ids (MeSH), as counts."""
    metrics = {"gold/facts": float(len(lab))}
    if lab.stats is not None:
        stats = lab.stats
        metrics |= {
            "gold/rows": float(stats.rows_total),
            "gold/rows_unmapped": float(stats.rows_total - stats.rows_kept),
            "gold/subjects_unmapped": float(stats.subjects_total - stats.subjects_mapped),
            "gold/objects_unmapped": float(stats.objects_total - stats.objects_mapped),
        }
    # Ids without MeSH tree numbers (supplementary C-ids) are typed from their corpus mentions.
    metrics["kb/typed_from_corpus"] = float(kb.stats.declared)
    metrics["kb/facts"] = float(kb.stats.facts)
    return metrics


def _attach_evidence(
    index: ChunkIndex, hypotheses: list[Hypothesis], k: int, documents: dict[str, Document]
) -> None:
    found = index.retrieve_many([h.text() for h in hypotheses], k=k)
    for h, hits in zip(hypotheses, found, strict=True):
        h.evidence = [evidence_from(c, documents.get(c.pmid)) for c in hits]


def evidence_from(chunk: RetrievedChunk, document: Document | None) -> Evidence:
    """A retrieved passage as `Evidence`, with the document's mentions that lie inside it."""
    mentions = []
    if document is not None:
        mentions = [
            EvidenceMention(
                start=m.start - chunk.start,
                end=m.end - chunk.start,
                entity_ids=list(m.ids),
                type=m.entity_type,
            )
            for m in sorted(document.mentions, key=lambda m: (m.start, m.end))
            if chunk.start <= m.start and m.end <= chunk.end
        ]
    return Evidence(pmid=chunk.pmid, text=chunk.text, score=chunk.score, mentions=mentions)


def _seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
