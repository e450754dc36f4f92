"""JSON Lines corpora: one document object per line.

Each line holds ``{"pmid", "title", "abstract", "mentions"?, "relations"?}``. A mention is
``{"start", "end", "text", "type", "ids"?, "parts"?}`` with offsets into
``title + " " + abstract`` (as in PubTator); ``type`` is a PubTator type ("Chemical") or a
project type ("chemical"), and ids may be bare ("D008094") or namespaced ("MESH:D008094").
Extra keys are ignored, so files with a "year" or "journal" field read as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agent.types import EntityType
from retrieval.ids import SOURCE_TYPES, entity_type_for, namespace_id
from retrieval.pubtator import CorpusFormatError, Document, Mention, SourceRelation, span_problem


class _MentionIn(BaseModel):
    start: int
    end: int
    text: str
    type: str
    ids: list[str] = []
    parts: list[str] = []


class _RelationIn(BaseModel):
    type: str
    id1: str
    id2: str
    novelty: str | None = None


class _DocumentIn(BaseModel):
    pmid: str | int
    title: str
    abstract: str = ""
    mentions: list[_MentionIn] = []
    relations: list[_RelationIn] = []


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield the documents of a JSON Lines file; blank lines are skipped.

    Raises:
        CorpusFormatError: naming the line and the field that is wrong, after yielding the
            documents before it.
    """
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if line.strip():
                yield _document(line, path, lineno)


def write_jsonl(documents: Iterable[Document], path: str | os.PathLike[str]) -> int:
    """Write documents as JSON Lines readable by :func:`read_jsonl`; returns how many."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for doc in documents:
            record = {
                "pmid": doc.pmid,
                "title": doc.title,
                "abstract": doc.abstract,
                "mentions": [
                    {
                        "start": m.start,
                        "end": m.end,
                        "text": m.text,
                        "type": m.source_type,
                        "ids": list(m.ids),
                        "parts": list(m.parts),
                    }
                    for m in doc.mentions
                ],
                "relations": [
                    {"type": r.type, "id1": r.id1, "id2": r.id2, "novelty": r.novelty}
                    for r in doc.relations
                ],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _document(line: str, path: Path, lineno: int) -> Document:
    try:
        raw = _DocumentIn.model_validate_json(line)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(the line)"
        if error["type"] == "json_invalid":
            problem = f"is not valid JSON ({error['msg']})"
        else:
            problem = f"field `{where}`: {error['msg']} (got {error.get('input')!r:.60})"
        raise CorpusFormatError(path, lineno, problem) from None
    doc = Document(str(raw.pmid), raw.title, raw.abstract, source=path.name)
    mentions = tuple(_mention(m, i, doc.text, path, lineno) for i, m in enumerate(raw.mentions))
    relations = tuple(SourceRelation(r.type, r.id1, r.id2, r.novelty) for r in raw.relations)
    return Document(doc.pmid, doc.title, doc.abstract, mentions, relations, path.name)


def _mention(m: _MentionIn, index: int, text: str, path: Path, lineno: int) -> Mention:
    problem = span_problem(text, m.start, m.end, m.text)
    if problem:
        raise CorpusFormatError(path, lineno, f"field `mentions.{index}`: {problem}")
    entity_type = entity_type_for(m.type)
    if entity_type is None and m.type in {t.value for t in EntityType}:
        entity_type = EntityType(m.type)
    if entity_type is None:
        known = sorted({*SOURCE_TYPES, *(t.value for t in EntityType)})
        raise CorpusFormatError(
            path,
            lineno,
            f"field `mentions.{index}.type`: unknown type {m.type!r}; "
            f"expected one of {', '.join(known)}",
        )
    ids = tuple(i if ":" in i else namespace_id(i, entity_type) for i in m.ids if i.strip())
    return Mention(m.start, m.end, m.text, m.type, entity_type, ids, tuple(m.parts))
