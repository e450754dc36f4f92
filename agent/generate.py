"""Candidate generation by literature-based discovery (Swanson's ABC model).

Closed-world "open discovery" from a target ``C``: every entity ``B`` co-mentioned with ``C``
is a linking term, and every entity ``A`` of the wanted type co-mentioned with some ``B`` but
never with ``C`` is a candidate ``A -relation-> C``.

Score (documented, used for the first ranking): the Adamic-Adar index over linking terms,

    abc_score(A, C) = sum over B in N(A) ∩ N(C) of 1 / log(1 + df(B)),

where ``df(B)`` is the number of documents mentioning ``B``. A linking term that appears in
few documents is specific evidence; a hub such as "pain" or "rats" links everything and
counts for little. The number of linking terms and the Jaccard index of the two
neighbourhoods are kept as further features.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agent.types import Entity, EntityType, Hypothesis, Provenance, Relation
from retrieval.cooccurrence import CooccurrenceGraph

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AbcSettings:
    """How candidates are drawn for one target."""

    subject_type: EntityType = EntityType.CHEMICAL
    relation: Relation = Relation.INDUCES
    max_candidates: int = 50
    max_intermediates_kept: int = 5
    min_linking_terms: int = 1


def abc_features(graph: CooccurrenceGraph, a: str, c: str) -> dict[str, float]:
    """The ABC features of one pair; zero linking terms gives zeros."""
    na, nc = graph.neighbors(a), graph.neighbors(c)
    shared = (set(na) & set(nc)) - {a, c}
    union = (set(na) | set(nc)) - {a, c}
    return {
        # fsum: exactly rounded whatever the order, and a set's order changes with the hash
        # seed of the process; a plain sum would differ in the last bit between runs.
        "abc_score": math.fsum(1.0 / math.log1p(graph.doc_count(b)) for b in shared),
        "linking_terms": float(len(shared)),
        "jaccard": len(shared) / len(union) if union else 0.0,
    }


def generate_for_target(
    graph: CooccurrenceGraph, target: str, settings: AbcSettings = AbcSettings()
) -> list[Hypothesis]:
    """Candidates ``A -relation-> target`` for entities never co-mentioned with the target.

    Returns at most ``settings.max_candidates`` hypotheses, best ``abc_score`` first; ties
    are broken by entity id so the order never depends on hashing.
    """
    target_neighbors = graph.neighbors(target)
    weights: dict[str, float] = {}
    linking: dict[str, list[str]] = {}
    for b in sorted(target_neighbors):
        weight = 1.0 / math.log1p(graph.doc_count(b))
        for a in graph.neighbors(b):
            if a in (target, b) or a in target_neighbors:
                continue
            if graph.entity(a).type != settings.subject_type:
                continue
            weights[a] = weights.get(a, 0.0) + weight
            linking.setdefault(a, []).append(b)

    eligible = [a for a, bs in linking.items() if len(bs) >= settings.min_linking_terms]
    ranked = sorted(eligible, key=lambda a: (-weights[a], a))[: settings.max_candidates]
    return [_hypothesis(graph, a, target, linking[a], settings) for a in ranked]


def generate(
    graph: CooccurrenceGraph, targets: Iterable[str], settings: AbcSettings = AbcSettings()
) -> dict[str, list[Hypothesis]]:
    """Candidates for every target, keyed by target id."""
    return {target: generate_for_target(graph, target, settings) for target in targets}


def _hypothesis(
    graph: CooccurrenceGraph, a: str, c: str, linking: Sequence[str], settings: AbcSettings
) -> Hypothesis:
    # Keep the most specific linking terms (fewest documents) as the stated intermediates.
    kept = sorted(linking, key=lambda b: (graph.doc_count(b), b))[: settings.max_intermediates_kept]
    return Hypothesis(
        subject=graph.entity(a),
        relation=settings.relation,
        object=graph.entity(c),
        scores=abc_features(graph, a, c),
        provenance=Provenance(generator="abc", intermediates=[graph.entity(b) for b in kept]),
    )


def pick_targets(
    graph: CooccurrenceGraph,
    held_out: Iterable[tuple[str, str]],
    n_targets: int,
    subject_type: EntityType = EntityType.CHEMICAL,
    object_type: EntityType = EntityType.DISEASE,
) -> list[str]:
    """Targets that have at least one discoverable held-out fact, most facts first.

    A held-out fact ``(a, c)`` is discoverable when both entities occur in the corpus, with
    the right types, and were never co-mentioned in it. This mirrors how literature-based
    discovery is evaluated (targets with a known later discovery); the facts themselves
    never reach the generator, only the choice of targets does, and the config can name
    targets explicitly instead.
    """
    counts: dict[str, int] = {}
    for a, c in held_out:
        if not (graph.doc_count(a) and graph.doc_count(c)) or graph.count(a, c):
            continue
        if graph.entity(a).type != subject_type or graph.entity(c).type != object_type:
            continue
        counts[c] = counts.get(c, 0) + 1
    ordered = sorted(counts, key=lambda c: (-counts[c], c))
    logger.info("%d targets have discoverable held-out facts; taking %d", len(ordered), n_targets)
    return ordered[:n_targets]


def entity_or_none(graph: CooccurrenceGraph, entity_id: str) -> Entity | None:
    return graph.entity(entity_id) if graph.doc_count(entity_id) else None
