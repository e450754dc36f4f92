"""The relation vocabulary and how each source's relation types map onto it.

| source | source type | project relation | note |
|---|---|---|---|
| BC5CDR | CID | induces | chemical-induced disease |
| BioRED | Positive_Correlation (chemical, disease) | induces | exposure raises the disease |
| BioRED | Negative_Correlation (chemical, disease) | treats | exposure lowers the disease |
| BioRED | Association, other correlations | associated_with | |
| BioRED | Bind, Cotreatment, Drug_Interaction, Comparison, Conversion | interacts_with | |
| PharmacotherapyDB | DM | treats | disease-modifying |
| PharmacotherapyDB | SYM | palliates | symptomatic |
| PharmacotherapyDB | NOT | treats, label False | curated non-indication |
| DisGeNET | any associationType | associated_with | gene-disease |
"""

from __future__ import annotations

from agent.types import EntityType, Relation

_BIORED_INTERACTION = {"Bind", "Cotreatment", "Drug_Interaction", "Comparison", "Conversion"}


def map_relation(
    source_type: str, subject_type: EntityType | None = None, object_type: EntityType | None = None
) -> tuple[Relation, bool]:
    """Map a source relation type to ``(relation, label)``; label False marks a negative.

    Raises:
        ValueError: the source type is unknown, naming the known ones.
    """
    chem_dis = (subject_type, object_type) == (EntityType.CHEMICAL, EntityType.DISEASE)
    if source_type == "CID":
        return Relation.INDUCES, True
    if source_type == "Positive_Correlation":
        return (Relation.INDUCES if chem_dis else Relation.ASSOCIATED_WITH), True
    if source_type == "Negative_Correlation":
        return (Relation.TREATS if chem_dis else Relation.ASSOCIATED_WITH), True
    if source_type == "Association":
        return Relation.ASSOCIATED_WITH, True
    if source_type in _BIORED_INTERACTION:
        return Relation.INTERACTS_WITH, True
    if source_type == "DM":
        return Relation.TREATS, True
    if source_type == "SYM":
        return Relation.PALLIATES, True
    if source_type == "NOT":
        return Relation.TREATS, False
    if source_type == "DisGeNET":
        return Relation.ASSOCIATED_WITH, True
    if source_type in {r.value for r in Relation}:
        return Relation(source_type), True
    known = sorted(
        {
            "CID",
            "Positive_Correlation",
            "Negative_Correlation",
            "Association",
            "DM",
            "SYM",
            "NOT",
            "DisGeNET",
            *_BIORED_INTERACTION,
            *(r.value for r in Relation),
        }
    )
    raise ValueError(f"unknown relation type {source_type!r}; known: {', '.join(known)}")
