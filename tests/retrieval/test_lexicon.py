"""Entity lexicon built from BC5CDR + BioRED training mentions and MeSH names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.types import EntityType
from retrieval.lexicon import EntityLexicon
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator


@pytest.fixture(scope="module")
def lexicon(
    bc5cdr_docs: list[Document], biored_docs: list[Document], mesh: MeshVocabulary
) -> EntityLexicon:
    return EntityLexicon.build([*bc5cdr_docs, *biored_docs], mesh)


def _linked_id(lexicon: EntityLexicon, name: str, expected: EntityType | None = None) -> str:
    result = lexicon.link(name, expected)
    assert result.entity is not None, result.reason
    return result.entity.id


def test_link_normalises_case_spacing_and_hyphens(lexicon: EntityLexicon) -> None:
    forms = [
        "alpha-methyldopa",
        "Alpha Methyldopa",
        "ALPHA -  METHYLDOPA",
        " alpha\u2010methyldopa ",
    ]
    assert {_linked_id(lexicon, f) for f in forms} == {"MESH:D008750"}
    assert _linked_id(lexicon, "5-FU") == _linked_id(lexicon, "5 fu") == "MESH:D005472"


def test_most_frequent_id_wins(
    lexicon: EntityLexicon, bc5cdr_docs: list[Document], biored_docs: list[Document]
) -> None:
    counts = Counter(
        m.ids[0]
        for d in [*bc5cdr_docs, *biored_docs]
        for m in d.mentions
        if m.text.lower() == "alcohol" and len(m.ids) == 1
    )
    assert len(counts) > 1  # "alcohol" is annotated as Ethanol and as Alcohols
    assert _linked_id(lexicon, "alcohol") == counts.most_common(1)[0][0] == "MESH:D000431"


def test_expected_type_picks_or_explains(lexicon: EntityLexicon) -> None:
    assert _linked_id(lexicon, "insulin") == "NCBIGene:3630"  # BioRED's gene links dominate
    assert _linked_id(lexicon, "insulin", EntityType.CHEMICAL) == "MESH:D007328"  # MeSH name
    failed = lexicon.link("aspirin", EntityType.DISEASE)
    assert failed.entity is None and not failed.ok
    assert failed.reason == "'aspirin' is a chemical (MESH:D001241), expected disease"
    missing = lexicon.link("quantum flux capacitor")
    assert missing.reason == "no lexicon entry for 'quantum flux capacitor'"
    assert lexicon.link("  ").reason == "empty name"


def test_ids_mesh_names_and_plurals(lexicon: EntityLexicon) -> None:
    assert _linked_id(lexicon, "MESH:D008094") == "MESH:D008094"
    assert _linked_id(lexicon, "calcimycin") == "MESH:D000001"  # MeSH only, not in the corpora
    assert _linked_id(lexicon, "nephrotoxicities") == _linked_id(lexicon, "nephrotoxicity")
    lithium = lexicon.entity("MESH:D008094")
    assert lithium is not None and (lithium.name, lithium.type) == ("Lithium", EntityType.CHEMICAL)
    assert lexicon.entity("MESH:D000000") is None


def test_without_mesh_names_come_from_mentions(bc5cdr_docs: list[Document]) -> None:
    lexicon = EntityLexicon.build(bc5cdr_docs)
    lithium = lexicon.entity("MESH:D008094")
    assert lithium is not None and lithium.name == "lithium"
    assert lexicon.link("calcimycin").entity is None


def test_find_mentions_recovers_gold_spans(
    lexicon: EntityLexicon, bc5cdr_docs: list[Document]
) -> None:
    doc = bc5cdr_docs[0]
    found = {(s, e, ent.id) for s, e, ent in lexicon.find_mentions(doc.text)}
    gold = {(m.start, m.end, m.ids[0]) for m in doc.mentions if len(m.ids) == 1}
    assert gold <= found
    for start, end, _ in found:
        assert doc.text[start:end].strip() == doc.text[start:end] != ""


def test_find_mentions_word_boundaries_and_case(lexicon: EntityLexicon) -> None:
    assert lexicon.find_mentions("xclonidine clonidinex") == []
    [(start, end, entity)] = lexicon.find_mentions("clonidine-induced")
    assert (start, end, entity.id) == (0, 9, "MESH:D003000")
    text = "5 mg of Mg; all patients with ALL"
    spans = [(text[s:e], ent.id) for s, e, ent in lexicon.find_mentions(text)]
    assert ("Mg", "MESH:D008274") in spans and ("mg", "MESH:D008274") not in spans
    assert ("ALL", "MESH:D054198") in spans and not any(s == "all" for s, _ in spans)


def test_find_mentions_prefers_longest_match(lexicon: EntityLexicon) -> None:
    text = "chronic renal failure"
    [(start, end, entity)] = lexicon.find_mentions(text)
    assert (start, end, entity.id) == (0, len(text), "MESH:D007676")


def test_abbreviation_defined_in_text(lexicon: EntityLexicon) -> None:
    assert lexicon.link("MDP").entity is None
    text = "Methyldopa (MDP) was given. MDP lowered blood pressure."
    spans = [(text[s:e], ent.id) for s, e, ent in lexicon.find_mentions(text)]
    assert spans[:3] == [
        ("Methyldopa", "MESH:D008750"),
        ("MDP", "MESH:D008750"),
        ("MDP", "MESH:D008750"),
    ]


def test_dictionary_recall_on_dev_slice(lexicon: EntityLexicon, bc5cdr_dev: Path) -> None:
    """Held-out BC5CDR dev abstracts: most gold chemical/disease spans are found exactly."""
    docs = [d for _, d in zip(range(30), read_pubtator(bc5cdr_dev), strict=False)]
    gold = {(d.pmid, m.start, m.end) for d in docs for m in d.mentions if m.ids}
    found = {(d.pmid, s, e) for d in docs for s, e, _ in lexicon.find_mentions(d.text)}
    assert len(gold & found) / len(gold) > 0.6
