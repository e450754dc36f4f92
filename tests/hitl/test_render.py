"""Highlighting, PubMed links and CSV export cells: escaping of untrusted text."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from agent.types import EntityType, EvidenceMention
from hitl.export import COLUMNS, to_csv, to_json
from hitl.highlight import highlight, highlight_mentions, pubmed_url

CHEM, DIS = EntityType.CHEMICAL, EntityType.DISEASE


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


def test_mentions_are_escaped_then_marked_by_type_and_focus() -> None:
    text = '<b>Li</b> & "x" cause HTN'
    mentions = [
        EvidenceMention(start=22, end=25, entity_ids=["MESH:D006973"], type=DIS),
        EvidenceMention(start=0, end=9, entity_ids=["MESH:D008094"], type=CHEM),
        EvidenceMention(start=12, end=15, entity_ids=['x" onmouseover="a()'], type=CHEM),
    ]
    out = highlight_mentions(text, mentions, {"MESH:D008094"}, ["lithium"])
    assert str(out) == (
        '<mark class="m-chemical focus" title="MESH:D008094">&lt;b&gt;Li&lt;/b&gt;</mark>'
        ' &amp; <mark class="m-chemical" title="x&#34; onmouseover=&#34;a()">&#34;x&#34;</mark>'
        ' cause <mark class="m-disease" title="MESH:D006973">HTN</mark>'
    )


def test_mentions_overlapping_or_outside_the_text_are_left_out() -> None:
    text = "lithium carbonate tablets"
    mentions = [
        EvidenceMention(start=0, end=7, entity_ids=["B"], type=CHEM),  # inside the next one
        EvidenceMention(start=0, end=17, entity_ids=["A"], type=CHEM),
        EvidenceMention(start=8, end=25, entity_ids=["C"], type=CHEM),  # overlaps A
        EvidenceMention(start=18, end=99, entity_ids=["D"], type=CHEM),  # past the end
        EvidenceMention(start=18, end=25, entity_ids=[], type=DIS),
    ]
    assert str(highlight_mentions(text, mentions, {"B"}, [])) == (
        '<mark class="m-chemical" title="A">lithium carbonate</mark> '
        '<mark class="m-disease" title="not linked">tablets</mark>'
    )


def test_passages_without_usable_mentions_fall_back_to_names() -> None:
    assert str(highlight_mentions("Lithium <x>", [], {"A"}, ["lithium"])) == (
        "<mark>Lithium</mark> &lt;x&gt;"
    )
    outside = [EvidenceMention(start=3, end=40, entity_ids=["A"], type=CHEM)]
    assert str(highlight_mentions("Li", outside, {"A"}, ["li"])) == "<mark>Li</mark>"


@dataclass
class _Loose:
    """A mention whose type is a free string (the highlighter's protocol allows one)."""

    start: int
    end: int
    type: str
    entity_ids: list[str] = field(default_factory=list)


def test_a_type_outside_the_vocabulary_cannot_reach_the_class_attribute() -> None:
    out = highlight_mentions("abc", [_Loose(0, 3, 'x" onclick="a()')], set(), [])
    assert str(out) == '<mark class="m-other" title="not linked">abc</mark>'


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
