"""CSV and JSON renderings of an export, streamed row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

COLUMNS = [
    "id",
    "text",
    "subject_id",
    "subject",
    "relation",
    "object_id",
    "object",
    "status",
    "verdict",
    "score",
    "scores",
    "reviewer",
    "decision_comment",
    "decided_at",
    "cited_pmids",
    "evidence_pmids",
    "outcome",
    "run",
    "version",
]
# Spreadsheets run cells starting with these as formulas (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def to_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one record per line."""
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(row, sort_keys=True)
    yield "\n]\n"
