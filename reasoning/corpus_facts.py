"""Entities and known facts for :meth:`reasoning.kb.KnowledgeBase.build` from PubTator documents.

Relations are mapped with :func:`agent.relations.map_relation` using the types of the
documents' own mentions: BC5CDR ``CID`` becomes ``induces``, BioRED ``Bind`` becomes
``interacts_with``, and so on. Curated negatives (label False) are not facts and are skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from pydantic import ValidationError

from agent.relations import map_relation
from agent.types import Entity, EntityType, Relation
from retrieval.pubtator import Document

logger = logging.getLogger(__name__)

Fact = tuple[str, Relation, str]


def corpus_facts(documents: Iterable[Document]) -> tuple[list[Entity], list[Fact]]:
    """One entity per linked id (its most frequent surface form) and every positive fact.

    Ids that ``agent.types.Entity`` rejects (an unknown namespace such as ``OMIM:``) are
    skipped with one warning that counts them.
    """
    surfaces: dict[str, Counter[str]] = {}
    types: dict[str, EntityType] = {}
    facts: list[Fact] = []
    for doc in documents:
        doc_types = {i: m.entity_type for m in doc.mentions for i in m.ids}
        for mention in doc.mentions:
            for entity_id in mention.ids:
                surfaces.setdefault(entity_id, Counter())[mention.text] += 1
                types.setdefault(entity_id, mention.entity_type)
        for rel in doc.relations:
            relation, positive = map_relation(
                rel.type, doc_types.get(rel.id1), doc_types.get(rel.id2)
            )
            if positive:
                facts.append((rel.id1, relation, rel.id2))

    entities, rejected = [], []
    for entity_id, counts in surfaces.items():
        try:
            name = counts.most_common(1)[0][0]
            entities.append(Entity(id=entity_id, name=name, type=types[entity_id]))
        except ValidationError:
            rejected.append(entity_id)
    if rejected:
        logger.warning(
            "skipped %d ids outside agent.types.KNOWN_PREFIXES, e.g. %s", len(rejected), rejected[0]
        )
    return entities, facts
