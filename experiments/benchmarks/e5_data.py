"""E5's documents, queries and relevance labels, and query abbreviation expansion.

The pool is every shared abstract once: BC5CDR train and dev, BioRED train and dev and
PubMedQA PQA-L, deduplicated by PMID (first file wins; BioRED reuses BC5CDR abstracts).
Labels are read here and only here; the documents handed to retrievers have their relation
annotations removed (:func:`without_relations`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from agent.types import EntityType
from retrieval.abbreviations import defined_abbreviations
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.pubtator import Document, read_pubtator
from retrieval.surfaces import most_common, tokens

# (short form as written, entity type) -> long form.
Definitions = dict[tuple[str, EntityType], str]


class E5DataError(ValueError):
    """An input file does not have the shape E5 expects; the message names file and field."""


@dataclass(frozen=True)
class Query:
    """One retrieval query with the PMIDs that count as hits.

    ``expanded`` is the text with its abbreviations written out, None where the task has no
    expansion.
    """

    qid: str
    text: str
    relevant: frozenset[str]
    expanded: str | None = None


def read_pubmedqa(path: Path) -> list[Document]:
    """PQA-L abstracts as documents: no title, the contexts joined with spaces, sorted by PMID."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [
            Document(
                pmid=pmid, title="", abstract=" ".join(entries[pmid]["CONTEXTS"]), source=path.name
            )
            for pmid in sorted(entries)
        ]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise E5DataError(
            f"{path}: expected PubMedQA's ori_pqal.json (PMID -> object with CONTEXTS, a list "
            f"of strings): {exc!r}"
        ) from exc


def pubmedqa_queries(path: Path) -> list[Query]:
    """Each PQA-L question, whose only relevant document is its own abstract."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [
            Query(pmid, entries[pmid]["QUESTION"], frozenset({pmid})) for pmid in sorted(entries)
        ]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise E5DataError(f"{path}: every entry needs a QUESTION string: {exc!r}") from exc


def read_corpora(paths: Iterable[Path]) -> list[Document]:
    """Every document of the PubTator files, in file order (repeats kept)."""
    return [doc for path in paths for doc in read_pubtator(path)]


def deduplicate(documents: Iterable[Document]) -> list[Document]:
    """The first document of each PMID, in order."""
    seen: dict[str, Document] = {}
    for doc in documents:
        seen.setdefault(doc.pmid, doc)
    return list(seen.values())


def without_relations(documents: Iterable[Document]) -> list[Document]:
    """Copies without relation annotations: what every retriever is built from."""
    return [replace(doc, relations=()) for doc in documents]


def cid_labels(documents: Iterable[Document]) -> dict[tuple[str, str], set[str]]:
    """(chemical id, disease id) -> PMIDs whose CID annotations hold that pair."""
    labels: dict[tuple[str, str], set[str]] = defaultdict(set)
    for doc in documents:
        for rel in doc.relations:
            if rel.type == "CID":
                labels[(rel.id1, rel.id2)].add(doc.pmid)
    return dict(labels)


def evidence_queries(
    dev: Iterable[Document],
    labelled: Iterable[Document],
    graph: CooccurrenceGraph,
    definitions: Definitions,
) -> tuple[list[Query], int]:
    """One "<chemical> induces <disease>" query per CID pair of ``dev``, sorted by id pair.

    Names are each entity's most frequent mention text over ``graph``'s abstracts; the
    expanded text adds the long form of a name that is itself a defined abbreviation of its
    type (see :func:`expand_name`). Relevant documents are all of ``labelled`` annotated with
    the pair. Returns the queries and the number of pairs skipped because an id is never
    mentioned.
    """
    labels = cid_labels(labelled)
    pairs = sorted(cid_labels(dev))
    queries, skipped = [], 0
    for chem, disease in pairs:
        if chem not in graph or disease not in graph:
            skipped += 1
            continue
        names = [graph.entity(chem).name, graph.entity(disease).name]
        expanded = [
            expand_name(name, graph.entity(entity_id).type, definitions)
            for name, entity_id in zip(names, (chem, disease), strict=True)
        ]
        queries.append(
            Query(
                f"{chem}|{disease}",
                " induces ".join(names),
                frozenset(labels[(chem, disease)]),
                " induces ".join(expanded),
            )
        )
    return queries, skipped


def abbreviation_definitions(documents: Iterable[Document]) -> Definitions:
    """(short form as written, type) -> its most frequent long form, from "long form (SF)".

    A long form is a linked annotated mention directly followed by a parenthesised
    abbreviation, as `retrieval.abbreviations.defined_abbreviations` accepts it; the type is
    the mention's. Short forms need two or more characters and a capital letter: "vitamin C"
    must not define "C".
    """
    found: dict[tuple[str, EntityType], Counter[str]] = defaultdict(Counter)
    for doc in documents:
        text = doc.text
        toks = tokens(text)
        starts = {s: i for i, (_, s, _) in enumerate(toks)}
        ends = {e: i + 1 for i, (_, _, e) in enumerate(toks)}
        for mention in doc.mentions:
            first, stop = starts.get(mention.start), ends.get(mention.end)
            if first is None or stop is None or not mention.ids:
                continue
            for _ in defined_abbreviations(text, toks, first, stop):
                close = next(j for j in range(stop + 1, len(toks)) if toks[j][0] == ")")
                short = text[toks[stop + 1][1] : toks[close - 1][2]]
                if len(short) >= 2 and any(c.isupper() for c in short):
                    found[(short, mention.entity_type)][mention.text] += 1
    return {entry: most_common(longs) for entry, longs in sorted(found.items())}


def expand_name(name: str, entity_type: EntityType, definitions: Definitions) -> str:
    """``"SF (long form)"`` when the whole name is a short form defined for its type.

    Only whole names expand, matched exactly and case-sensitively, and only with a long form
    of the name's own type: "CB 3717" (a compound) keeps its "CB", which the abstracts define
    as the gene calbindin-D28k.
    """
    long_form = definitions.get((name, entity_type))
    if long_form is None or long_form.casefold() == name.casefold():
        return name
    return f"{name} ({long_form})"
