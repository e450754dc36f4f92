"""E1: hypothesis ranking as held-out literature-based discovery.

Everything is built from the BC5CDR training split. The truth is the chemical-induced-disease
(CID) pairs of the development split whose two entities both occur in training and were
never mentioned together in a training abstract. BC5CDR's abstracts are not ordered in
time, so this is held-out literature, not a time slice (that is
`experiments.benchmarks.e1_timesliced`).

Candidates are *all* never-co-mentioned chemical-disease pairs of the training entities
(about 420,000). Methods, side by side on the same candidates:

- ``common_neighbors``: how many entities co-occur with both (the co-occurrence baseline);
- ``jaccard``: common neighbours over the union of the two neighbourhoods;
- ``adamic_adar``: common neighbours weighted by 1 / log(1 + document frequency), which is
  ``agent.generate``'s ABC score;
- ``embedding_cosine``: cosine of the two entities' MiniLM profiles (the mean embedding of
  the abstracts that mention each);
- ``logreg``: a logistic regression local to this benchmark (`e1_features.fit_ranker`, not
  the agent's ranker) over the features above plus priors from the training facts (how
  many diseases the chemical is known to induce, how many chemicals are known to induce the
  disease, and known inductions of the disease's MeSH parents, children and siblings). Its
  weights are fitted inside the training split only: features from one half of the training
  abstracts, labels from the CID pairs of the other half that the first half never
  co-mentions; E4's pools use it;
- ``logreg+filter``: with the Prolog filter: each target's top ``top_k`` that are ill-typed
  or contradict a known fact are moved below the rest;
- ``logreg+llm`` and ``logreg+llm+filter``: the LLM re-ranks each target's top ``llm_top``
  by adding its log-likelihood plausibility (see `agent.plausibility`) to the regression's
  standardised score;
- ``rank_pool``, ``rank_pool+filter``, ``rank_pool+llm+filter``: the agent's own ranking,
  `agent.rank.rank_pool`, over pools of each target's ``pool_size`` best ABC candidates, as
  `agent.loop` runs it (see `experiments.benchmarks.e1_rankpool`); ``rank_pool+llm+filter``
  is the loop's default.

The LLM only sees the first ``llm_max_targets`` evaluated targets (by id): on the others the
``+llm`` rows equal their base rows. Their all-target metrics mix the two, and a second
table scores every row on the re-ranked targets only.

Metrics: global AUROC and average precision over all candidates, and per target (each
disease with at least one true pair) the MRR of the first true chemical and hits@10/50/100
(share of targets with a true pair in the top k). Global AUROC alone misleads: hub diseases
dominate the top of a global list, so methods are compared at the top of each target.

Hypernym filtering (the data README's CID pitfall; fenchri/edge-oriented-graph#10): BC5CDR
annotates the most specific disease, so a false candidate whose disease is a MeSH ancestor
or descendant of a disease the chemical is known to induce (a CID pair of either split) may
well be true. Every metric is reported on all candidates (``e1/``) and with those false
candidates removed (``e1_hypernym_filtered/``), using E2's `e2_pairs.HierarchyFilter`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import average_precision_score, roc_auc_score

from experiments.benchmarks.e1_features import (
    CandidateSet,
    FeatureBuilder,
    build_candidates,
    cid_pairs,
    embed_documents,
    fit_ranker,
)
from experiments.benchmarks.e1_rankpool import abc_pools, llm_rows, rank_pool_scores
from experiments.benchmarks.e1_report import render_table
from experiments.benchmarks.e1_rerank import LLMScorer, SymbolicChecker, llm_rerank
from experiments.benchmarks.e2_pairs import HierarchyFilter
from experiments.inputs import mesh_inputs
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from retrieval.datadir import resolve
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator

logger = logging.getLogger(__name__)

HITS_AT = (10, 50, 100)
CLASSICAL = ("common_neighbors", "jaccard", "adamic_adar", "embedding_cosine")
# Metric prefixes: all candidates, hypernym-filtered candidates, the LLM's targets only.
ALL, FILTERED, LLM_SUBSET = "e1", "e1_hypernym_filtered", "e1_llm_subset"


class E1Params(BaseModel):
    """Parameters of E1; the defaults are the full benchmark."""

    model_config = ConfigDict(extra="forbid")

    train: str = Field("bio/bc5cdr/CDR_TrainingSet.PubTator.txt", description="Corpus built on.")
    held_out: str = Field(
        "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt", description="Source of the true pairs."
    )
    extra_facts: list[str] = Field(
        default_factory=lambda: ["bio/biored/Train.PubTator"],
        description="More corpora whose relations (not text) feed the Prolog knowledge base; "
        "documents whose PMID is in `held_out` are skipped.",
    )
    max_documents: int | None = Field(None, ge=10, description="Cut the training corpus.")
    top_k: int = Field(100, ge=10, description="Per-target depth checked by the filter.")
    pool_size: int = Field(
        40, ge=2, description="rank_pool's pool per target (agent: generation.max_candidates)."
    )
    llm_top: int = Field(
        10,
        ge=0,
        description="Per-target candidates the LLM scores (agent: plausibility_per_target); "
        "0 leaves out every +llm row.",
    )
    llm_max_targets: int | None = Field(
        60, ge=1, description="Evaluated targets the LLM sees (first by id); None: all."
    )
    rank_pool_llm: bool = Field(
        True,
        description="Also the rank_pool+llm+filter row: the LLM scores the top of each ABC "
        "pool too, which the logreg rows mostly do not reach (on BC5CDR, 120 of the 600 "
        "candidates overlap), so it nearly doubles the LLM's work.",
    )
    llm_weight: float = Field(0.5, ge=0.0, description="Weight of the LLM score.")
    evidence_k: int = Field(2, ge=0, description="Passages retrieved per re-ranked candidate.")


@dataclass
class MethodScores:
    """One method's score for every candidate (higher is better)."""

    name: str
    scores: np.ndarray


def run(params: dict, seed: int, run_dir: Path) -> TaskOutput:
    cfg = E1Params.model_validate(params)
    meter = ResourceMeter()
    train_path, held_path = resolve(cfg.train), resolve(cfg.held_out)
    extra_paths = [resolve(p) for p in cfg.extra_facts]
    train_docs = list(read_pubtator(train_path))[: cfg.max_documents]
    held_docs = list(read_pubtator(held_path))

    candidates = build_candidates(train_docs, held_docs)
    logger.info(
        "E1: %d candidates, %d true, %d targets",
        candidates.size,
        int(candidates.labels.sum()),
        len(candidates.evaluated_targets()),
    )
    vectors = embed_documents(train_docs)
    builder = FeatureBuilder(train_docs, vectors)
    features = builder.features(candidates)
    logreg = features.ranker_score(fit_ranker(train_docs, seed, vectors))
    mesh = builder.mesh
    methods = [MethodScores(name, features.column(name)) for name in CLASSICAL]

    llm_targets = candidates.evaluated_targets()[: cfg.llm_max_targets] if cfg.llm_top else []
    # One scorer for every +llm row: a candidate two rows re-rank is scored once.
    scorer = LLMScorer(candidates, train_docs, cfg.evidence_k) if llm_targets else None
    with SymbolicChecker(candidates, train_docs, extra_paths, held_docs, mesh) as checker:
        methods += _logreg_rows(cfg, candidates, logreg, checker, scorer, llm_targets)
        abc = features.column("adamic_adar")
        methods += _rank_pool_rows(cfg, candidates, abc, checker, scorer, llm_targets)

    keep = ~hypernym_relatives(candidates, train_docs, held_docs, mesh)
    metrics = _data_metrics(candidates, keep, len(llm_targets), scorer)
    for method in methods:
        metrics |= evaluate(candidates, method, prefix=f"{ALL}/{method.name}")
        metrics |= evaluate(
            candidates.subset(keep),
            MethodScores(method.name, method.scores[keep]),
            prefix=f"{FILTERED}/{method.name}",
        )
        if llm_targets:
            metrics |= evaluate(
                candidates, method, prefix=f"{LLM_SUBSET}/{method.name}", targets=llm_targets
            )
    table = render_table(metrics, [m.name for m in methods], cfg, meter.usage().note())
    (run_dir / "table.md").write_text(table)
    print(table)
    inputs = {"train": train_path, "held_out": held_path}
    inputs |= {f"extra_{i}": p for i, p in enumerate(extra_paths)} | mesh_inputs()
    return TaskOutput(metrics=metrics, inputs=inputs)


def _logreg_rows(
    cfg: E1Params,
    candidates: CandidateSet,
    logreg: np.ndarray,
    checker: SymbolicChecker,
    scorer: LLMScorer | None,
    llm_targets: Sequence[str],
) -> list[MethodScores]:
    rows = [
        MethodScores("logreg", logreg),
        MethodScores("logreg+filter", checker.filter_top(logreg, cfg.top_k)),
    ]
    if scorer is not None:
        reranked = llm_rerank(candidates, logreg, scorer, llm_targets, cfg.llm_top, cfg.llm_weight)
        rows.append(MethodScores("logreg+llm", reranked))
        rows.append(MethodScores("logreg+llm+filter", checker.filter_top(reranked, cfg.top_k)))
    return rows


def _rank_pool_rows(
    cfg: E1Params,
    candidates: CandidateSet,
    abc: np.ndarray,
    checker: SymbolicChecker,
    scorer: LLMScorer | None,
    llm_targets: Sequence[str],
) -> list[MethodScores]:
    """The agent's ``rank_pool`` without, then with, the filter, then with filter and LLM."""
    pools = abc_pools(candidates, abc, cfg.pool_size)
    verdicts = checker.verdicts(np.concatenate(list(pools.values())))
    graph, weight = checker.graph, cfg.llm_weight
    rows = [
        MethodScores("rank_pool", rank_pool_scores(candidates, abc, pools, graph, weight)),
        MethodScores(
            "rank_pool+filter",
            rank_pool_scores(candidates, abc, pools, graph, weight, verdicts),
        ),
    ]
    if scorer is not None and cfg.rank_pool_llm:
        # As the loop: the LLM scores the top of each pool after the symbolic filter.
        filtered = rank_pool_scores(candidates, abc, pools, graph, 0.0, verdicts)
        chosen = np.concatenate(
            list(llm_rows(candidates, filtered, pools, llm_targets, cfg.llm_top).values())
        )
        llm = dict(zip(chosen.tolist(), scorer.scores(chosen).tolist(), strict=True))
        rows.append(
            MethodScores(
                "rank_pool+llm+filter",
                rank_pool_scores(candidates, abc, pools, graph, weight, verdicts, llm),
            )
        )
    return rows


def hypernym_relatives(
    candidates: CandidateSet,
    train: Sequence[Document],
    held_out: Sequence[Document],
    mesh: MeshVocabulary,
) -> np.ndarray:
    """Mask of the false candidates whose disease is a MeSH ancestor or descendant of a
    disease their chemical is known to induce (a CID pair of either split)."""
    known = cid_pairs(train) | cid_pairs(held_out)
    related = HierarchyFilter(mesh, known, descendants=True)
    inducing = {i for i, c in enumerate(candidates.chemicals) if c in related.induced}
    mask = np.zeros(candidates.size, dtype=bool)
    for row in np.flatnonzero(candidates.labels == 0):
        if candidates.chem_index[row] in inducing:
            mask[row] = related.related(*candidates.pair(int(row)))
    return mask


def _data_metrics(
    candidates: CandidateSet, keep: np.ndarray, llm_targets: int, scorer: LLMScorer | None
) -> dict[str, float]:
    return {
        f"{ALL}/candidates": float(candidates.size),
        f"{ALL}/true_pairs": float(candidates.labels.sum()),
        f"{ALL}/targets": float(len(candidates.evaluated_targets())),
        f"{FILTERED}/candidates": float(keep.sum()),
        f"{FILTERED}/removed": float((~keep).sum()),
        f"{LLM_SUBSET}/targets": float(llm_targets),
        f"{LLM_SUBSET}/llm_scored": float(scorer.scored if scorer else 0),
    }


def evaluate(
    candidates: CandidateSet, method: MethodScores, prefix: str, targets: list[str] | None = None
) -> dict[str, float]:
    """Global AUROC/AP (all candidates) and per-target MRR and hits@k."""
    scores, labels = method.scores, candidates.labels
    out: dict[str, float] = {}
    if targets is None:
        out[f"{prefix}/auroc"] = float(roc_auc_score(labels, scores))
        out[f"{prefix}/ap"] = float(average_precision_score(labels, scores))
    ranks = first_true_ranks(candidates, scores, targets or candidates.evaluated_targets())
    out[f"{prefix}/mrr"] = float(np.mean(1.0 / ranks))
    for k in HITS_AT:
        out[f"{prefix}/hits@{k}"] = float(np.mean(ranks <= k))
    return out


def first_true_ranks(
    candidates: CandidateSet, scores: np.ndarray, targets: list[str]
) -> np.ndarray:
    """Rank (1-based) of each target's best-scored true chemical among its candidates.

    Ties are broken pessimistically (a true pair tied with false ones ranks below them), so
    a constant score cannot look good.
    """
    ranks = []
    for target in targets:
        rows = candidates.rows_of(target)
        s, y = scores[rows], candidates.labels[rows]
        best_true = s[y == 1].max()
        ranks.append(1 + int((s[y == 0] >= best_true).sum()))
    return np.asarray(ranks, dtype=float)
