"""E2's held-out pairs: CID positives from the development split and two negative sets.

- positives: the development split's CID pairs (chemical, disease) that are not CID pairs of
  the training split, so the adapter never saw the statement;
- ``random``: type-matched random pairs, a chemical and a disease drawn uniformly from the
  entities the development split mentions, never a CID pair of either split and never
  mentioned together in a development abstract; as many as there are positives;
- ``comentioned``: the harder negatives, a chemical and a disease mentioned in the same
  development abstract, never a CID pair of either split. BC5CDR annotates the most
  specific disease only, so a pair whose disease is a MeSH ancestor of a disease the
  chemical is known to induce is dropped ("hypernym filtering", see the data README's
  pitfalls): it may well be true.

Entity ids are MeSH ids as in the corpus (``MESH:D008094``); names and types come from a
`CooccurrenceGraph` over the development abstracts (the most frequent surface and type).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from agent.types import EntityType
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document

PairKind = Literal["positive", "random", "comentioned"]

# Draws per wanted random negative before giving up (a tiny corpus can run out of pairs).
_MAX_DRAWS_PER_PAIR = 200


@dataclass(frozen=True)
class Pair:
    """A chemical-disease pair to score; ``pmid`` is the abstract it comes from, if any."""

    chemical: str
    disease: str
    kind: PairKind
    pmid: str | None = None


@dataclass
class HeldOutPairs:
    """The three sampled sets and the sizes of the pools they were drawn from."""

    positives: list[Pair]
    random: list[Pair]
    comentioned: list[Pair]
    counts: dict[str, int] = field(default_factory=dict)


def cid_pairs(docs: Iterable[Document]) -> dict[tuple[str, str], str]:
    """Every CID pair (chemical id, disease id) with the first PMID that annotates it."""
    found: dict[tuple[str, str], str] = {}
    for doc in docs:
        for rel in doc.relations:
            if rel.type == "CID":
                found.setdefault((rel.id1, rel.id2), doc.pmid)
    return found


def doc_entities(doc: Document, graph: CooccurrenceGraph) -> tuple[set[str], set[str]]:
    """The chemicals and diseases (graph ids, typed as in the graph) one abstract mentions."""
    ids = {i for m in doc.mentions for i in m.ids if i in graph}
    chems = {i for i in ids if graph.entity(i).type == EntityType.CHEMICAL}
    diseases = {i for i in ids if graph.entity(i).type == EntityType.DISEASE}
    return chems, diseases


def comentioned_negatives(
    docs: Sequence[Document],
    graph: CooccurrenceGraph,
    known: set[tuple[str, str]],
    mesh: MeshVocabulary | None,
) -> tuple[dict[tuple[str, str], str], int]:
    """Co-mentioned pairs that no split relates, each with the first PMID mentioning both.

    With ``mesh``, a pair whose disease is a MeSH ancestor of a disease the chemical is
    known to induce (in any split) is dropped. Returns the pool and how many were dropped.
    """
    hypernym = HierarchyFilter(mesh, known) if mesh is not None else None
    found: dict[tuple[str, str], str] = {}
    dropped: set[tuple[str, str]] = set()
    for doc in docs:
        chems, diseases = doc_entities(doc, graph)
        for chem, disease in ((c, d) for c in sorted(chems) for d in sorted(diseases)):
            if (chem, disease) in known or (chem, disease) in found:
                continue
            if hypernym is not None and hypernym.related(chem, disease):
                dropped.add((chem, disease))
                continue
            found[(chem, disease)] = doc.pmid
    return found, len(dropped)


class HierarchyFilter:
    """Is a chemical-disease pair a MeSH relative of a pair the chemical is known to induce?

    BC5CDR annotates the most specific disease only, so such a pair may well be true
    (hypernym filtering, see the data README's CID pitfall). By default only ancestors
    count (``epilepsy`` when ``seizures, focal`` is known); with ``descendants`` a more
    specific disease counts too.
    """

    def __init__(
        self, mesh: MeshVocabulary, known: Iterable[tuple[str, str]], descendants: bool = False
    ) -> None:
        self.induced: dict[str, set[str]] = {}
        for chem, disease in known:
            self.induced.setdefault(chem, set()).add(disease)
        self.ancestors = cache(mesh.ancestors)
        self.descendants = descendants

    def related(self, chem: str, disease: str) -> bool:
        for specific in sorted(self.induced.get(chem, ())):
            if disease in self.ancestors(specific):
                return True
            if self.descendants and specific in self.ancestors(disease):
                return True
        return False


def random_negatives(
    graph: CooccurrenceGraph, known: set[tuple[str, str]], n: int, rng: random.Random
) -> list[Pair]:
    """``n`` distinct uniform chemical-disease pairs, never related and never co-mentioned.

    Raises:
        ValueError: the graph has too few such pairs to draw ``n`` of them.
    """
    chems = graph.entities(EntityType.CHEMICAL)
    diseases = graph.entities(EntityType.DISEASE)
    chosen: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(_MAX_DRAWS_PER_PAIR * max(n, 1)):
        if len(chosen) == n:
            return chosen
        pair = (rng.choice(chems), rng.choice(diseases))
        if pair in known or pair in seen or graph.count(*pair) > 0:
            continue
        seen.add(pair)
        chosen.append(Pair(pair[0], pair[1], "random"))
    if len(chosen) == n:
        return chosen
    raise ValueError(
        f"found only {len(chosen)} of {n} random never-co-mentioned pairs among "
        f"{len(chems)} chemicals x {len(diseases)} diseases; use more held-out documents"
    )


def sample_pairs(
    train: Sequence[Document],
    held_out: Sequence[Document],
    n_positives: int,
    seed: int,
    mesh: MeshVocabulary | None,
) -> HeldOutPairs:
    """Sample up to ``n_positives`` positives, as many random and co-mentioned negatives.

    Each set has its own seeded generator (sorted pools), so the sets do not depend on each
    other's sizes or on dict order.
    """
    graph = CooccurrenceGraph.from_documents(held_out)
    train_cid, held_cid = cid_pairs(train), cid_pairs(held_out)
    known = set(train_cid) | set(held_cid)
    unseen = sorted(
        (c, d)
        for c, d in held_cid
        if (c, d) not in train_cid
        and c in graph
        and d in graph
        and graph.entity(c).type == EntityType.CHEMICAL
        and graph.entity(d).type == EntityType.DISEASE
    )
    picked = random.Random(f"{seed}-positives").sample(unseen, min(n_positives, len(unseen)))
    positives = [Pair(c, d, "positive", held_cid[(c, d)]) for c, d in sorted(picked)]

    pool, hypernyms = comentioned_negatives(held_out, graph, known, mesh)
    drawn = random.Random(f"{seed}-comentioned").sample(
        sorted(pool), min(len(positives), len(pool))
    )
    comentioned = [Pair(c, d, "comentioned", pool[(c, d)]) for c, d in sorted(drawn)]
    rand = random_negatives(graph, known, len(positives), random.Random(f"{seed}-random"))
    counts = {
        "held_out_cid_pairs": len(held_cid),
        "held_out_cid_seen_in_train": sum(p in train_cid for p in held_cid),
        "positive_pool": len(unseen),
        "comentioned_pool": len(pool),
        "comentioned_hypernyms_dropped": hypernyms,
    }
    return HeldOutPairs(positives, sorted(rand, key=_key), comentioned, counts)


def _key(pair: Pair) -> tuple[str, str]:
    return pair.chemical, pair.disease
