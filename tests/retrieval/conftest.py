"""Fixtures for retrieval tests: small real slices of the shared corpora, one shared embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

from retrieval.embeddings import load_embedder
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator
from tests.conftest import first_documents


@pytest.fixture(scope="session")
def bc5cdr_docs(bc5cdr_train: Path) -> list[Document]:
    """The whole BC5CDR training split (490 documents, read in about 0.1 s)."""
    return list(read_pubtator(bc5cdr_train))


@pytest.fixture(scope="session")
def biored_docs(biored_train: Path) -> list[Document]:
    return list(read_pubtator(biored_train))


@pytest.fixture(scope="session")
def mesh(data_dir: Path) -> MeshVocabulary:
    return MeshVocabulary.load(data_dir)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformer:
    """One all-MiniLM-L6-v2 model for the whole session (loading takes a few seconds)."""
    return load_embedder()


@pytest.fixture()
def bc5cdr_slice(bc5cdr_train: Path, tmp_path: Path) -> Path:
    """The first five BC5CDR training documents as their own file."""
    return first_documents(bc5cdr_train, 5, tmp_path / "slice.PubTator")
