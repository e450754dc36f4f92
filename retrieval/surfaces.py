"""Surface forms of entity names: normalisation, tokens and per-id naming from mentions.

Normalisation folds case, treats hyphens and dashes as spaces and collapses whitespace, so
"Alpha-Methyldopa", "alpha methyldopa" and "alpha -  methyldopa" share one key. Text is cut
into word tokens (runs of letters and digits) and single punctuation marks; a dictionary key is
the tuple of a name's tokens, which makes every match start and end on a token boundary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import TypeVar

from retrieval.pubtator import Mention

T = TypeVar("T")

# Hyphen-minus, the Unicode hyphens and dashes, and the minus sign: all separate words alike.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_TOKEN = re.compile(rf"\w+|[^\w\s{re.escape(_DASHES)}]")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """``(casefolded token, start, end)`` for each word or punctuation mark of ``text``."""
    return [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def key(text: str) -> tuple[str, ...]:
    """The dictionary key of a name: its casefolded tokens, dashes and spacing dropped."""
    return tuple(m.group().casefold() for m in _TOKEN.finditer(text))


def normalize(text: str) -> str:
    """A readable form of :func:`key`: ``"5-FU"`` -> ``"5 fu"``."""
    return " ".join(key(text))


def named_ids(mention: Mention) -> Iterator[tuple[str, str]]:
    """Pair each id of a mention with the surface naming it.

    A composite mention ("renal and hepatic failure", ids ``D058186|D017093``) names each id
    by its individual part when the corpus lists them; otherwise every id gets the whole text.
    """
    if len(mention.ids) > 1 and len(mention.parts) == len(mention.ids):
        yield from zip(mention.ids, mention.parts, strict=True)
    else:
        for entity_id in mention.ids:
            yield entity_id, mention.text


def most_common(counts: Counter[T]) -> T:
    """The most frequent key; ties go to the smallest as a string, independent of order."""
    best = max(counts.values())
    return min((k for k, n in counts.items() if n == best), key=str)
