"""Mark entity mentions inside untrusted passages, escaping everything else.

Abstracts are untrusted: the text is split at the marks first, every piece is escaped, and
only then are the ``<mark>`` tags added, so no input can produce markup.

Two ways to find what to mark: the mentions the corpus annotates (offsets into the passage,
stored with each evidence row since migration 0005), or, for passages recorded without
them, case-insensitive matches of the hypothesis's entity names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from markupsafe import Markup, escape


class Mention(Protocol):
    """What the highlighter reads of a mention (``agent.types.EvidenceMention`` and the API's
    ``MentionOut`` both fit)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def entity_ids(self) -> list[str]: ...
    @property
    def type(self) -> str: ...


_TYPE = re.compile(r"[a-z_]{1,32}")


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


def usable_mentions(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions inside ``text`` in reading order, without overlaps.

    Where spans overlap (a corpus may nest one mention in another), the one starting first
    wins, the longer one on a tie; spans outside the text are left out.
    """
    ordered = sorted(
        (m for m in mentions if 0 <= m.start < m.end <= len(text)),
        key=lambda m: (m.start, -m.end),
    )
    kept: list[Mention] = []
    for m in ordered:
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    return kept


def highlight_mentions(
    text: str, mentions: Sequence[Mention], focus_ids: Collection[str], names: Iterable[str]
) -> Markup:
    """``text`` escaped, every annotated mention in ``<mark class="m-TYPE">``.

    Mentions of an entity in ``focus_ids`` (the hypothesis's subject and object, matched by
    id whatever the surface form: "Li" for lithium) also get the class ``focus``. The title
    attribute lists the mention's ids. A passage without usable mentions falls back to
    :func:`highlight` on ``names``.
    """
    spans = usable_mentions(text, mentions)
    if not spans:
        return highlight(text, names)
    focus = set(focus_ids)
    pieces: list[str] = []
    last = 0
    for m in spans:
        kind = str(m.type) if _TYPE.fullmatch(str(m.type)) else "other"
        classes = f"m-{kind} focus" if focus.intersection(m.entity_ids) else f"m-{kind}"
        title = escape(", ".join(m.entity_ids) or "not linked")
        pieces.append(str(escape(text[last : m.start])))
        pieces.append(
            f'<mark class="{classes}" title="{title}">{escape(text[m.start : m.end])}</mark>'
        )
        last = m.end
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))


_PMID = re.compile(r"^\d{1,10}$")


def pubmed_url(pmid: str) -> str | None:
    """The PubMed page of a numeric PMID; None for anything else (never a crafted URL)."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if _PMID.match(pmid) else None
