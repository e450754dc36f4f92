"""Mark entity names inside untrusted passages, escaping everything else.

Abstracts are untrusted: the text is split at the matches first, every piece is escaped,
and only then are the ``<mark>`` tags added, so no input can produce markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape


def highlight(text: str, names: Iterable[str]) -> Markup:
    """``text`` escaped, with case-insensitive occurrences of ``names`` in ``<mark>``.

    Longer names win where two overlap ("lithium carbonate" before "lithium").
    """
    terms = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not terms:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))


_PMID = re.compile(r"^\d{1,10}$")


def pubmed_url(pmid: str) -> str | None:
    """The PubMed page of a numeric PMID; None for anything else (never a crafted URL)."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if _PMID.match(pmid) else None
