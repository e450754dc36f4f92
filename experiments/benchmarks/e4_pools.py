"""E4 candidate pools: each target's top candidates under E1's ``logreg`` ranker, as hypotheses.

The ranker is E1's logistic regression (`e1_features.fit_ranker`), local to the benchmarks;
the hypotheses' ``ranker`` score is its decision value.

The setting is E1's (see `experiments.benchmarks.e1_ranking`): candidates and features come
from the BC5CDR training split, and a candidate is true when the development split states
it as a CID pair. A target is a disease with at least one true candidate; its pool is the
ranker's ``pool_size`` best chemicals for it. Each hypothesis carries, as intermediates, its
most specific linking terms (the entities co-mentioned with both the chemical and the
disease in the fewest abstracts), so candidates that share a linking term are linked in the
selection environment's feedback features.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.types import Hypothesis, Provenance, Relation
from experiments.benchmarks.e1_features import (
    CandidateSet,
    FeatureBuilder,
    build_candidates,
    embed_documents,
    fit_ranker,
)
from experiments.benchmarks.e1_rerank import top_rows
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
        targets: disease ids, sorted.
        pools: ``pools[i]`` holds ``targets[i]``'s candidates.
        truth: ids of the hypotheses the held-out split states.
    """

    targets: list[str]
    pools: list[list[Hypothesis]]
    truth: frozenset[str]

    def positives(self) -> np.ndarray:
        """True candidates per pool, shape (n_targets,)."""
        return np.array([sum(h.id in self.truth for h in pool) for pool in self.pools])

    def subset(self, indices: Sequence[int]) -> TargetPools:
        """The pools of the targets at ``indices``, in that order."""
        return TargetPools(
            targets=[self.targets[i] for i in indices],
            pools=[self.pools[i] for i in indices],
            truth=self.truth,
        )


def build_target_pools(
    train: Sequence[Document],
    held_out: Sequence[Document],
    seed: int,
    pool_size: int,
    intermediates: int,
) -> TargetPools:
    """E1's candidates and learned-ranker scores, cut to each target's top ``pool_size``.

    Args:
        train: the corpus candidates, features and ranker weights come from.
        held_out: the corpus whose CID pairs are the truth.
        seed: the ranker's fitting split (as in E1).
        pool_size: candidates kept per target.
        intermediates: linking terms kept per hypothesis.
    """
    candidates = build_candidates(train, held_out)
    vectors = _embeddings(train)
    builder = FeatureBuilder(train, vectors)
    features = builder.features(candidates)
    ranker = features.ranker_score(fit_ranker(train, seed, vectors))
    columns = {key: features.column(key) for key in SCORE_KEYS if key != "ranker"}
    columns["ranker"] = ranker

    graph = builder.corpus.graph
    targets = candidates.evaluated_targets()
    pools, truth = [], set()
    for target in targets:
        rows = top_rows(candidates, ranker, target, pool_size)
        pool = [_hypothesis(candidates, int(r), graph, columns, intermediates) for r in rows]
        truth |= {h.id for h, r in zip(pool, rows, strict=True) if candidates.labels[r]}
        pools.append(pool)
    logger.info(
        "E4: %d targets, pools of %d, %d true candidates in them",
        len(targets),
        pool_size,
        len(truth),
    )
    return TargetPools(targets=targets, pools=pools, truth=frozenset(truth))


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
