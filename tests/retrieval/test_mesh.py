"""MeSH vocabulary against the shared tables (counts from bio/mesh/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.types import EntityType
from retrieval.datadir import DataDirError
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document


def test_counts_match_readme(mesh: MeshVocabulary) -> None:
    assert len(mesh) == 27455
    assert sum(len(mesh.tree_numbers(i)) for i in mesh.ids()) == 56341


def test_names_and_types(mesh: MeshVocabulary) -> None:
    assert mesh.name("MESH:D008094") == "Lithium" and "MESH:D008094" in mesh
    assert mesh.entity_type("MESH:D008094") is EntityType.CHEMICAL
    assert mesh.entity_type("MESH:D006973") is EntityType.DISEASE  # C14
    assert mesh.entity_type("MESH:D003866") is EntityType.DISEASE  # F03: Depressive Disorder
    assert mesh.entity_type("MESH:D003863") is None  # F01: Depression, a behaviour
    assert mesh.name("D008094") is None and mesh.name("MESH:X1") is None  # ids are namespaced


def test_classes_are_the_descriptors_at_a_tree_depth(mesh: MeshVocabulary) -> None:
    assert mesh.classes("MESH:D006505", 2) == {"MESH:D008107"}  # Hepatitis: Liver Diseases
    assert mesh.classes("MESH:D008107", 2) == {"MESH:D008107"}  # a class is its own
    assert mesh.classes("MESH:D004066", 2) == set()  # C06 itself is above depth 2
    assert mesh.classes("MESH:D006505", 1) == {"MESH:D004066"}  # Digestive System Diseases
    assert mesh.classes("MESH:X1", 2) == set()
    with pytest.raises(ValueError, match="counts tree levels from 1"):
        mesh.classes("MESH:D006505", 0)


def test_hierarchy(mesh: MeshVocabulary) -> None:
    assert mesh.tree_numbers("MESH:D006973") == ("C14.907.489",)
    assert mesh.parents("MESH:D006973") == {"MESH:D014652"}  # Vascular Diseases
    names = {mesh.name(a) for a in mesh.ancestors("MESH:D003866")}
    assert names == {"Mood Disorders", "Mental Disorders"}
    lithium_parents = {mesh.name(p) for p in mesh.parents("MESH:D008094")}
    assert lithium_parents == {"Metals, Light", "Metals, Alkali"}  # four tree positions


def test_supplementary_ids_from_corpus(bc5cdr_docs: list[Document], data_dir: Path) -> None:
    vocab = MeshVocabulary.load(data_dir)  # a fresh copy: the session one stays unmodified
    assert "MESH:C004656" not in vocab
    added = vocab.supplement_from(bc5cdr_docs)
    assert added == len(vocab) - 27455 > 100
    # Mentioned as Chloroacetaldehyde x1, chloroacetaldehyde x1, CAA x4 in PMID 2505783.
    assert vocab.name("MESH:C004656") == "CAA"
    assert vocab.entity_type("MESH:C004656") is EntityType.CHEMICAL
    assert vocab.tree_numbers("MESH:C004656") == ()
    assert not vocab.add_supplementary("MESH:D008094", "Li", EntityType.DISEASE)
    assert vocab.name("MESH:D008094") == "Lithium"
    with pytest.raises(ValueError, match="namespaced like 'MESH:C000123', got 'C000123'"):
        vocab.add_supplementary("C000123", "x", EntityType.CHEMICAL)


def test_missing_data_dir_is_explained(tmp_path: Path) -> None:
    with pytest.raises(DataDirError, match=r"(?s)missing:.*bio/mesh/terms.tsv"):
        MeshVocabulary.load(tmp_path)
