"""E4 candidate pools: each target's top candidates under E1's ``logreg`` ranker, as hypotheses.

The ranker is E1's logistic regression (`e1_features.fit_ranker`), local to the benchmarks;
the hypotheses' ``ranker`` score is its decision value.

The setting is E1's (see `experiments.benchmarks.e1_ranking`): candidates and features come
from the BC5CDR training split, and a candidate is true when the development split states
it as a CID pair. A target is a chemical (or, with ``target="disease"``, a disease) with at
least one true candidate; its pool is the ranker's ``pool_size`` best candidates for it: the
diseases a lab would test the drug for first. Candidates are linked in the selection
environment's feedback features in two ways: each hypothesis carries, as intermediates, its
most specific linking terms (the entities co-mentioned with both the chemical and the
disease in the fewest abstracts), and `TargetPools.categories` gives every disease its
MeSH classes at ``category_depth`` (Liver Diseases for hepatitis), since a drug that harms
one organ tends to show several of its diseases.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from agent.types import Hypothesis, Provenance, Relation
from experiments.benchmarks.e1_features import (
    CandidateSet,
    FeatureBuilder,
    build_candidates,
    embed_documents,
    fit_ranker,
)
from experiments.benchmarks.e1_rerank import best_rows
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.pubtator import Document

logger = logging.getLogger(__name__)

# Scores every hypothesis carries (the environment min-max scales them within each pool):
# the learned ranker's and the E1 features it is built from that vary within a target.
SCORE_KEYS = (
    "ranker",
    "adamic_adar",
    "embedding_cosine",
    "chem_known_inductions",
    "hierarchy_support",
    "chem_docs",
)


_EMBEDDINGS: dict[tuple[str, ...], dict[str, np.ndarray]] = {}


@dataclass
class TargetPools:
    """One candidate pool per target, best ranker score first, and the true hypotheses.

    Attributes:
        targets: chemical or disease ids, sorted.
        pools: ``pools[i]`` holds ``targets[i]``'s candidates.
        truth: ids of the hypotheses the held-out split states.
        categories: entity id -> its MeSH classes, for `rl.env.HypothesisSelectionEnv`.
    """

    targets: list[str]
    pools: list[list[Hypothesis]]
    truth: frozenset[str]
    categories: dict[str, frozenset[str]] = field(default_factory=dict)

    def positives(self) -> np.ndarray:
        """True candidates per pool, shape (n_targets,)."""
        return np.array([sum(h.id in self.truth for h in pool) for pool in self.pools])

    def subset(self, indices: Sequence[int]) -> TargetPools:
        """The pools of the targets at ``indices``, in that order."""
        return TargetPools(
            targets=[self.targets[i] for i in indices],
            pools=[self.pools[i] for i in indices],
            truth=self.truth,
            categories=self.categories,
        )


def build_target_pools(
    train: Sequence[Document],
    held_out: Sequence[Document],
    seed: int,
    pool_size: int,
    intermediates: int,
    target: Literal["chemical", "disease"] = "chemical",
    category_depth: int = 2,
) -> TargetPools:
    """E1's candidates and learned-ranker scores, cut to each target's top ``pool_size``.

    Args:
        train: the corpus candidates, features and ranker weights come from.
        held_out: the corpus whose CID pairs are the truth.
        seed: the ranker's fitting split (as in E1).
        pool_size: candidates kept per target.
        intermediates: linking terms kept per hypothesis.
        target: what a pool is about: one chemical (its candidate diseases) or one disease.
        category_depth: MeSH tree level of the classes in `TargetPools.categories` (2: Liver
            Diseases, Heart Diseases, ...); 0 for none.
    """
    candidates = build_candidates(train, held_out)
    vectors = _embeddings(train)
    builder = FeatureBuilder(train, vectors)
    features = builder.features(candidates)
    ranker = features.ranker_score(fit_ranker(train, seed, vectors))
    columns = {key: features.column(key) for key in SCORE_KEYS if key != "ranker"}
    columns["ranker"] = ranker

    graph = builder.corpus.graph
    by_target = _target_rows(candidates, target)
    pools, truth = [], set()
    for rows in by_target.values():
        rows = best_rows(rows, ranker, pool_size)
        pool = [_hypothesis(candidates, int(r), graph, columns, intermediates) for r in rows]
        truth |= {h.id for h, r in zip(pool, rows, strict=True) if candidates.labels[r]}
        pools.append(pool)
    categories = {}
    if category_depth:
        entities = {e.id for pool in pools for h in pool for e in (h.subject, h.object)}
        categories = {e: frozenset(builder.mesh.classes(e, category_depth)) for e in entities}
    logger.info(
        "E4: %d %s targets, pools of %d, %d true candidates in them",
        len(by_target),
        target,
        pool_size,
        len(truth),
    )
    return TargetPools(list(by_target), pools, frozenset(truth), categories)


def _target_rows(candidates: CandidateSet, target: str) -> dict[str, np.ndarray]:
    """Candidate rows of every target with a true candidate, by target id in sorted order."""
    if target not in ("chemical", "disease"):
        raise ValueError(f"`target` must be 'chemical' or 'disease', got {target!r}")
    index = candidates.chem_index if target == "chemical" else candidates.disease_index
    names = candidates.chemicals if target == "chemical" else candidates.diseases
    hits = np.unique(index[candidates.labels == 1])
    return {names[i]: np.flatnonzero(index == i) for i in sorted(hits, key=lambda i: names[i])}


def _embeddings(docs: Sequence[Document]) -> dict[str, np.ndarray]:
    # The abstracts' MiniLM vectors do not depend on the seed; several seeds run in one
    # process (`scidisco experiment run --seeds ...`) embed the corpus once.
    key = tuple(d.pmid for d in docs)
    if key not in _EMBEDDINGS:
        _EMBEDDINGS.clear()
        _EMBEDDINGS[key] = embed_documents(docs)
    return _EMBEDDINGS[key]


def linking_terms(graph: CooccurrenceGraph, a: str, c: str, keep: int) -> list[str]:
    """The ``keep`` entities co-mentioned with both ``a`` and ``c`` in the fewest abstracts."""
    shared = (set(graph.neighbors(a)) & set(graph.neighbors(c))) - {a, c}
    return sorted(shared, key=lambda b: (graph.doc_count(b), b))[:keep]


def _hypothesis(
    candidates: CandidateSet,
    row: int,
    graph: CooccurrenceGraph,
    columns: dict[str, np.ndarray],
    keep: int,
) -> Hypothesis:
    chemical, disease = candidates.pair(row)
    links = linking_terms(graph, chemical, disease, keep)
    return Hypothesis(
        subject=graph.entity(chemical),
        relation=Relation.INDUCES,
        object=graph.entity(disease),
        scores={key: float(column[row]) for key, column in columns.items()},
        provenance=Provenance(
            generator="e1-ranker", intermediates=[graph.entity(b) for b in links]
        ),
    )
