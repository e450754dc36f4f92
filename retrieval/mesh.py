"""The MeSH 2015 descriptor vocabulary: names, types and the tree hierarchy.

Ids are namespaced (``MESH:D008094``). Types come from the tree: branch ``C`` (diseases) and
``F03`` (mental disorders) are diseases, branch ``D`` is chemicals, the rest has no type here.
The shared tables hold descriptors only; supplementary concepts (``C...`` ids, frequent among
BC5CDR/BioRED chemicals) have no tree numbers and are added from the corpora with
:meth:`MeshVocabulary.add_supplementary` or :meth:`MeshVocabulary.supplement_from`.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from agent.types import EntityType
from retrieval.datadir import require
from retrieval.pubtator import Document
from retrieval.surfaces import most_common, named_ids

logger = logging.getLogger(__name__)

TERMS = "bio/mesh/terms.tsv"
TREE_NUMBERS = "bio/mesh/tree-numbers.tsv"
PREFIX = "MESH:"


class MeshVocabulary:
    """MeSH descriptors with preferred names and tree numbers, plus corpus supplements.

    Build it with :meth:`load`; look ids up with :meth:`name`, :meth:`entity_type`,
    :meth:`parents` and :meth:`ancestors`.
    """

    def __init__(self, names: dict[str, str], trees: dict[str, tuple[str, ...]]) -> None:
        self._names = names
        self._trees = trees
        self._by_tree = {tree: mesh_id for mesh_id, ts in trees.items() for tree in ts}
        self._supplementary: dict[str, EntityType] = {}

    @classmethod
    def load(cls, data_dir: Path | None = None) -> MeshVocabulary:
        """Read ``bio/mesh/terms.tsv`` and ``bio/mesh/tree-numbers.tsv`` from the data directory.

        Args:
            data_dir: the data root (holding ``bio/``); default `retrieval.datadir.data_dir()`.

        Raises:
            DataDirError: the directory or one of the two files is missing.
        """
        root = require([TERMS, TREE_NUMBERS], data_dir)
        names = {PREFIX + row["mesh_id"]: row["mesh_name"] for row in _rows(root / TERMS)}
        trees: dict[str, list[str]] = defaultdict(list)
        for row in _rows(root / TREE_NUMBERS):
            trees[PREFIX + row["mesh_id"]].append(row["mesh_tree_number"])
        logger.info("MeSH: %d descriptors, %d with tree numbers", len(names), len(trees))
        return cls(names, {mesh_id: tuple(sorted(ts)) for mesh_id, ts in trees.items()})

    def __contains__(self, mesh_id: object) -> bool:
        return mesh_id in self._names

    def __len__(self) -> int:
        return len(self._names)

    def ids(self) -> Iterator[str]:
        """Every id, descriptors first, then supplements in the order they were added."""
        return iter(self._names)

    def name(self, mesh_id: str) -> str | None:
        """The preferred name, or None for an unknown id."""
        return self._names.get(mesh_id)

    def tree_numbers(self, mesh_id: str) -> tuple[str, ...]:
        """The id's tree positions (empty for supplements and unknown ids)."""
        return self._trees.get(mesh_id, ())

    def entity_type(self, mesh_id: str) -> EntityType | None:
        """DISEASE under ``C`` or ``F03``, CHEMICAL under ``D``, else None (also unknown ids)."""
        if mesh_id in self._supplementary:
            return self._supplementary[mesh_id]
        trees = self.tree_numbers(mesh_id)
        if any(t.startswith("C") or t.startswith("F03") for t in trees):
            return EntityType.DISEASE
        if any(t.startswith("D") for t in trees):
            return EntityType.CHEMICAL
        return None

    def parents(self, mesh_id: str) -> set[str]:
        """Ids one level up in any of the id's trees (top-level descriptors have none)."""
        parents = set()
        for tree in self.tree_numbers(mesh_id):
            head, dot, _ = tree.rpartition(".")
            if dot and head in self._by_tree:
                parents.add(self._by_tree[head])
        return parents

    def classes(self, mesh_id: str, depth: int) -> set[str]:
        """The descriptors ``depth`` levels from the top above (or at) each of the id's trees.

        ``depth=2`` gives e.g. Liver Diseases (C06.552) for Hepatitis (C06.552.380): the
        broad class an entity belongs to. A tree position shallower than ``depth`` gives none.

        Raises:
            ValueError: ``depth`` is below 1.
        """
        if depth < 1:
            raise ValueError(f"`depth` counts tree levels from 1, got {depth}")
        heads = {".".join(t.split(".")[:depth]) for t in self.tree_numbers(mesh_id)}
        return {self._by_tree[h] for h in heads if h.count(".") == depth - 1 and h in self._by_tree}

    def ancestors(self, mesh_id: str) -> set[str]:
        """Every id above ``mesh_id`` in any tree, not including itself."""
        found: set[str] = set()
        frontier = self.parents(mesh_id)
        while frontier:
            found |= frontier
            frontier = {p for child in frontier for p in self.parents(child)} - found
        return found

    def add_supplementary(self, mesh_id: str, name: str, entity_type: EntityType) -> bool:
        """Add an id the descriptor tables lack (a supplementary ``C...`` concept).

        Returns:
            True when added; False when the id is already known (descriptors are never
            overwritten).

        Raises:
            ValueError: the id is not namespaced ``MESH:...``.
        """
        if not mesh_id.startswith(PREFIX):
            raise ValueError(f"`mesh_id` must be namespaced like 'MESH:C000123', got {mesh_id!r}")
        if mesh_id in self._names:
            return False
        self._names[mesh_id] = name
        self._supplementary[mesh_id] = entity_type
        return True

    def supplement_from(self, documents: Iterable[Document]) -> int:
        """Add every MeSH id the corpus mentions but the tables lack; returns how many.

        Each is typed by its most frequent mention type and named by its most frequent
        surface form (single-id mentions and the individual parts of composite ones).
        """
        types: dict[str, Counter[EntityType]] = defaultdict(Counter)
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        for doc in documents:
            for mention in doc.mentions:
                for mesh_id, surface in named_ids(mention):
                    if mesh_id.startswith(PREFIX) and mesh_id not in self._names:
                        types[mesh_id][mention.entity_type] += 1
                        surfaces[mesh_id][surface] += 1
        for mesh_id in sorted(types):
            self.add_supplementary(
                mesh_id, most_common(surfaces[mesh_id]), most_common(types[mesh_id])
            )
        logger.info("MeSH: added %d supplementary ids from the corpus", len(types))
        return len(types)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t")
