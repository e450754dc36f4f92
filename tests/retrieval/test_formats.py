"""JSONL, PubMed XML and MEDLINE readers, and format detection, on real BC5CDR documents.

The files are written at test time into tmp_path from the shared corpus: nothing is committed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from retrieval.corpus import detect_format, read_corpus
from retrieval.jsonl import read_jsonl, write_jsonl
from retrieval.pubmed import read_medline, read_pubmed_xml
from retrieval.pubtator import CorpusFormatError, Document

_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)


def _unsourced(docs: list[Document]) -> list[Document]:
    return [dataclasses.replace(d, source="") for d in docs]


def _pubmed_xml(docs: list[Document]) -> str:
    articles = "".join(
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{d.pmid}</PMID><Article PubModel="Print">'
        f"<ArticleTitle>{escape(d.title)}</ArticleTitle>"
        f"<Abstract><AbstractText>{escape(d.abstract)}</AbstractText></Abstract>"
        f"</Article></MedlineCitation></PubmedArticle>\n"
        for d in docs
    )
    header = f'<?xml version="1.0" encoding="UTF-8"?>\n{_DOCTYPE}\n'
    return f"{header}<PubmedArticleSet>\n{articles}</PubmedArticleSet>\n"


def _medline(docs: list[Document]) -> str:
    def field(tag: str, value: str) -> str:
        lines = textwrap.wrap(value, 74, break_long_words=False, break_on_hyphens=False)
        return f"{tag:<4}- " + "\n      ".join(lines) + "\n"

    return "".join(
        field("PMID", d.pmid)
        + "OWN - NLM\n"
        + field("TI", d.title)
        + field("AB", d.abstract)
        + "\n"
        for d in docs
    )


@pytest.fixture(scope="module")
def three_docs(bc5cdr_docs: list[Document]) -> list[Document]:
    return bc5cdr_docs[:3]


def test_jsonl_round_trip_keeps_mentions_and_relations(
    bc5cdr_docs: list[Document], tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    assert write_jsonl(bc5cdr_docs[:40], path) == 40
    back = list(read_jsonl(path))
    assert _unsourced(back) == _unsourced(bc5cdr_docs[:40])
    assert back[0].source == "train.jsonl"


def test_jsonl_accepts_bare_ids_and_project_types(
    three_docs: list[Document], tmp_path: Path
) -> None:
    doc = three_docs[0]
    record = {
        "pmid": int(doc.pmid),
        "title": doc.title,
        "abstract": doc.abstract,
        "year": 1978,
        "mentions": [
            {"start": 0, "end": 8, "text": "Naloxone", "type": "chemical", "ids": ["D009270"]}
        ],
    }
    path = tmp_path / "bare.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (read,) = read_jsonl(path)
    assert read.pmid == "227508" and read.mentions[0].ids == ("MESH:D009270",)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda r: r.pop("title"), r"field `title`: Field required"),
        (
            lambda r: r["mentions"][1].update(start="ten"),
            r"field `mentions\.1\.start`: Input should be a valid integer",
        ),
        (
            lambda r: r["mentions"][2].update(text="Clonidine"),
            r"field `mentions\.2`: mention text 'Clonidine' does not match",
        ),
        (
            lambda r: r["mentions"][0].update(type="Drug"),
            r"field `mentions\.0\.type`: unknown type 'Drug'",
        ),
    ],
    ids=["missing-title", "bad-offset", "text-mismatch", "unknown-type"],
)
def test_jsonl_errors_name_line_and_field(
    three_docs: list[Document], tmp_path: Path, edit: object, problem: str
) -> None:
    path = tmp_path / "broken.jsonl"
    write_jsonl(three_docs, path)
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    edit(record)  # type: ignore[operator]
    lines[1] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")
    seen = []
    with pytest.raises(CorpusFormatError, match=rf"^{re.escape(str(path))}, line 2: {problem}"):
        for doc in read_jsonl(path):
            seen.append(doc.pmid)
    assert seen == ["227508"]


def test_jsonl_invalid_json_names_line(three_docs: list[Document], tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    write_jsonl(three_docs, path)
    path.write_text(path.read_text()[:-40] + "\n")
    with pytest.raises(
        CorpusFormatError, match=rf"{re.escape(str(path))}, line 3: is not valid JSON"
    ):
        list(read_jsonl(path))


def test_pubmed_xml_reads_real_titles_and_abstracts(
    three_docs: list[Document], tmp_path: Path
) -> None:
    path = tmp_path / "set.xml"
    path.write_text(_pubmed_xml(three_docs), encoding="utf-8")
    docs = list(read_pubmed_xml(path))
    assert [(d.pmid, d.title, d.abstract) for d in docs] == [
        (d.pmid, d.title, d.abstract) for d in three_docs
    ]
    assert all(d.mentions == () for d in docs)


def test_pubmed_xml_without_doctype_is_explained(
    three_docs: list[Document], tmp_path: Path
) -> None:
    path = tmp_path / "nodtd.xml"
    path.write_text(_pubmed_xml(three_docs).replace(_DOCTYPE, ""), encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=rf"{re.escape(str(path))}: .*DOCTYPE"):
        list(read_pubmed_xml(path))


def test_medline_reads_wrapped_fields(three_docs: list[Document], tmp_path: Path) -> None:
    path = tmp_path / "export.medline"
    path.write_text(_medline(three_docs), encoding="utf-8")
    docs = list(read_medline(path))
    assert [d.pmid for d in docs] == [d.pmid for d in three_docs]
    for got, want in zip(docs, three_docs, strict=True):
        assert got.title == " ".join(want.title.split())
        assert got.abstract == " ".join(want.abstract.split())


def test_medline_bad_line_and_missing_pmid(three_docs: list[Document], tmp_path: Path) -> None:
    text = _medline(three_docs)
    lines = text.splitlines()
    second_record = lines.index(f"PMID- {three_docs[1].pmid}") + 1
    garbled = tmp_path / "garbled.medline"
    garbled.write_text(
        "\n".join([*lines[: second_record + 1], "not a tag line", *lines[second_record + 1 :]])
        + "\n"
    )
    with pytest.raises(
        CorpusFormatError,
        match=rf"{re.escape(str(garbled))}, line {second_record + 2}: expected a MEDLINE",
    ):
        list(read_medline(garbled))
    no_pmid = tmp_path / "nopmid.medline"
    no_pmid.write_text(text.replace(f"PMID- {three_docs[1].pmid}\n", ""))
    with pytest.raises(
        CorpusFormatError, match=rf"line {second_record}: the record starting here has no PMID"
    ):
        list(read_medline(no_pmid))


def test_read_corpus_detects_every_format(
    three_docs: list[Document], bc5cdr_train: Path, tmp_path: Path
) -> None:
    files = {
        "a.jsonl": "jsonl",
        "a.xml": "pubmed-xml",
        "a.medline": "medline",
        "a.txt": "medline",
        "b.data": "pubmed-xml",
        "c.data": "jsonl",
    }
    write_jsonl(three_docs, tmp_path / "a.jsonl")
    write_jsonl(three_docs, tmp_path / "c.data")
    (tmp_path / "a.xml").write_text(_pubmed_xml(three_docs))
    (tmp_path / "b.data").write_text(_pubmed_xml(three_docs))
    (tmp_path / "a.medline").write_text(_medline(three_docs))
    (tmp_path / "a.txt").write_text(_medline(three_docs))
    for name, fmt in files.items():
        assert detect_format(tmp_path / name) == fmt
        assert [d.pmid for d in read_corpus(tmp_path / name)] == ["227508", "354896", "435349"]
    assert detect_format(bc5cdr_train) == "pubtator"  # .txt, sniffed from "227508|t|..."
    assert sum(1 for _ in read_corpus(bc5cdr_train)) == 490


def test_read_corpus_rejects_unknown(tmp_path: Path) -> None:
    odd = tmp_path / "notes.data"
    odd.write_text("just some words\n")
    with pytest.raises(CorpusFormatError, match=r"notes\.data: cannot tell the format") as err:
        read_corpus(odd)
    assert err.value.path == odd and "corpus.format" in str(err.value)
    with pytest.raises(CorpusFormatError, match="unknown corpus `format` 'csv'"):
        read_corpus(odd, format="csv")
