"""The loop's inputs: checked before any work, evidence mentions, curated labs as gold."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import validate_config
from agent.loop import _load_lab, evidence_from, input_files
from agent.types import Relation
from retrieval.chunking import chunk_documents
from retrieval.datadir import DataDirError
from retrieval.index import RetrievedChunk
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


def test_every_input_file_is_listed_and_checked(data_dir: Path) -> None:
    files = input_files(validate_config({}))
    assert files["corpus"] == data_dir / "bio/bc5cdr/CDR_TrainingSet.PubTator.txt"
    assert files["gold"] == data_dir / "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt"
    assert {"mesh_terms", "mesh_trees"} <= set(files)
    assert all(p.is_file() for p in files.values())


def test_missing_inputs_are_named_together(tmp_path: Path) -> None:
    config = validate_config(
        {"data_dir": str(tmp_path), "corpus": {"path": "mine.txt"}, "gold": {"path": "g.tsv"}}
    )
    with pytest.raises(DataDirError) as err:
        input_files(config)
    message = str(err.value)
    for name in ("mine.txt", "g.tsv", "bio/mesh/terms.tsv", "bio/mesh/tree-numbers.tsv"):
        assert name in message
    assert "corpus.path" in message and "SCIDISCO_DATA" in message


def test_curated_lab_as_gold_reports_its_mapping(data_dir: Path) -> None:
    config = validate_config({"gold": {"format": "pharmacotherapydb"}})
    files = input_files(config)
    assert files["gold"].name == "indications.shared.tsv"
    assert files["gold_xrefs"].name == "xrefs.tsv"
    lab = _load_lab(files["gold"], config)
    assert lab.name == "pharmacotherapydb" and lab.stats is not None
    # Data README: 1,110 rows; 97 diseases less the 4 only in the holdout, one without MeSH.
    assert lab.stats.rows_total == 1110
    assert (lab.stats.objects_total, lab.stats.objects_mapped) == (93, 92)
    assert any(r is Relation.TREATS for _, r, _ in lab.facts)


def test_evidence_carries_the_mentions_inside_the_passage(
    bc5cdr_train: Path, tmp_path: Path
) -> None:
    doc = next(read_pubtator(first_documents(bc5cdr_train, 1, tmp_path / "one.txt")))
    chunks = list(chunk_documents([doc], chunk_size=300, chunk_overlap=50))
    assert len(chunks) > 1
    for chunk in chunks:
        hit = RetrievedChunk(chunk.pmid, chunk.text, 0.5, chunk.chunk_id, chunk.start, chunk.end)
        evidence = evidence_from(hit, doc)
        inside = [m for m in doc.mentions if chunk.start <= m.start and m.end <= chunk.end]
        assert len(evidence.mentions) == len(inside)
        for mention, source in zip(evidence.mentions, inside, strict=True):
            # Offsets now count in the passage: the same surface text as in the document.
            assert evidence.text[mention.start : mention.end] == source.text
            assert mention.entity_ids == list(source.ids)
    assert evidence_from(hit, None).mentions == []
