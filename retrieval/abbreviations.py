"""Abbreviations defined in running text: "5-fluorouracil (5-FU)".

A light form of the Schwartz & Hearst (2003) rule: a short parenthesised token run right after
a recognised long form, with a letter in it, whose first letter or digit is the long form's
first character. Used by :meth:`retrieval.lexicon.EntityLexicon.find_mentions` so that later
uses of the abbreviation in the same text link to the long form's entity.
"""

from __future__ import annotations

# Longest abbreviation accepted, in characters and in tokens ("HNF-6" is 3 tokens).
MAX_CHARS = 10
MAX_TOKENS = 5


def defined_abbreviations(
    text: str, toks: list[tuple[str, int, int]], start: int, end: int
) -> list[tuple[str, ...]]:
    """Keys of an abbreviation defined right after the long form ``toks[start:end]``.

    Args:
        text: the text the tokens come from.
        toks: ``(casefolded token, start, end)`` from `retrieval.surfaces.tokens`.
        start: first token of the long form.
        end: one past its last token.

    Returns:
        ``[key]`` when ``toks[end]`` opens a parenthesis holding an abbreviation, else ``[]``.
    """
    if end >= len(toks) or toks[end][0] != "(":
        return []
    close = next(
        (j for j in range(end + 1, min(len(toks), end + 2 + MAX_TOKENS)) if toks[j][0] == ")"),
        None,
    )
    if close is None or close == end + 1:
        return []
    raw = text[toks[end + 1][1] : toks[close - 1][2]]
    first = next((c for c in raw if c.isalnum()), "")
    if (
        len(raw) > MAX_CHARS
        or " " in raw
        or not any(c.isalpha() for c in raw)
        or first.casefold() != text[toks[start][1]].casefold()
    ):
        return []
    return [tuple(t for t, _, _ in toks[end + 1 : close])]
