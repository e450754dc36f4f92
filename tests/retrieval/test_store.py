"""Document store on a real SQLite file: round trip, idempotent adds, atomic failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from retrieval.pubtator import Document, PubTatorFormatError, read_pubtator
from retrieval.store import DocumentStore, metadata


@pytest.fixture()
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(f"sqlite:///{tmp_path / 'docs.sqlite'}")


def test_round_trip_keeps_everything(
    store: DocumentStore, bc5cdr_docs: list[Document], biored_docs: list[Document]
) -> None:
    assert store.add(bc5cdr_docs[:30], "bc5cdr_train") == 30
    assert store.add(biored_docs[:10], "biored_train") == 10
    assert list(store.documents("bc5cdr_train")) == bc5cdr_docs[:30]
    assert list(store.documents("biored_train")) == biored_docs[:10]  # tmVar ids, novelty
    assert store.get(bc5cdr_docs[7].pmid) == bc5cdr_docs[7]
    assert store.get("0") is None
    assert store.count() == 40 and store.count("biored_train") == 10
    assert store.corpora() == ["bc5cdr_train", "biored_train"]


def test_adding_twice_does_not_duplicate(store: DocumentStore, bc5cdr_docs: list[Document]) -> None:
    assert store.add(bc5cdr_docs[:20], "bc5cdr_train") == 20
    assert store.add(bc5cdr_docs[:25], "bc5cdr_train") == 5  # only the five new PMIDs
    assert store.count() == 25
    reopened = DocumentStore(str(store.engine.url))
    assert [d.pmid for d in reopened.documents()] == [d.pmid for d in bc5cdr_docs[:25]]


def test_same_pmid_in_two_corpora_is_kept_twice(
    store: DocumentStore, bc5cdr_docs: list[Document], biored_docs: list[Document]
) -> None:
    shared = {d.pmid for d in bc5cdr_docs} & {d.pmid for d in biored_docs}
    pmid = sorted(shared)[0]
    store.add([d for d in bc5cdr_docs if d.pmid == pmid], "bc5cdr")
    store.add([d for d in biored_docs if d.pmid == pmid], "biored")
    assert store.count() == 2
    from_biored = store.get(pmid, corpus="biored")
    assert from_biored is not None and from_biored.source == "Train.PubTator"


def test_failure_mid_add_stores_nothing(
    store: DocumentStore, bc5cdr_train: Path, tmp_path: Path
) -> None:
    blocks = bc5cdr_train.read_text().split("\n\n")[:4]
    blocks[3] = blocks[3].replace("\t0\t", "\tzero\t", 1)  # the 4th document is malformed
    broken = tmp_path / "broken.PubTator"
    broken.write_text("\n\n".join(blocks) + "\n\n")
    with pytest.raises(PubTatorFormatError, match="start offset 'zero' is not an integer"):
        store.add(read_pubtator(broken), "bc5cdr")
    assert store.count() == 0  # the three good documents were rolled back with the rest


def test_tables_live_on_own_metadata(store: DocumentStore) -> None:
    assert set(metadata.tables) == {"documents", "mentions", "relations"}
    assert {"documents", "mentions", "relations"} <= set(inspect(store.engine).get_table_names())
    with pytest.raises(ValueError, match="`corpus` must be a non-empty name"):
        store.add([], "")


def test_copy_a_corpus_while_reading_it(store: DocumentStore, bc5cdr_docs: list[Document]) -> None:
    store.add(bc5cdr_docs[:5], "a")
    assert store.add(store.documents("a"), "b") == 5
    assert list(store.documents("b")) == list(store.documents("a")) == bc5cdr_docs[:5]
