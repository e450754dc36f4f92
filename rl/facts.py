"""Curated facts a simulated lab answers from, and the loaders that read them.

A fact is ``(subject_id, relation, object_id) -> label``: ``True`` means the source says the
claim holds, ``False`` that it was reviewed and judged not to hold. Every identifier is
namespaced (``MESH:D008094``, ``NCBIGene:7124``) so facts meet the hypotheses' entity ids.

Sources and how they map (see also `agent.relations`):

* PubTator corpora: every document-level relation through `agent.relations.map_relation`
  (BC5CDR ``CID`` -> ``induces``); entity types come from the document's mentions.
* A TSV with columns ``subject relation object label`` (relation from `agent.types.Relation`).
* PharmacotherapyDB: ``DM`` -> treats True, ``SYM`` -> palliates True, ``NOT`` -> treats False.
  Diseases DOID -> MeSH through ``disease_ontology/xrefs.tsv`` (resource ``MSH``; a DOID with
  several MeSH ids gives one fact per id); drugs by exact case-insensitive name match against
  ``mesh/terms.tsv`` (there is no DrugBank -> MeSH table).
* DisGeNET curated: gene ``associated_with`` disease; UMLS CUI -> DOID -> MeSH via the xrefs.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from agent.relations import map_relation
from agent.types import KNOWN_PREFIXES, EntityType, Relation
from retrieval.datadir import require
from retrieval.pubtator import read_pubtator

logger = logging.getLogger(__name__)

FactKey = tuple[str, Relation, str]
Facts = dict[FactKey, bool]

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_TSV_COLUMNS = ("subject", "relation", "object", "label")

# What each curated loader reads, relative to the data directory (the table first).
PHARMACOTHERAPYDB_FILES = (
    "bio/pharmacotherapydb/indications.shared.tsv",
    "bio/disease_ontology/xrefs.tsv",
    "bio/mesh/terms.tsv",
)
DISGENET_FILES = (
    "bio/disgenet_curated/curated_gene_disease_associations.shared.tsv",
    "bio/disease_ontology/xrefs.tsv",
)


class LabDataError(ValueError):
    """A fact file is malformed; ``path``, ``line`` and ``column`` say where."""

    def __init__(self, path: Path, line: int, column: str | None, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        where = f"{path}, line {line}" + (f", column `{column}`" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class MappingStats:
    """How many source identifiers reached MeSH / the project's ids, and how many facts resulted.

    ``subjects_*`` count distinct source subjects (drugs, genes), ``objects_*`` distinct source
    objects (diseases); ``rows_kept`` rows had both ends mapped.
    """

    source: str
    rows_total: int
    rows_kept: int
    subjects_total: int
    subjects_mapped: int
    objects_total: int
    objects_mapped: int
    facts: int

    def summary(self) -> str:
        return (
            f"{self.source}: {self.subjects_mapped}/{self.subjects_total} subjects and "
            f"{self.objects_mapped}/{self.objects_total} objects mapped; "
            f"{self.rows_kept}/{self.rows_total} rows kept as {self.facts} facts"
        )


def add_fact(facts: Facts, key: FactKey, label: bool) -> None:
    """Add a fact; False wins over True so a curated negative is never masked by a positive."""
    facts[key] = label and facts.get(key, True)


# --- PubTator -------------------------------------------------------------------------------


def load_pubtator_facts(path: Path) -> tuple[Facts, MappingStats]:
    """Read every document-level relation of a PubTator file as a fact.

    Relation types map through `agent.relations.map_relation` (BC5CDR ``CID`` -> induces;
    BioRED chemical-disease ``Positive_Correlation`` -> induces, ``Negative_Correlation`` ->
    treats, others as listed there). A pair with a disease is stored disease last.

    Args:
        path: a PubTator file, e.g. ``bc5cdr/CDR_DevelopmentSet.PubTator.txt``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: a relation type is unknown to `agent.relations.map_relation`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"PubTator file {path} does not exist; pass a corpus file path")
    facts: Facts = {}
    rows = 0
    subjects: set[str] = set()
    objects: set[str] = set()
    for doc in pubtator_documents(path):
        for rel_type, id1, id2 in doc.relations:
            rows += 1
            # BioRED lists pair members in no fixed order; the disease is always the object so
            # that directed relations read chemical -> disease (BC5CDR already does).
            if doc.types.get(id1) == EntityType.DISEASE != doc.types.get(id2):
                id1, id2 = id2, id1
            relation, label = map_relation(rel_type, doc.types.get(id1), doc.types.get(id2))
            subjects.add(id1)
            objects.add(id2)
            add_fact(facts, (id1, relation, id2), label)
    stats = MappingStats(
        path.name, rows, rows, len(subjects), len(subjects), len(objects), len(objects), len(facts)
    )
    logger.info("read %d facts from %s", len(facts), path)
    return facts, stats


class DocumentFacts(NamedTuple):
    """The relations of one PubTator document, with each id's entity type and first name."""

    pmid: str
    relations: list[tuple[str, str, str]]
    types: dict[str, EntityType]
    names: dict[str, str]


def pubtator_documents(path: Path) -> Iterator[DocumentFacts]:
    """Yield each document's relations ``(type, id1, id2)`` with namespaced ids.

    Raises:
        retrieval.pubtator.PubTatorFormatError: the file is malformed (names file and line).
    """
    for doc in read_pubtator(path):
        types = {i: m.entity_type for m in doc.mentions for i in m.ids}
        names: dict[str, str] = {}
        for m in doc.mentions:
            for i in m.ids:
                names.setdefault(i, m.text)
        relations = [(r.type, r.id1, r.id2) for r in doc.relations]
        yield DocumentFacts(doc.pmid, relations, types, names)


# --- TSV ------------------------------------------------------------------------------------


def load_tsv_facts(path: Path) -> tuple[Facts, MappingStats]:
    """Read a TSV with header ``subject relation object label`` (extra columns are ignored).

    Subjects and objects are namespaced ids; the relation is a value of `Relation`
    (``induces``, ``treats``, ...); the label is true/false (also 1/0, yes/no).

    Raises:
        LabDataError: naming the file, line and column of the first bad value, or a triple
            given with both labels.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"fact table {path} does not exist; pass a TSV file path")
    facts: Facts = {}
    first_line: dict[FactKey, tuple[int, bool]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in _TSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LabDataError(
                path,
                1,
                None,
                f"header lacks column(s) {', '.join(missing)}; got "
                f"{reader.fieldnames!r}; expected tab-separated {' '.join(_TSV_COLUMNS)}",
            )
        for row in reader:
            line = reader.line_num
            key, label = _parse_tsv_row(path, line, row)
            if key in first_line and first_line[key][1] != label:
                raise LabDataError(
                    path,
                    line,
                    "label",
                    f"{key[0]} {key[1]} {key[2]} is labelled {label} here "
                    f"but {first_line[key][1]} on line {first_line[key][0]}; keep one",
                )
            first_line.setdefault(key, (line, label))
            facts[key] = label
    subjects = {k[0] for k in facts}
    objects = {k[2] for k in facts}
    n = len(first_line)
    stats = MappingStats(
        path.name, n, n, len(subjects), len(subjects), len(objects), len(objects), len(facts)
    )
    return facts, stats


def _parse_tsv_row(path: Path, line: int, row: dict[str, str | None]) -> tuple[FactKey, bool]:
    values = {c: (row.get(c) or "").strip() for c in _TSV_COLUMNS}
    for column in ("subject", "object"):
        prefix, sep, local = values[column].partition(":")
        if not sep or not local or prefix not in KNOWN_PREFIXES:
            raise LabDataError(
                path,
                line,
                column,
                f"{values[column]!r} is not a namespaced id; write it as "
                f"PREFIX:local with PREFIX one of {', '.join(KNOWN_PREFIXES)}",
            )
    try:
        relation = Relation(values["relation"])
    except ValueError:
        known = ", ".join(r.value for r in Relation)
        raise LabDataError(
            path, line, "relation", f"unknown relation {values['relation']!r}; use one of {known}"
        ) from None
    raw = values["label"].lower()
    if raw not in _TRUE | _FALSE:
        raise LabDataError(
            path, line, "label", f"label {values['label']!r} is not true/false (or 1/0, yes/no)"
        )
    return (values["subject"], relation, values["object"]), raw in _TRUE


# --- PharmacotherapyDB and DisGeNET ---------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter="\t")


def doid_to_mesh(root: Path) -> dict[str, list[str]]:
    """``DOID:1234 -> [MESH:D...]`` from the Disease Ontology xrefs (resource MSH)."""
    mapping: dict[str, list[str]] = defaultdict(list)
    for row in _rows(root / "bio/disease_ontology/xrefs.tsv"):
        if row["resource"] == "MSH":
            mapping[row["doid_code"]].append(f"MESH:{row['resource_id']}")
    return dict(mapping)


def umls_to_doid(root: Path) -> dict[str, list[str]]:
    """``C0011860 -> [DOID:9352, ...]`` from the Disease Ontology xrefs (resource UMLS)."""
    mapping: dict[str, list[str]] = defaultdict(list)
    for row in _rows(root / "bio/disease_ontology/xrefs.tsv"):
        if row["resource"] == "UMLS":
            mapping[row["resource_id"]].append(row["doid_code"])
    return dict(mapping)


def mesh_names(root: Path) -> dict[str, str]:
    """Lower-cased MeSH 2015 descriptor name -> ``MESH:D...``."""
    return {
        r["mesh_name"].lower(): f"MESH:{r['mesh_id']}" for r in _rows(root / "bio/mesh/terms.tsv")
    }


_PHARMACO_LABELS = {
    "DM": (Relation.TREATS, True),
    "SYM": (Relation.PALLIATES, True),
    "NOT": (Relation.TREATS, False),
}


def load_pharmacotherapydb_facts(data_dir: Path | None = None) -> tuple[Facts, MappingStats]:
    """PharmacotherapyDB indications as MeSH facts; unmapped drugs or diseases are skipped.

    Args:
        data_dir: the shared data folder (default: `retrieval.datadir.data_dir()`).
    """
    table = PHARMACOTHERAPYDB_FILES[0]
    root = require(PHARMACOTHERAPYDB_FILES, data_dir)
    diseases, names = doid_to_mesh(root), mesh_names(root)
    facts: Facts = {}
    rows = kept = 0
    drugs_seen: dict[str, str | None] = {}
    doids_seen: dict[str, list[str]] = {}
    for row in _rows(root / table):
        rows += 1
        drug = drugs_seen.setdefault(row["drug"].lower(), names.get(row["drug"].lower()))
        mesh_diseases = doids_seen.setdefault(row["doid_id"], diseases.get(row["doid_id"], []))
        if row["category"] not in _PHARMACO_LABELS:
            raise LabDataError(
                root / table,
                rows + 1,
                "category",
                f"unknown category {row['category']!r}; expected DM, SYM or NOT",
            )
        if drug is None or not mesh_diseases:
            continue
        kept += 1
        relation, label = _PHARMACO_LABELS[row["category"]]
        for disease in mesh_diseases:
            add_fact(facts, (drug, relation, disease), label)
    stats = MappingStats(
        "pharmacotherapydb",
        rows,
        kept,
        len(drugs_seen),
        sum(v is not None for v in drugs_seen.values()),
        len(doids_seen),
        sum(bool(v) for v in doids_seen.values()),
        len(facts),
    )
    _warn_unmapped(stats)
    return facts, stats


def load_disgenet_facts(data_dir: Path | None = None) -> tuple[Facts, MappingStats]:
    """DisGeNET curated gene-disease pairs as ``NCBIGene:<id> associated_with MESH:<id>``."""
    table = DISGENET_FILES[0]
    root = require(DISGENET_FILES, data_dir)
    to_doid, to_mesh = umls_to_doid(root), doid_to_mesh(root)
    facts: Facts = {}
    rows = kept = 0
    genes: set[str] = set()
    cuis: dict[str, set[str]] = {}
    for row in _rows(root / table):
        rows += 1
        gene = f"NCBIGene:{row['geneId']}"
        genes.add(gene)
        cui = row["diseaseId"].removeprefix("umls:")
        if cui not in cuis:
            cuis[cui] = {m for d in to_doid.get(cui, []) for m in to_mesh.get(d, [])}
        if not cuis[cui]:
            continue
        kept += 1
        for disease in cuis[cui]:
            add_fact(facts, (gene, Relation.ASSOCIATED_WITH, disease), True)
    stats = MappingStats(
        "disgenet",
        rows,
        kept,
        len(genes),
        len(genes),
        len(cuis),
        sum(bool(v) for v in cuis.values()),
        len(facts),
    )
    _warn_unmapped(stats)
    return facts, stats


def _warn_unmapped(stats: MappingStats) -> None:
    if stats.rows_kept < stats.rows_total:
        logger.warning("%s; unmapped rows are left out of the lab", stats.summary())
