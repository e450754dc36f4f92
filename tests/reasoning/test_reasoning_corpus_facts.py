"""KB inputs from PubTator documents, against the counts in the data READMEs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent.types import EntityType, Relation
from reasoning.corpus_facts import corpus_facts
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


def test_bc5cdr_train_gives_every_cid_relation_as_induces(bc5cdr_train: Path) -> None:
    entities, facts = corpus_facts(read_pubtator(bc5cdr_train))
    assert len(facts) == 1_022  # bc5cdr/README.md
    assert {relation for _, relation, _ in facts} == {Relation.INDUCES}
    assert ("MESH:D008750", Relation.INDUCES, "MESH:D007022") in facts  # PMID 227508
    by_id = {e.id: e for e in entities}
    assert by_id["MESH:D008750"].type == EntityType.CHEMICAL
    assert by_id["MESH:D007022"].type == EntityType.DISEASE


def test_biored_relations_map_by_mention_types(
    biored_train: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = first_documents(biored_train, 20, tmp_path / "biored.txt")
    with caplog.at_level(logging.WARNING, logger="reasoning.corpus_facts"):
        entities, facts = corpus_facts(read_pubtator(path))
    # PMID 10661407 "Bind NCBIGene:50489 MESH:D008358"; PMID 11009181 "Negative_Correlation
    # MESH:D001058 MESH:D004409" (chemical, disease).
    assert ("NCBIGene:50489", Relation.INTERACTS_WITH, "MESH:D008358") in facts
    assert ("MESH:D001058", Relation.TREATS, "MESH:D004409") in facts
    # PMID 10788334 links a disease to OMIM, a namespace agent.types accepts since 7f04de5.
    assert "OMIM:604370" in {e.id for e in entities}
    assert "outside agent.types.KNOWN_PREFIXES" not in caplog.text
