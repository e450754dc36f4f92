"""PubMed exports: XML (``efetch rettype=xml``) and MEDLINE text (``rettype=medline``).

Both are parsed with Biopython on local files, offline: ``Bio.Entrez.read`` validates the
XML against the PubMed DTD that Biopython ships, ``Bio.Medline.parse`` reads tagged records.
Documents carry no mentions; annotate them with
:meth:`retrieval.lexicon.EntityLexicon.find_mentions` when needed.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from Bio import Entrez, Medline
from Bio.Entrez.Parser import CorruptedXMLError, NotXMLError, ValidationError

from retrieval.pubtator import CorpusFormatError, Document

logger = logging.getLogger(__name__)

_MEDLINE_TAG = re.compile(r"^[A-Z][A-Z0-9]{0,3} *- ")


def read_pubmed_xml(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield the articles of a ``PubmedArticleSet`` XML file (book articles are skipped).

    Abstract sections (BACKGROUND, METHODS, ...) are joined with spaces, without labels.

    Raises:
        CorpusFormatError: the file is not PubMed XML with its DOCTYPE line, or an article
            lacks a PMID or title.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            record = Entrez.read(handle)
    except (
        ValidationError,
        NotXMLError,
        CorruptedXMLError,
        ValueError,
    ) as exc:
        raise CorpusFormatError(
            path,
            None,
            f"is not readable PubMed XML ({exc}); keep the <!DOCTYPE "
            "PubmedArticleSet ...> line that efetch writes, Biopython validates against it",
        ) from exc
    if not isinstance(record, dict) or "PubmedArticle" not in record:
        raise CorpusFormatError(path, None, "has no <PubmedArticleSet> of <PubmedArticle>s")
    if record.get("PubmedBookArticle"):
        logger.warning("%s: skipped %d book articles", path, len(record["PubmedBookArticle"]))
    for number, article in enumerate(record["PubmedArticle"], start=1):
        yield _xml_document(article, number, path)


def _xml_document(article: Any, number: int, path: Path) -> Document:
    try:
        citation = article["MedlineCitation"]
        pmid = str(citation["PMID"]).strip()
        title = str(citation["Article"]["ArticleTitle"]).strip()
    except KeyError as exc:
        raise CorpusFormatError(
            path, None, f"PubmedArticle number {number} lacks {exc.args[0]}"
        ) from None
    sections = citation["Article"].get("Abstract", {}).get("AbstractText", [])
    abstract = " ".join(str(s).strip() for s in sections if str(s).strip())
    return Document(pmid, title, abstract, source=path.name)


def read_medline(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield the records of a MEDLINE text file (``PMID- ``, ``TI  - ``, ``AB  - `` tags).

    Raises:
        CorpusFormatError: a line is neither a ``TAG - value`` line, a six-space continuation
            nor blank, or a record lacks PMID or TI; the message names the line.
    """
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        lines = _CheckedLines(handle, path)
        for record in Medline.parse(lines):
            start = lines.record_start
            if not record.get("PMID") or not record.get("TI"):
                missing = "PMID" if not record.get("PMID") else "TI (title)"
                raise CorpusFormatError(path, start, f"the record starting here has no {missing}")
            yield Document(
                record["PMID"].strip(),
                record["TI"].strip(),
                record.get("AB", "").strip(),
                source=path.name,
            )


class _CheckedLines:
    """Lines of a MEDLINE file, checked one by one, remembering where each record starts."""

    def __init__(self, handle: Any, path: Path) -> None:
        self._handle = handle
        self._path = path
        self.lineno = 0
        self.record_start = 0
        self._in_record = False

    def __iter__(self) -> Iterator[str]:
        for line in self._handle:
            self.lineno += 1
            if not line.strip():
                self._in_record = False
            elif not line.startswith("      ") and not _MEDLINE_TAG.match(line):
                raise CorpusFormatError(
                    self._path,
                    self.lineno,
                    "expected a MEDLINE 'TAG - value' line, a "
                    f"continuation indented by six spaces, or a blank line; got {line!r:.60}",
                )
            elif not self._in_record:
                self._in_record, self.record_start = True, self.lineno
            yield line
