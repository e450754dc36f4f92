"""One entry point for every literature format: ``read_corpus(path, format="auto")``.

| format | reader | recognised by |
|---|---|---|
| ``pubtator`` | `retrieval.pubtator.read_pubtator` | ``.pubtator``; first line ``PMID|t|...`` |
| ``jsonl`` | `retrieval.jsonl.read_jsonl` | ``.jsonl``/``.ndjson``; first line ``{`` |
| ``pubmed-xml`` | `retrieval.pubmed.read_pubmed_xml` | ``.xml``; first line ``<`` |
| ``medline`` | `retrieval.pubmed.read_medline` | ``.medline``/``.nbib``; first line ``PMID- `` |
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from retrieval.jsonl import read_jsonl
from retrieval.pubmed import read_medline, read_pubmed_xml
from retrieval.pubtator import CorpusFormatError, Document, read_pubtator

Reader = Callable[[str | os.PathLike[str]], Iterator[Document]]

READERS: dict[str, Reader] = {
    "pubtator": read_pubtator,
    "jsonl": read_jsonl,
    "pubmed-xml": read_pubmed_xml,
    "medline": read_medline,
}
_EXTENSIONS = {
    ".pubtator": "pubtator",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "pubmed-xml",
    ".medline": "medline",
    ".nbib": "medline",
}
_SNIFFERS = [
    (re.compile(r"^[^|\t]+\|t\|"), "pubtator"),
    (re.compile(r"^\s*\{"), "jsonl"),
    (re.compile(r"^\s*<"), "pubmed-xml"),
    (re.compile(r"^PMID- "), "medline"),
]


def read_corpus(path: str | os.PathLike[str], format: str = "auto") -> Iterator[Document]:
    """Read documents from a file in any supported format.

    Args:
        path: the corpus file.
        format: one of ``READERS`` or ``"auto"`` (by extension, then by the first line).

    Raises:
        CorpusFormatError: an unknown ``format``, or ``"auto"`` could not tell (a
            ``ValueError``), or the file breaks its format.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"corpus file {path} does not exist")
    chosen = detect_format(path) if format == "auto" else format
    if chosen not in READERS:
        raise CorpusFormatError(
            path,
            None,
            f"unknown corpus `format` {format!r}; use one of {', '.join(READERS)} or 'auto'",
        )
    return READERS[chosen](path)


def detect_format(path: Path) -> str:
    """The format of ``path`` by its extension, else by its first non-blank line."""
    suffix = path.suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = next((line for line in handle if line.strip()), "")
    for pattern, name in _SNIFFERS:
        if pattern.match(first):
            return name
    raise CorpusFormatError(
        path,
        None,
        f"cannot tell the format from the extension or the first line {first[:60]!r}; "
        f"set the format (`corpus.format` in a run config) to one of {', '.join(READERS)}",
    )
