"""Document-level entity co-occurrence: which entities are mentioned in the same abstracts.

Counts are numbers of documents, not of mention pairs: an abstract that names lithium five
times and tremor twice adds one to ``count(lithium, tremor)``. This feeds Swanson-style ABC
candidate generation (A and C never together, both often with some B), which enumerates the
neighbours of every entity, so neighbour maps are precomputed plain dicts.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations

from agent.types import Entity, EntityType
from retrieval.ids import has_known_prefix
from retrieval.pubtator import Document
from retrieval.surfaces import most_common, named_ids

logger = logging.getLogger(__name__)


class CooccurrenceGraph:
    """Entities as nodes, documents mentioning both as edge weights.

    Build with :meth:`from_documents`. A PMID that appears in several corpora (BioRED reuses
    BC5CDR abstracts) counts once, with the union of its entities.
    """

    def __init__(
        self,
        doc_entities: dict[str, frozenset[str]],
        entities: dict[str, Entity],
    ) -> None:
        self._doc_entities = doc_entities
        self._entities = entities
        self._pmids: dict[str, set[str]] = defaultdict(set)
        self._neighbors: dict[str, dict[str, int]] = {e: {} for e in entities}
        for pmid, ids in doc_entities.items():
            for entity_id in ids:
                self._pmids[entity_id].add(pmid)
            for a, b in combinations(sorted(ids), 2):
                self._neighbors[a][b] = self._neighbors[a].get(b, 0) + 1
                self._neighbors[b][a] = self._neighbors[b].get(a, 0) + 1

    @classmethod
    def from_documents(
        cls, documents: Iterable[Document], namespaces: Iterable[str] | None = ("MESH",)
    ) -> CooccurrenceGraph:
        """Count co-occurrences of linked entities.

        Args:
            documents: annotated documents (unlinked mentions are ignored).
            namespaces: id prefixes to keep; the default keeps MeSH chemicals and diseases,
                None keeps every namespace `agent.types.Entity` accepts (genes, species, ...).
        """
        keep = None if namespaces is None else set(namespaces)
        per_doc: dict[str, set[str]] = defaultdict(set)
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        types: dict[str, Counter[EntityType]] = defaultdict(Counter)
        for doc in documents:
            per_doc.setdefault(doc.pmid, set())  # a document without entities still counts
            for mention in doc.mentions:
                for entity_id, surface in named_ids(mention):
                    if not has_known_prefix(entity_id):
                        continue
                    if keep is not None and entity_id.partition(":")[0] not in keep:
                        continue
                    per_doc[doc.pmid].add(entity_id)
                    surfaces[entity_id][surface] += 1
                    types[entity_id][mention.entity_type] += 1
        entities = {
            e: Entity(id=e, name=most_common(surfaces[e]), type=most_common(types[e]))
            for e in sorted(types)
        }
        graph = cls({p: frozenset(ids) for p, ids in per_doc.items()}, entities)
        logger.info("co-occurrence graph: %d documents, %d entities", graph.n_docs, len(entities))
        return graph

    @property
    def n_docs(self) -> int:
        """Number of distinct documents (PMIDs), with or without entities."""
        return len(self._doc_entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._entities

    def doc_count(self, entity_id: str) -> int:
        """Documents mentioning the entity (0 if unknown)."""
        return len(self._pmids.get(entity_id, ()))

    def count(self, a: str, b: str) -> int:
        """Documents mentioning both ``a`` and ``b`` (``doc_count(a)`` when they are equal)."""
        if a == b:
            return self.doc_count(a)
        return self._neighbors.get(a, {}).get(b, 0)

    def neighbors(self, entity_id: str) -> dict[str, int]:
        """Every entity sharing a document with ``entity_id``, with the shared-document count.

        The returned dict is the graph's own: read it, do not change it.
        """
        return self._neighbors.get(entity_id, {})

    def entities(self, entity_type: EntityType | None = None) -> list[str]:
        """Entity ids, sorted, optionally of one type only."""
        return [e for e, ent in self._entities.items() if entity_type in (None, ent.type)]

    def entity(self, entity_id: str) -> Entity:
        """Most frequent surface name and mention type of an entity.

        Raises:
            KeyError: the id is not in the graph.
        """
        try:
            return self._entities[entity_id]
        except KeyError:
            raise KeyError(f"{entity_id!r} is not mentioned in the graph's documents") from None

    def pmids(self, a: str, b: str) -> list[str]:
        """PMIDs of the documents mentioning both entities, sorted."""
        return sorted(self._pmids.get(a, set()) & self._pmids.get(b, set()))
