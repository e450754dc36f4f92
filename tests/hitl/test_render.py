"""Highlighting, PubMed links and CSV export cells: escaping of untrusted text."""

from __future__ import annotations

import csv
import io
import json

from hitl.export import COLUMNS, to_csv, to_json
from hitl.highlight import highlight, pubmed_url


def test_highlight_escapes_then_marks() -> None:
    out = highlight(
        '<img src=x onerror="a()"> Lithium carbonate & lithium', ["lithium", "Lithium carbonate"]
    )
    assert str(out) == (
        "&lt;img src=x onerror=&#34;a()&#34;&gt; "
        "<mark>Lithium carbonate</mark> &amp; <mark>lithium</mark>"
    )


def test_highlight_names_are_not_patterns() -> None:
    assert str(highlight("a+b and ab", ["a+b"])) == "<mark>a+b</mark> and ab"
    assert str(highlight("x <b>", [])) == "x &lt;b&gt;"
    assert str(highlight("x", ["", "  "])) == "x"


def test_pubmed_links_only_for_numeric_pmids() -> None:
    assert pubmed_url("1378968") == "https://pubmed.ncbi.nlm.nih.gov/1378968/"
    assert pubmed_url("javascript:alert(1)") is None
    assert pubmed_url("123/../../evil") is None


def _row(**values: object) -> dict[str, object]:
    return {c: values.get(c) for c in COLUMNS}


def test_csv_guards_formulas_and_flattens_lists() -> None:
    rows = [
        _row(
            id="1",
            text='=HYPERLINK("http://x")',
            cited_pmids=["1", "2"],
            scores={"b": 1.0, "a": 2.0},
            score=-0.5,
        )
    ]
    parsed = list(csv.DictReader(io.StringIO("".join(to_csv(rows)))))
    assert parsed[0]["text"] == '\'=HYPERLINK("http://x")'
    assert parsed[0]["cited_pmids"] == "1;2" and parsed[0]["scores"] == '{"a": 2.0, "b": 1.0}'
    assert parsed[0]["score"] == "-0.5"  # numbers are not strings: no guard


def test_json_export_is_one_array() -> None:
    assert json.loads("".join(to_json([]))) == []
    assert json.loads("".join(to_json([_row(id="a"), _row(id="b")])))[1]["id"] == "b"
