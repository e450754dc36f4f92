"""The time-sliced E1's inputs: dated MeSH pairs and dated literature indexed by MeSH.

Pairs come from ``bio/medline_discoveries`` (Moreau et al., "Mining impactful discoveries
from the biomedical literature"): ``annotated-relations.shared.tsv`` (columns ``c1, c2,
term.c1, term.c2, group.c1, group.c2, year, discovery, gold.year``; ``discovery`` is
yes/no/maybe) and ``ND-discoveries-year.tsv`` (12 known neurodegeneration discoveries:
``c1, c2, term.c1, group.c1, term.c2, group.c2, year, source, notes``). Ids are MeSH
descriptors without namespace (``D000544``) and become ``MESH:D000544``.

The only dated literature in the shared data is PubMedQA PQA-L (``ori_pqal.json``): per
PMID a ``YEAR`` and the MeSH headings as *names*. Names are mapped to descriptor ids by
exact, case-insensitive match on MeSH 2015 preferred names (`retrieval.mesh`); entries
without a year cannot be placed in time and are left out, and both are counted.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agent.types import Entity, EntityType
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.mesh import PREFIX, MeshVocabulary

logger = logging.getLogger(__name__)

Label = Literal["yes", "no", "maybe", "known"]
LABELS: tuple[Label, ...] = ("yes", "no", "maybe", "known")
_ANNOTATED = ("c1", "c2", "term.c1", "term.c2", "year", "discovery", "gold.year")
_DISCOVERIES = ("c1", "c2", "term.c1", "term.c2", "year")


class TimeSliceDataError(ValueError):
    """An input file lacks a column or holds a bad value; the message names file and line."""


@dataclass(frozen=True)
class DatedPair:
    """Two MeSH descriptors and the year from which on the pair counts as found.

    ``label`` is the annotators' verdict (yes/no/maybe) or ``known`` for the ND discoveries;
    ``gold_year`` is the year of the actual discovery where the annotators gave one.
    """

    c1: str
    c2: str
    term1: str
    term2: str
    year: int
    label: Label
    gold_year: int | None = None
    source: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """``D000544-D001714``: the pair in metric names."""
        return f"{self.c1.removeprefix(PREFIX)}-{self.c2.removeprefix(PREFIX)}"

    def cutoff(self, rule: str) -> int:
        """Literature must be older than this year: ``year``, or ``gold_year`` where given."""
        return self.gold_year if rule == "gold_year" and self.gold_year else self.year


def _rows(path: Path, required: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise TimeSliceDataError(
                f"{path}: header lacks {missing}; got {reader.fieldnames}. Expected a "
                "medline_discoveries TSV (see bio/medline_discoveries/README.md)"
            )
        for row in reader:
            yield reader.line_num, row


def _year(path: Path, line: int, column: str, value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise TimeSliceDataError(
            f"{path}, line {line}: `{column}` must be a year like 1997, got {value!r}"
        ) from None


def _pair(path: Path, line: int, row: dict[str, str], label: Label, gold: str | None) -> DatedPair:
    """One row as a pair; ``gold`` is its ``gold.year`` cell (empty or NA: none)."""
    year = _year(path, line, "year", row["year"])
    gold_year = _year(path, line, "gold.year", gold) if gold and gold != "NA" else None
    return DatedPair(
        PREFIX + row["c1"],
        PREFIX + row["c2"],
        row["term.c1"],
        row["term.c2"],
        year,
        label,
        gold_year,
        path.name,
        line,
    )


def read_annotated(path: Path) -> list[DatedPair]:
    """The annotated pairs; ``discovery`` must be yes, no or maybe."""
    pairs = []
    for line, row in _rows(path, _ANNOTATED):
        label = row["discovery"]
        if label not in ("yes", "no", "maybe"):
            raise TimeSliceDataError(
                f"{path}, line {line}: `discovery` must be yes, no or maybe, got {label!r}"
            )
        # The label was checked just above.
        pairs.append(_pair(path, line, row, label, row["gold.year"]))  # type: ignore[arg-type]
    return pairs


def read_discoveries(path: Path) -> list[DatedPair]:
    """The ND known discoveries, labelled ``known``."""
    return [_pair(path, line, row, "known", None) for line, row in _rows(path, _DISCOVERIES)]


@dataclass
class DatedLiterature:
    """Abstracts as (year, MeSH descriptor ids), with what could not be used.

    Attributes:
        docs: PMID -> (year, ids), dated entries only.
        undated: entries without a ``YEAR``.
        unmapped: heading names that are no MeSH 2015 preferred name, with their counts.
        headings: every heading of a dated entry (mapped or not).
    """

    docs: dict[str, tuple[int, frozenset[str]]]
    undated: int
    unmapped: Counter[str]
    headings: int
    _years: list[int] | None = field(default=None, repr=False, compare=False)

    def exploded(self, mesh: MeshVocabulary) -> DatedLiterature:
        """The same abstracts, each also indexed under every MeSH ancestor of its headings.

        That is PubMed's default "explode" search: an abstract on Parkinson Disease counts for
        Parkinsonian Disorders too.
        """
        docs = {
            pmid: (year, ids.union(*(mesh.ancestors(i) for i in ids)))
            for pmid, (year, ids) in self.docs.items()
        }
        return DatedLiterature(docs, self.undated, self.unmapped, self.headings)

    def graph(self, before: int, mesh: MeshVocabulary) -> CooccurrenceGraph:
        """Co-occurrence of the headings of the abstracts published before ``before``."""
        per_doc = {pmid: ids for pmid, (year, ids) in sorted(self.docs.items()) if year < before}
        seen = sorted(set().union(*per_doc.values())) if per_doc else []
        return CooccurrenceGraph(per_doc, {i: _entity(i, mesh) for i in seen})

    def years(self) -> list[int]:
        """Publication year of every dated abstract, sorted."""
        if self._years is None:
            self._years = sorted(year for year, _ in self.docs.values())
        return self._years


def _entity(mesh_id: str, mesh: MeshVocabulary) -> Entity:
    # Types from the MeSH tree (C/F03 disease, D chemical); anatomy, genes-as-concepts and the
    # rest have no type of their own in the project's vocabulary.
    kind = mesh.entity_type(mesh_id) or EntityType.OTHER
    return Entity(id=mesh_id, name=mesh.name(mesh_id) or mesh_id, type=kind)


def read_pubmedqa_meshes(path: Path, mesh: MeshVocabulary) -> DatedLiterature:
    """PQA-L entries as dated MeSH-indexed abstracts (see the module docstring)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        by_name = _names(mesh)
        docs: dict[str, tuple[int, frozenset[str]]] = {}
        undated, headings, unmapped = 0, 0, Counter[str]()
        for pmid in sorted(entries):
            entry = entries[pmid]
            year = entry.get("YEAR")
            if not year:
                undated += 1
                continue
            names = entry["MESHES"]
            headings += len(names)
            unmapped.update(n for n in names if n.lower() not in by_name)
            ids = frozenset(by_name[n.lower()] for n in names if n.lower() in by_name)
            docs[pmid] = (int(year), ids)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise TimeSliceDataError(
            f"{path}: expected PubMedQA's ori_pqal.json (PMID -> object with MESHES, a list "
            f"of MeSH heading names, and YEAR): {exc!r}"
        ) from exc
    logger.info(
        "dated literature: %d abstracts with a year (%d without), %d of %d headings unmapped",
        len(docs),
        undated,
        sum(unmapped.values()),
        headings,
    )
    return DatedLiterature(docs, undated, unmapped, headings)


def _names(mesh: MeshVocabulary) -> dict[str, str]:
    """Lower-cased preferred name -> id; a name shared by several ids keeps the first."""
    by_name: dict[str, str] = {}
    for mesh_id in mesh.ids():
        name = mesh.name(mesh_id)
        if name is not None:
            by_name.setdefault(name.lower(), mesh_id)
    return by_name
