"""Read PubTator files (BC5CDR, BioRED) into documents with typed, namespaced mentions.

A document is a block of lines ended by a blank line::

    PMID|t|title
    PMID|a|abstract
    PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>ids[<TAB>individual mentions]   (mention)
    PMID<TAB>type<TAB>id1<TAB>id2[<TAB>Novel|No]                                 (relation)

Offsets index ``title + " " + abstract`` and every mention is checked against that string.
The reader streams: documents before a malformed line are yielded, then
:class:`PubTatorFormatError` names the file, the line and what was expected.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.types import EntityType
from retrieval.ids import SOURCE_TYPES, entity_type_for, guess_namespace, split_ids

logger = logging.getLogger(__name__)

_TITLE = re.compile(r"^([^|\t]+)\|t\|(.*)$")
_ABSTRACT = re.compile(r"^([^|\t]+)\|a\|(.*)$")


@dataclass(frozen=True)
class Mention:
    """One annotated span of ``Document.text``; ``ids`` is empty for unlinked mentions."""

    start: int
    end: int
    text: str
    source_type: str
    entity_type: EntityType
    ids: tuple[str, ...]
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceRelation:
    """A document-level relation as the corpus states it (``CID``, ``Association``, ...)."""

    type: str
    id1: str
    id2: str
    novelty: str | None = None


@dataclass(frozen=True)
class Document:
    """A title and abstract with their annotations; offsets index :attr:`text`."""

    pmid: str
    title: str
    abstract: str
    mentions: tuple[Mention, ...] = ()
    relations: tuple[SourceRelation, ...] = ()
    source: str = ""

    @property
    def text(self) -> str:
        """``title + " " + abstract``: the string PubTator offsets count over."""
        return f"{self.title} {self.abstract}"


class CorpusFormatError(ValueError):
    """A corpus file does not follow its format; the message names the file and line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}, line {line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {problem}")


class PubTatorFormatError(CorpusFormatError):
    """A PubTator file is malformed at ``line`` of ``path``."""


@dataclass
class _Block:
    """The document being read, with the raw-id -> namespaced-id map its relations need."""

    pmid: str
    title: str
    lineno: int
    abstract: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    raw_relations: list[tuple[list[str], int]] = field(default_factory=list)
    id_map: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.title} {self.abstract}"


def read_pubtator(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield the documents of a PubTator file one by one.

    Args:
        path: a PubTator file; LF or CRLF line ends, UTF-8.

    Raises:
        PubTatorFormatError: at the first malformed line, after yielding the documents before it.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    block: _Block | None = None
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = _decode(raw, path, lineno)
            if not line.strip():
                if block is not None:
                    yield _finish(block, path)
                    block = None
            elif block is None or (block.abstract is not None and _TITLE.match(line)):
                if block is not None:  # a new title without the blank line between blocks
                    yield _finish(block, path)
                block = _start(line, path, lineno)
            else:
                _add_line(block, line, path, lineno)
    if block is not None:
        yield _finish(block, path)


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PubTatorFormatError(
            path, lineno, f"is not UTF-8 ({exc.reason} at byte {exc.start}); re-save as UTF-8"
        ) from exc
    # Only the line end goes: BioRED's CRLF would otherwise leave "\r" on the last field.
    return text.removesuffix("\n").removesuffix("\r")


def _start(line: str, path: Path, lineno: int) -> _Block:
    match = _TITLE.match(line)
    if match is None:
        raise PubTatorFormatError(
            path,
            lineno,
            f"expected a title line 'PMID|t|title' to start a document, got {line!r:.80}",
        )
    return _Block(pmid=match.group(1), title=match.group(2), lineno=lineno)


def _add_line(block: _Block, line: str, path: Path, lineno: int) -> None:
    if block.abstract is None:
        match = _ABSTRACT.match(line)
        if match is None or match.group(1) != block.pmid:
            raise PubTatorFormatError(
                path,
                lineno,
                f"expected the abstract line '{block.pmid}|a|...' after the title, "
                f"got {line!r:.80}",
            )
        block.abstract = match.group(2)
        return
    fields = line.split("\t")
    if fields[0] != block.pmid:
        raise PubTatorFormatError(
            path,
            lineno,
            f"annotation for PMID {fields[0]!r:.20} inside document {block.pmid}; "
            "is the blank line between documents missing?",
        )
    if len(fields) in (6, 7) or (len(fields) > 1 and fields[1].strip().lstrip("-").isdigit()):
        block.mentions.append(_mention(fields, block, path, lineno))
    elif len(fields) in (4, 5):
        block.raw_relations.append((fields, lineno))
    else:
        raise PubTatorFormatError(
            path,
            lineno,
            f"expected a mention (6-7 tab-separated fields) or a relation (4-5), "
            f"got {len(fields)} field(s): {line!r:.80}",
        )


def _mention(fields: list[str], block: _Block, path: Path, lineno: int) -> Mention:
    if len(fields) not in (6, 7):
        raise PubTatorFormatError(
            path,
            lineno,
            "expected 6 or 7 tab-separated fields in a mention line (PMID, start, "
            f"end, text, type, ids[, individual mentions]), got {len(fields)}: "
            f"{chr(9).join(fields)!r:.80}",
        )
    start, end = (
        _offset(value, name, path, lineno)
        for value, name in ((fields[1], "start"), (fields[2], "end"))
    )
    problem = span_problem(block.text, start, end, fields[3])
    if problem:
        raise PubTatorFormatError(path, lineno, problem)
    entity_type = entity_type_for(fields[4])
    if entity_type is None:
        raise PubTatorFormatError(
            path,
            lineno,
            f"unknown mention type {fields[4]!r}; expected one of "
            f"{', '.join(sorted(SOURCE_TYPES))}",
        )
    ids = split_ids(fields[5], entity_type)
    _remember_ids(block, fields[5], entity_type)
    parts = tuple(fields[6].split("|")) if len(fields) == 7 else ()
    return Mention(start, end, fields[3], fields[4], entity_type, ids, parts)


def span_problem(text: str, start: int, end: int, surface: str) -> str | None:
    """Why ``text[start:end]`` is not the mention ``surface``, or None when it is."""
    if not 0 <= start < end <= len(text):
        return (
            f"offsets {start}-{end} are not a span of the document text "
            f"(length {len(text)}, title + ' ' + abstract)"
        )
    if text[start:end] != surface:
        return (
            f"mention text {surface!r} does not match the document text at {start}-{end} "
            f"({text[start:end]!r}); offsets must index title + ' ' + abstract"
        )
    return None


def _offset(value: str, name: str, path: Path, lineno: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise PubTatorFormatError(
            path, lineno, f"{name} offset {value!r} is not an integer"
        ) from None


def _remember_ids(block: _Block, id_field: str, entity_type: EntityType) -> None:
    """Map every raw id (and the whole field) to its namespaced form for relation lines."""
    namespaced = split_ids(id_field, entity_type)
    if len(namespaced) == 1:
        block.id_map.setdefault(id_field.strip(), namespaced[0])
    for raw_part in re.split(r"[,|]" if entity_type is not EntityType.VARIANT else ",", id_field):
        single = split_ids(raw_part, entity_type)
        if single:
            block.id_map.setdefault(raw_part.strip(), single[0])


def _finish(block: _Block, path: Path) -> Document:
    if block.abstract is None:
        raise PubTatorFormatError(
            path,
            block.lineno,
            f"document {block.pmid} has a title but no abstract line; "
            f"expected '{block.pmid}|a|...' after it",
        )
    relations = []
    for fields, lineno in block.raw_relations:
        if not fields[1].strip() or not fields[2].strip() or not fields[3].strip():
            raise PubTatorFormatError(
                path,
                lineno,
                "expected a relation 'PMID<TAB>type<TAB>id1<TAB>id2[<TAB>novelty]' "
                f"with no empty field, got {chr(9).join(fields)!r:.80}",
            )
        id1, id2 = (block.id_map.get(raw.strip()) or guess_namespace(raw) for raw in fields[2:4])
        novelty = fields[4].strip() if len(fields) == 5 else None
        relations.append(SourceRelation(fields[1].strip(), id1, id2, novelty))
    return Document(
        pmid=block.pmid,
        title=block.title,
        abstract=block.abstract,
        mentions=tuple(block.mentions),
        relations=tuple(relations),
        source=path.name,
    )
