"""E1: hypothesis ranking as held-out literature-based discovery.

Everything is built from the BC5CDR training split. The truth is the chemical-induced-disease
(CID) pairs of the development split whose two entities both occur in training and were
never mentioned together in a training abstract. BC5CDR's abstracts are not ordered in
time, so this is held-out literature, not a time slice.

Candidates are *all* never-co-mentioned chemical-disease pairs of the training entities
(about 420,000). Methods, side by side on the same candidates:

- ``common_neighbors``: how many entities co-occur with both (the co-occurrence baseline);
- ``jaccard``: common neighbours over the union of the two neighbourhoods;
- ``adamic_adar``: common neighbours weighted by 1 / log(1 + document frequency);
- ``embedding_cosine``: cosine of the two entities' MiniLM profiles (the mean embedding of
  the abstracts that mention each);
- ``ranker``: the project's ranker, a logistic regression over the features above plus
  priors from the training facts (how many diseases the chemical is known to induce, how
  many chemicals are known to induce the disease, and known inductions of the disease's
  MeSH parents, children and siblings). Its weights are fitted inside the training split
  only: features from one half of the training abstracts, labels from the CID pairs of the
  other half that the first half never co-mentions;
- ``ranker+filter``: the ranker with the Prolog filter: each target's top candidates that
  are ill-typed or contradict a known fact are moved below the rest;
- ``ranker+llm`` and ``ranker+llm+filter``: the LLM re-ranks each target's top candidates
  by adding its log-likelihood plausibility (see `agent.plausibility`) to the ranker's
  standardised score.

Metrics: global AUROC and average precision over all candidates, and per target (each
disease with at least one true pair) the MRR of the first true chemical and hits@10/50/100
(share of targets with a true pair in the top k). Global AUROC alone misleads: hub diseases
dominate the top of a global list, so methods are compared at the top of each target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import average_precision_score, roc_auc_score

from experiments.benchmarks.e1_features import (
    CandidateSet,
    FeatureBuilder,
    build_candidates,
    embed_documents,
    fit_ranker,
)
from experiments.benchmarks.e1_rerank import filter_top, llm_rerank
from experiments.tasks import TaskOutput
from retrieval.datadir import resolve
from retrieval.pubtator import read_pubtator

logger = logging.getLogger(__name__)

HITS_AT = (10, 50, 100)


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
    llm_top: int = Field(10, ge=0, description="Per-target candidates the LLM re-ranks.")
    llm_max_targets: int | None = Field(
        60, ge=1, description="Evaluated targets the LLM sees (first by id); None: all."
    )
    llm_weight: float = Field(0.5, ge=0.0, description="Weight of the standardised LLM score.")
    evidence_k: int = Field(2, ge=0, description="Passages retrieved per re-ranked candidate.")


@dataclass
class MethodScores:
    """One method's score for every candidate (higher is better)."""

    name: str
    scores: np.ndarray


def run(params: dict, seed: int, run_dir: Path) -> TaskOutput:
    cfg = E1Params.model_validate(params)
    train_path, held_path = resolve(cfg.train), resolve(cfg.held_out)
    train_docs = list(read_pubtator(train_path))[: cfg.max_documents]
    held_docs = list(read_pubtator(held_path))
    extra_paths = [resolve(p) for p in cfg.extra_facts]

    candidates = build_candidates(train_docs, held_docs)
    logger.info(
        "E1: %d candidates, %d true, %d targets",
        candidates.size,
        int(candidates.labels.sum()),
        len(candidates.evaluated_targets()),
    )
    vectors = embed_documents(train_docs)
    features = FeatureBuilder(train_docs, vectors).features(candidates)
    weights = fit_ranker(train_docs, seed, vectors)
    ranker = features.ranker_score(weights)

    methods = [
        MethodScores(name, features.column(name))
        for name in ("common_neighbors", "jaccard", "adamic_adar", "embedding_cosine")
    ]
    methods.append(MethodScores("ranker", ranker))
    methods.append(
        MethodScores(
            "ranker+filter",
            filter_top(candidates, ranker, train_docs, extra_paths, held_docs, cfg.top_k),
        )
    )
    if cfg.llm_top:
        llm_targets = candidates.evaluated_targets()[: cfg.llm_max_targets]
        reranked, _llm_scores = llm_rerank(
            candidates,
            ranker,
            train_docs,
            llm_targets,
            cfg.llm_top,
            cfg.llm_weight,
            cfg.evidence_k,
        )
        methods.append(MethodScores("ranker+llm", reranked))
        filtered = filter_top(candidates, reranked, train_docs, extra_paths, held_docs, cfg.top_k)
        methods.append(MethodScores("ranker+llm+filter", filtered))
        subset = llm_targets
    else:
        subset = []

    metrics = {
        "e1/candidates": float(candidates.size),
        "e1/true_pairs": float(candidates.labels.sum()),
        "e1/targets": float(len(candidates.evaluated_targets())),
    }
    for method in methods:
        metrics |= evaluate(candidates, method, prefix=f"e1/{method.name}")
        if subset:
            metrics |= evaluate(
                candidates, method, prefix=f"e1_llm_subset/{method.name}", targets=subset
            )
    table = render_table(metrics, [m.name for m in methods])
    (run_dir / "table.md").write_text(table)
    print(table)
    inputs = {"train": train_path, "held_out": held_path}
    inputs |= {f"extra_{i}": p for i, p in enumerate(extra_paths)}
    return TaskOutput(metrics=metrics, inputs=inputs)


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


def render_table(metrics: dict[str, float], names: list[str]) -> str:
    cols = ["auroc", "ap", "mrr", *(f"hits@{k}" for k in HITS_AT)]
    lines = [
        f"E1 hypothesis ranking: {int(metrics['e1/candidates'])} candidates, "
        f"{int(metrics['e1/true_pairs'])} true pairs, {int(metrics['e1/targets'])} targets",
        "",
        "| method | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name in names:
        cells = [f"{metrics.get(f'e1/{name}/{c}', float('nan')):.4f}" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    subset = [n for n in names if f"e1_llm_subset/{n}/mrr" in metrics]
    if subset:
        lines += [
            "",
            "On the targets the LLM re-ranked (per-target metrics only):",
            "",
            "| method | mrr | hits@10 | hits@50 | hits@100 |",
            "|---|---|---|---|---|",
        ]
        for name in subset:
            cells = [
                f"{metrics[f'e1_llm_subset/{name}/{c}']:.4f}"
                for c in ("mrr", "hits@10", "hits@50", "hits@100")
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
