"""PubTator reader on the real BC5CDR and BioRED files: counts, quirks and error paths."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from agent.types import EntityType
from retrieval.pubtator import Document, PubTatorFormatError, read_pubtator


def _by_pmid(docs: list[Document], pmid: str) -> Document:
    return next(d for d in docs if d.pmid == pmid)


def test_bc5cdr_train_counts_match_readme(bc5cdr_docs: list[Document]) -> None:
    types = Counter(m.entity_type for d in bc5cdr_docs for m in d.mentions)
    assert len(bc5cdr_docs) == 490
    assert sum(types.values()) == 9137
    assert types == {EntityType.CHEMICAL: 5024, EntityType.DISEASE: 4113}
    assert sum(len(d.relations) for d in bc5cdr_docs) == 1022
    assert {r.type for d in bc5cdr_docs for r in d.relations} == {"CID"}


def test_bc5cdr_dev_counts_match_readme(bc5cdr_dev: Path) -> None:
    docs = list(read_pubtator(bc5cdr_dev))
    assert (len(docs), sum(len(d.mentions) for d in docs)) == (489, 9334)
    assert sum(len(d.relations) for d in docs) == 992


def test_biored_train_counts_match_readme(biored_docs: list[Document]) -> None:
    novelty = Counter(r.novelty for d in biored_docs for r in d.relations)
    assert len(biored_docs) == 347
    assert sum(len(d.mentions) for d in biored_docs) == 11440
    # CRLF files: the novelty field must not keep a trailing "\r".
    assert novelty == {"Novel": 2501, "No": 1181}


def test_every_offset_indexes_title_space_abstract(
    bc5cdr_docs: list[Document], biored_docs: list[Document]
) -> None:
    for doc in [*bc5cdr_docs, *biored_docs]:
        assert doc.text == doc.title + " " + doc.abstract
        for m in doc.mentions:
            assert doc.text[m.start : m.end] == m.text


def test_first_document_parsed_field_by_field(bc5cdr_docs: list[Document]) -> None:
    doc = bc5cdr_docs[0]
    assert doc.pmid == "227508"
    assert doc.title == "Naloxone reverses the antihypertensive effect of clonidine."
    assert doc.source == "CDR_TrainingSet.PubTator.txt"
    first = doc.mentions[0]
    assert (first.start, first.end, first.text, first.source_type) == (0, 8, "Naloxone", "Chemical")
    assert first.ids == ("MESH:D009270",)
    assert doc.mentions[4].text == "nalozone" and doc.mentions[4].ids == ()  # ID -1: unlinked
    assert doc.relations[0].id1 == "MESH:D008750" and doc.relations[0].id2 == "MESH:D007022"
    assert doc.relations[0].novelty is None


def test_composite_mention_keeps_ids_and_parts(bc5cdr_docs: list[Document]) -> None:
    mention = _by_pmid(bc5cdr_docs, "2234245").mentions[0]
    assert mention.text == "Ocular and auditory toxicity"
    assert mention.ids == ("MESH:D014786", "MESH:D006311")
    assert mention.parts == ("Ocular toxicity", "auditory toxicity")


def test_biored_ids_namespaced_and_split(biored_docs: list[Document]) -> None:
    doc = _by_pmid(biored_docs, "10491763")
    mody = next(m for m in doc.mentions if m.text == "MODY")
    assert mody.ids == ("NCBIGene:3172", "NCBIGene:3651", "NCBIGene:6927")  # comma-joined
    variant = next(m for m in doc.mentions if m.text == "Pro75 Ala")
    assert variant.ids == ("DBSNP:rs74805019",) and variant.entity_type is EntityType.VARIANT
    assert next(m for m in doc.mentions if m.text == "patients").ids == ("NCBITaxon:9606",)
    relation = doc.relations[0]
    assert (relation.type, relation.id1, relation.id2, relation.novelty) == (
        "Association",
        "NCBIGene:3175",
        "MESH:D003924",
        "No",
    )


def test_biored_variant_ids_keep_their_bars(biored_docs: list[Document]) -> None:
    doc = _by_pmid(biored_docs, "10788334")
    relation = next(r for r in doc.relations if r.id2.startswith("TMVAR:"))
    assert relation.id2 == "TMVAR:c|INS|5382|C"
    assert any(m.ids == ("TMVAR:c|INS|5382|C",) for m in doc.mentions)


def test_biored_unlinked_and_spaced_ids(biored_docs: list[Document]) -> None:
    all_ids = [i for d in biored_docs for m in d.mentions for i in m.ids]
    assert "CVCL:1452" in all_ids  # written " CVCL_1452" in the file
    assert not any(i.endswith(":-") or " " in i for i in all_ids)
    unlinked = sum(1 for d in biored_docs for m in d.mentions if not m.ids)
    assert unlinked == 29


# --- error paths: each on a real three-document slice with one line broken -------------------


def _broken_slice(bc5cdr_train: Path, tmp_path: Path, lineno: int, fix: object) -> Path:
    """The first three documents with line ``lineno`` (1-based) rewritten by ``fix``."""
    blocks = bc5cdr_train.read_text().split("\n\n")[:3]
    lines = "\n\n".join(blocks).split("\n")
    lines[lineno - 1] = fix(lines[lineno - 1])  # type: ignore[operator]
    path = tmp_path / "broken.PubTator"
    path.write_text("\n".join(lines) + "\n\n")
    return path


def _third_doc_mention_line(bc5cdr_train: Path) -> int:
    blocks = bc5cdr_train.read_text().split("\n\n")[:3]
    # lines of docs 1-2, two blank lines, then title + abstract of doc 3; its first mention:
    return sum(len(b.split("\n")) for b in blocks[:2]) + 2 + 3


def _read_until_error(path: Path, message: str, lineno: int) -> list[str]:
    seen: list[str] = []
    with pytest.raises(PubTatorFormatError, match=message) as info:
        for doc in read_pubtator(path):
            seen.append(doc.pmid)
    assert (info.value.path, info.value.line) == (path, lineno)
    return seen


@pytest.mark.parametrize(
    ("fix", "problem"),
    [
        (lambda line: "\t".join(line.split("\t")[:4]), "expected 6 or 7 tab-separated fields"),
        (lambda line: line.replace("\t0\t", "\t2\t", 1), "does not match the document text"),
        (
            lambda line: re.sub(r"\t(\d+)\t(\d+)\t", "\t0\t99999\t", line, count=1),
            "not a span of the document text",
        ),
        (
            lambda line: re.sub(r"\t(\d+)\t", "\tten\t", line, count=1),
            "start offset 'ten' is not an integer",
        ),
        (
            lambda line: line.replace("Suxamethonium", "Suxamethonion", 1),
            "mention text 'Suxamethonion' does not match",
        ),
    ],
    ids=["truncated", "shifted-offset", "offset-out-of-range", "non-integer", "text-mismatch"],
)
def test_malformed_line_names_file_and_line_after_good_documents(
    bc5cdr_train: Path, tmp_path: Path, fix: object, problem: str
) -> None:
    lineno = _third_doc_mention_line(bc5cdr_train)
    path = _broken_slice(bc5cdr_train, tmp_path, lineno, fix)
    seen = _read_until_error(path, rf"^{re.escape(str(path))}, line {lineno}: .*{problem}", lineno)
    assert seen == ["227508", "354896"]  # the two good documents came out first


def test_missing_abstract_line_is_reported(bc5cdr_train: Path, tmp_path: Path) -> None:
    path = _broken_slice(bc5cdr_train, tmp_path, 2, lambda line: line.replace("|a|", "|x|"))
    _read_until_error(path, rf"{re.escape(str(path))}, line 2: expected the abstract line", 2)


def test_crlf_slice_reads_like_lf(biored_train: Path, tmp_path: Path) -> None:
    from tests.conftest import first_documents

    crlf = first_documents(biored_train, 3, tmp_path / "crlf.PubTator")
    assert b"\r\n" in crlf.read_bytes()
    lf = tmp_path / "lf.PubTator"
    lf.write_bytes(crlf.read_bytes().replace(b"\r\n", b"\n"))
    crlf_docs = [d.__class__(**{**d.__dict__, "source": ""}) for d in read_pubtator(crlf)]
    lf_docs = [d.__class__(**{**d.__dict__, "source": ""}) for d in read_pubtator(lf)]
    assert crlf_docs == lf_docs and len(crlf_docs) == 3


def test_missing_blank_line_and_foreign_pmid(bc5cdr_train: Path, tmp_path: Path) -> None:
    blocks = bc5cdr_train.read_text().split("\n\n")[:3]
    joined = tmp_path / "joined.PubTator"
    joined.write_text(blocks[0] + "\n" + "\n\n".join(blocks[1:]) + "\n")  # no blank after doc 1
    assert [d.pmid for d in read_pubtator(joined)] == ["227508", "354896", "435349"]
    lineno = _third_doc_mention_line(bc5cdr_train)
    path = _broken_slice(bc5cdr_train, tmp_path, lineno, lambda line: "999" + line)
    _read_until_error(
        path, rf"line {lineno}: annotation for PMID '999435349' inside document 435349", lineno
    )
