"""Render Prolog proof steps (lists of atoms from ``rules/kb.pl``) as readable sentences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Namer = Callable[[str], str]

_LEVEL_WORDS = {
    "exact": "the same disease",
    "narrower": "a narrower concept (a descendant in MeSH)",
    "broader": "a broader concept (an ancestor in MeSH)",
    "sibling": "a sibling concept (same MeSH parent)",
    "class": "the same disease, by a chemical of the same MeSH class (a class effect)",
}


def relation_words(relation: str) -> str:
    return relation.replace("_", " ")


def render_step(step: Sequence[Any], label: Namer) -> str:
    """One proof step as a sentence; ``label`` turns an id into ``Name (ID)``."""
    kind, args = str(step[0]), list(step[1:])
    if kind == "typed_tree":
        entity, etype, tree = args
        return f"{label(entity)} is a {etype}: MeSH tree number {tree}"
    if kind == "typed_declared":
        entity, etype = args
        return f"{label(entity)} is a {etype}: type declared by the corpus annotation"
    if kind == "typed_hypothesis":
        entity, etype = args
        return (
            f"{label(entity)} is a {etype}: type given by the hypothesis "
            "(no MeSH tree number or corpus type in the knowledge base)"
        )
    if kind == "untyped":
        return f"{label(args[0])} has no MeSH tree number and no declared type"
    if kind == "fact":
        subject, relation, obj = args
        return f"known fact: {label(subject)} {relation_words(relation)} {label(obj)}"
    if kind == "parent":
        child, child_tree, parent, parent_tree = args
        return f"{label(child)} is-a {label(parent)}: tree number {child_tree} under {parent_tree}"
    if kind == "no_rule":
        relation, allowed = args
        pairs = ", ".join(f"({s}, {o})" for s, o in allowed)
        return f"no rule well_typed({relation}, ...) fits these types; {relation} takes {pairs}"
    if kind == "rule":
        return _render_rule(args)
    return " ".join(str(part) for part in step)


def _render_rule(args: list[Any]) -> str:
    name = str(args[0])
    if name == "well_typed":
        relation, subject_type, object_type = args[1:]
        return f"rule well_typed({relation}, {subject_type}, {object_type})"
    if name == "well_typed_symmetric":
        relation, subject_type, object_type = args[1:]
        return (
            f"rule well_typed({relation}, {subject_type}, {object_type}), read backwards: "
            f"{relation_words(relation)} is symmetric"
        )
    if name == "symmetric":
        return f"rule symmetric({args[1]}): the relation holds in both directions"
    if name == "known":
        level = str(args[1])
        if level == "exact":
            return "rule known(S, R, O) :- fact(S, R, O)"
        if level == "narrower":
            return "rule known_narrower(S, R, O) :- fact(S, R, D), ancestor(D, O)"
        return "rule known_broader(S, R, O) :- fact(S, R, A), ancestor(O, A)"
    if name == "contradicts":
        relation, opposite, level = (str(a) for a in args[1:])
        return (
            f"rule contradicts({relation}, {opposite}): {relation_words(opposite)} is known for "
            f"{_LEVEL_WORDS.get(level, level)}"
        )
    return "rule " + " ".join(str(a) for a in args)


def render_proof(steps: Sequence[Sequence[Any]], label: Namer) -> list[str]:
    return [render_step(step, label) for step in steps]


def level_words(level: str) -> str:
    return _LEVEL_WORDS.get(level, level)
