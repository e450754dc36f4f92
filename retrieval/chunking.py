"""Split documents into retrieval passages that keep their PMID and character offsets.

Passages come from LangChain's recursive character splitter over ``Document.text``
(title + " " + abstract), so ``doc.text[chunk.start:chunk.end] == chunk.text`` always holds
and a passage can be traced back to its sentence in the abstract.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.pubtator import Document

logger = logging.getLogger(__name__)

# Sentence ends before spaces: abstracts have no paragraph breaks, and a passage that ends
# mid-sentence embeds worse than a shorter one that ends at a full stop.
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """A passage of one document; ``chunk_id`` is ``"<pmid>:<start>-<end>"``."""

    chunk_id: str
    pmid: str
    text: str
    start: int
    end: int


def chunk_documents(
    documents: Iterable[Document], chunk_size: int = 1000, chunk_overlap: int = 200
) -> Iterator[Chunk]:
    """Yield the passages of every document, in document order.

    A PMID seen before (BioRED reuses BC5CDR abstracts) is chunked once; the ids are
    deterministic, so the same corpus and settings always give the same chunks.

    Args:
        documents: documents to split.
        chunk_size: maximum passage length in characters.
        chunk_overlap: characters shared by neighbouring passages of a long document.

    Raises:
        ValueError: ``chunk_overlap`` is not smaller than ``chunk_size``.
    """
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError(
            f"`chunk_overlap` must be in [0, chunk_size); got {chunk_overlap} with "
            f"chunk_size {chunk_size}"
        )
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
    )
    seen: set[str] = set()
    for doc in documents:
        if doc.pmid in seen:
            continue
        seen.add(doc.pmid)
        yield from _chunks(doc, splitter)


def _chunks(doc: Document, splitter: RecursiveCharacterTextSplitter) -> Iterator[Chunk]:
    text = doc.text
    for piece in splitter.create_documents([text]):
        start = int(piece.metadata["start_index"])
        end = start + len(piece.page_content)
        if start < 0 or text[start:end] != piece.page_content:
            # The splitter strips whitespace and searches for the piece; if that ever fails,
            # an offset would silently point elsewhere, so skip the piece loudly instead.
            logger.warning("passage of PMID %s not found at %d; skipped", doc.pmid, start)
            continue
        yield Chunk(f"{doc.pmid}:{start}-{end}", doc.pmid, piece.page_content, start, end)
