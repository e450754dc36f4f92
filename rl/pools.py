"""Candidate pools built from real BC5CDR annotations, for benchmarking and tests.

The selection environment never needs this module: in a run, pools come from the generator.
Here a pool is what a lab scientist might face after reading a few abstracts: every
chemical x disease pair among the chemicals and diseases that take part in those abstracts'
CID relations. Pairs the curators marked CID are the true ``induces`` claims; the rest of the
cross product are pairs no abstract connects. Scores come from a *different* split (the
"prior" corpus, e.g. BC5CDR training), so they are knowledge a generator could have had:

* ``chemical_prior``: log(1 + number of diseases the chemical induces in the prior corpus);
* ``disease_prior``: log(1 + number of chemicals that induce the disease in the prior corpus);
* ``known_pair``: 1 if the prior corpus already states this exact pair, else 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.types import Entity, EntityType, Hypothesis, Provenance, Relation
from rl.facts import DocumentFacts, pubtator_documents

SCORE_KEYS = ("chemical_prior", "disease_prior", "known_pair")


def cid_pools(
    corpus: str | Path,
    prior: str | Path,
    *,
    docs_per_pool: int = 2,
    max_candidates: int = 12,
    min_candidates: int = 4,
    seed: int = 0,
) -> list[list[Hypothesis]]:
    """Pools of ``induces`` hypotheses from groups of ``docs_per_pool`` abstracts of ``corpus``.

    Args:
        corpus: PubTator file whose CID relations are the truth (e.g. BC5CDR development).
        prior: PubTator file the scores are counted from (e.g. BC5CDR training).
        docs_per_pool: abstracts grouped into one pool.
        max_candidates: pools larger than this are subsampled, keeping the positives first
            up to half the pool.
        min_candidates: smaller pools are dropped.
        seed: document grouping and subsampling.
    """
    rng = np.random.default_rng(seed)
    docs = [d for d in pubtator_documents(Path(corpus)) if d.relations]
    truth = {(a, b) for d in docs for t, a, b in d.relations if t == "CID"}
    chem_prior, dis_prior, known = _prior_counts(Path(prior))
    order = rng.permutation(len(docs))
    pools = []
    for start in range(0, len(order) - docs_per_pool + 1, docs_per_pool):
        group = [docs[i] for i in order[start : start + docs_per_pool]]
        pairs = _cross_pairs(group)
        pairs = _subsample(pairs, truth, max_candidates, rng)
        if len(pairs) < min_candidates:
            continue
        entities = _entities(group, pairs)
        pools.append(
            [
                Hypothesis(
                    subject=entities[c],
                    relation=Relation.INDUCES,
                    object=entities[d],
                    scores={
                        "chemical_prior": math.log1p(chem_prior[c]),
                        "disease_prior": math.log1p(dis_prior[d]),
                        "known_pair": float((c, d) in known),
                    },
                    provenance=Provenance(generator="bc5cdr-cross-product"),
                )
                for c, d in pairs
            ]
        )
    return pools


def _prior_counts(path: Path) -> tuple[Counter[str], Counter[str], set[tuple[str, str]]]:
    known = {(a, b) for d in pubtator_documents(path) for t, a, b in d.relations if t == "CID"}
    return Counter(a for a, _ in known), Counter(b for _, b in known), known


def _cross_pairs(group: Sequence[DocumentFacts]) -> list[tuple[str, str]]:
    chemicals = sorted({a for d in group for t, a, _ in d.relations if t == "CID"})
    diseases = sorted({b for d in group for t, _, b in d.relations if t == "CID"})
    return [(c, d) for c in chemicals for d in diseases]


def _subsample(
    pairs: list[tuple[str, str]], truth: set[tuple[str, str]], size: int, rng: np.random.Generator
) -> list[tuple[str, str]]:
    if len(pairs) <= size:
        return pairs
    positives = [p for p in pairs if p in truth]
    negatives = [p for p in pairs if p not in truth]
    n_pos = min(len(positives), size // 2)
    keep_pos = [positives[i] for i in sorted(rng.choice(len(positives), n_pos, replace=False))]
    n_neg = min(len(negatives), size - n_pos)
    keep_neg = [negatives[i] for i in sorted(rng.choice(len(negatives), n_neg, replace=False))]
    return keep_pos + keep_neg


def _entities(group: Sequence[DocumentFacts], pairs: list[tuple[str, str]]) -> dict[str, Entity]:
    names = {i: n for doc in reversed(group) for i, n in doc.names.items()}
    entities = {c: Entity(id=c, name=names.get(c, c), type=EntityType.CHEMICAL) for c, _ in pairs}
    entities |= {d: Entity(id=d, name=names.get(d, d), type=EntityType.DISEASE) for _, d in pairs}
    return entities
