"""Real-data fixtures for the reasoning tests: MeSH and BC5CDR training CID facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.relations import map_relation
from agent.types import Entity, EntityType, Relation
from reasoning.kb import KnowledgeBase
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import read_pubtator


@pytest.fixture(scope="session")
def mesh(data_dir: Path) -> MeshVocabulary:
    return MeshVocabulary.load(data_dir)


@pytest.fixture(scope="session")
def cid_facts(bc5cdr_train: Path) -> list[tuple[str, Relation, str]]:
    """Every CID relation of the BC5CDR training split as (chemical, induces, disease)."""
    facts = []
    for doc in read_pubtator(bc5cdr_train):
        for rel in doc.relations:
            relation, _ = map_relation(rel.type, EntityType.CHEMICAL, EntityType.DISEASE)
            facts.append((rel.id1, relation, rel.id2))
    return facts


@pytest.fixture(scope="session")
def corpus_entities(bc5cdr_train: Path) -> list[Entity]:
    """One entity per linked id of the training split (first surface form wins)."""
    seen: dict[str, Entity] = {}
    for doc in read_pubtator(bc5cdr_train):
        for mention in doc.mentions:
            if len(mention.ids) == 1 and mention.ids[0] not in seen:
                seen[mention.ids[0]] = Entity(
                    id=mention.ids[0], name=mention.text, type=mention.entity_type
                )
    return list(seen.values())


@pytest.fixture(scope="session")
def kb(
    mesh: MeshVocabulary, corpus_entities: list[Entity], cid_facts: list[tuple[str, Relation, str]]
) -> Iterator[KnowledgeBase]:
    """The knowledge base over all of MeSH and the full BC5CDR training split."""
    with KnowledgeBase.build(mesh, corpus_entities, cid_facts) as built:
        yield built
