"""Helpers for the rl tests: read BC5CDR facts straight from the file, build hypotheses."""

from __future__ import annotations

from pathlib import Path

from agent.types import Entity, EntityType, Hypothesis, Provenance, Relation


def read_cid_pairs(path: Path) -> list[tuple[str, str, str]]:
    """``(pmid, chemical, disease)`` of every CID line, read straight from the file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[1] == "CID":
            rows.append((fields[0], f"MESH:{fields[2]}", f"MESH:{fields[3]}"))
    return rows


def read_mentions(path: Path) -> dict[str, dict[str, str]]:
    """``pmid -> {namespaced id: entity type}`` of singly-linked mentions, read directly."""
    found: dict[str, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 6 and fields[5] not in ("-1",) and "|" not in fields[5]:
            found.setdefault(fields[0], {})[f"MESH:{fields[5]}"] = fields[4]
    return found


def hypothesis(chemical: str, disease: str, **scores: float) -> Hypothesis:
    """A chemical-induces-disease hypothesis on real MeSH ids (names are the ids)."""
    return Hypothesis(
        subject=Entity(id=chemical, name=chemical, type=EntityType.CHEMICAL),
        relation=Relation.INDUCES,
        object=Entity(id=disease, name=disease, type=EntityType.DISEASE),
        scores=scores,
        provenance=Provenance(generator="test"),
    )
