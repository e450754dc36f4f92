"""Entity types and identifier namespaces of the annotated corpora.

PubTator files carry bare identifiers whose system depends on the mention type: MeSH for
chemicals and diseases, NCBI Gene, NCBI Taxonomy, Cellosaurus, dbSNP or tmVar strings. The
project uses namespaced ids (``MESH:D008094``, ``NCBIGene:7124``); this module maps one to the
other. Quirks handled here come from the data READMEs: ``-1`` (BC5CDR) and ``-`` (BioRED) mean
"not normalised", BC5CDR joins several ids with ``|`` and BioRED with ``,``, tmVar variant ids
contain ``|`` themselves, and a few Cellosaurus ids carry a leading space.
"""

from __future__ import annotations

import re

from agent.types import KNOWN_PREFIXES, EntityType

# PubTator mention types (BC5CDR, BioRED, and the PubTator3 export names) -> project type.
SOURCE_TYPES: dict[str, EntityType] = {
    "Chemical": EntityType.CHEMICAL,
    "ChemicalEntity": EntityType.CHEMICAL,
    "Disease": EntityType.DISEASE,
    "DiseaseOrPhenotypicFeature": EntityType.DISEASE,
    "Gene": EntityType.GENE,
    "GeneOrGeneProduct": EntityType.GENE,
    "SequenceVariant": EntityType.VARIANT,
    "Mutation": EntityType.VARIANT,
    "DNAMutation": EntityType.VARIANT,
    "ProteinMutation": EntityType.VARIANT,
    "SNP": EntityType.VARIANT,
    "Species": EntityType.SPECIES,
    "OrganismTaxon": EntityType.SPECIES,
    "CellLine": EntityType.CELL_LINE,
}

UNLINKED = frozenset({"-1", "-", ""})

_PREFIX_BY_TYPE = {
    EntityType.CHEMICAL: "MESH",
    EntityType.DISEASE: "MESH",
    EntityType.GENE: "NCBIGene",
    EntityType.SPECIES: "NCBITaxon",
}
_MESH_LOCAL = re.compile(r"^[CD]\d+$")
_ALREADY_NAMESPACED = re.compile(r"^[A-Za-z][A-Za-z_.]*:\S")


def entity_type_for(source_type: str) -> EntityType | None:
    """The project type of a PubTator mention type, or None when the type is unknown."""
    return SOURCE_TYPES.get(source_type.strip())


def namespace_id(raw: str, entity_type: EntityType) -> str:
    """Prefix one bare identifier with its namespace, e.g. ``D008094`` -> ``MESH:D008094``.

    Identifiers that already carry a namespace (BioRED's ``OMIM:613659``) are kept as they are.
    Cellosaurus accessions lose their ``CVCL_`` stem: ``CVCL_1452`` -> ``CVCL:1452``.
    """
    raw = raw.strip()
    if entity_type is EntityType.VARIANT:
        return f"DBSNP:{raw}" if re.fullmatch(r"rs\d+", raw) else f"TMVAR:{raw}"
    if _ALREADY_NAMESPACED.match(raw) and not raw.startswith("CVCL_"):
        return raw
    if entity_type is EntityType.CELL_LINE:
        return f"CVCL:{raw.removeprefix('CVCL_')}"
    prefix = _PREFIX_BY_TYPE.get(entity_type)
    return f"{prefix}:{raw}" if prefix else raw


def split_ids(field: str, entity_type: EntityType) -> tuple[str, ...]:
    """Split a PubTator id column into namespaced ids, dropping the unlinked markers.

    Commas separate ids in every type; ``|`` does too except in variants, where it is part of
    the tmVar id (``c|DEL|1314_1328|``).
    """
    separators = r"," if entity_type is EntityType.VARIANT else r"[,|]"
    parts = (p.strip() for p in re.split(separators, field))
    return tuple(namespace_id(p, entity_type) for p in parts if p not in UNLINKED)


def guess_namespace(raw: str) -> str:
    """Namespace a relation id that no mention in its document explains (a fallback)."""
    raw = raw.strip()
    if _MESH_LOCAL.match(raw):
        return f"MESH:{raw}"
    if re.fullmatch(r"rs\d+", raw):
        return f"DBSNP:{raw}"
    if raw.isdigit():
        return f"NCBIGene:{raw}"
    if raw.startswith("CVCL_"):
        return f"CVCL:{raw.removeprefix('CVCL_')}"
    if _ALREADY_NAMESPACED.match(raw) and "|" not in raw:
        return raw
    return f"TMVAR:{raw}"


def has_known_prefix(entity_id: str) -> bool:
    """True when ``agent.types.Entity`` accepts the id's namespace (OMIM, for one, it does not)."""
    prefix, sep, local = entity_id.partition(":")
    return bool(sep and local) and prefix in KNOWN_PREFIXES
