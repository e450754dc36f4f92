"""Turn the knowledge base's raw Prolog answers into ``Verdict`` objects with reasons."""

from __future__ import annotations

from typing import Any

from agent.types import Hypothesis, Verdict
from reasoning.proofs import Namer, level_words, relation_words, render_proof


def typing_verdict(h: Hypothesis, passed: bool, steps: list[Any], label: Namer) -> Verdict:
    proof = render_proof(steps, label)
    relation = h.relation.value
    if passed:
        subject_type, object_type = steps[0][2], steps[1][2]
        reason = (
            f"{h.subject.name} ({subject_type}) and {h.object.name} ({object_type}) fit "
            f"{relation_words(relation)}"
        )
    else:
        allowed = ", ".join(f"{s} -> {o}" for s, o in steps[-1][2])
        reason = (
            f"ill-typed: no type of {h.subject.name} and {h.object.name} fits "
            f"{relation_words(relation)}, which takes {allowed}"
        )
    return Verdict(check="well_typed", passed=passed, reason=reason, proof=proof)


def novelty_verdict(
    h: Hypothesis, level: str | None, steps: list[Any], label: Namer, n_facts: int
) -> Verdict:
    """Exact or narrower knowledge: not novel. Broader: abstain (a refinement). None: novel."""
    proof = render_proof(steps, label)
    claim = h.text()
    if level is None:
        reason = (
            f"novel: none of the {n_facts} known facts states '{claim}', for "
            f"{h.object.name} itself or any MeSH ancestor or descendant of it"
        )
        proof = [
            f"no fact({label(h.subject.id)}, {h.relation.value}, X) with X = "
            f"{label(h.object.id)} or an ancestor or descendant of it",
            "rule novel(S, R, O) :- \\+ known(S, R, O)",
        ]
        return Verdict(check="novel", passed=True, reason=reason, proof=proof)
    fact = proof[0].removeprefix("known fact: ")
    if level == "exact":
        reason = f"already known: {fact}"
        return Verdict(check="novel", passed=False, reason=reason, proof=proof)
    if level == "narrower":
        reason = (
            f"known at a narrower level: {fact}, and {h.object.name} subsumes it, so "
            f"'{claim}' follows"
        )
        return Verdict(check="novel", passed=False, reason=reason, proof=proof)
    reason = (
        f"known at a broader level: {fact}, a broader concept than {h.object.name}; the "
        "specific claim refines it"
    )
    return Verdict(check="novel", passed=None, reason=reason, proof=proof)


def consistency_verdict(
    h: Hypothesis, has_rule: bool, level: str | None, steps: list[Any], label: Namer
) -> Verdict:
    relation = h.relation.value
    if not has_rule:
        reason = f"no contradiction rule covers {relation_words(relation)}; abstaining"
        return Verdict(check="consistent", passed=None, reason=reason, proof=[])
    if level is None:
        reason = (
            f"consistent: no known fact of the opposite relation links {h.subject.name} to "
            f"{h.object.name} or to a narrower, broader or sibling concept"
        )
        proof = [
            f"no fact({label(h.subject.id)}, opposite of {relation}, X) for X = "
            f"{label(h.object.id)}, its MeSH ancestors, descendants or siblings",
            "rule consistent(S, R, O) :- \\+ contradicts(S, R, O, _)",
        ]
        return Verdict(check="consistent", passed=True, reason=reason, proof=proof)
    proof = render_proof(steps, label)
    fact = proof[0].removeprefix("known fact: ")
    if level == "sibling":
        # Siblings are often opposites (Hypertension/Hypotension under Vascular Diseases):
        # methyldopa treats one and induces the other. Report the tension, do not fail.
        reason = (
            f"tension, not a contradiction: {fact}, a sibling of {h.object.name} in MeSH, "
            f"while the hypothesis says {h.subject.name} {relation_words(relation)} "
            f"{h.object.name}"
        )
        return Verdict(check="consistent", passed=None, reason=reason, proof=proof)
    reason = (
        f"contradicts a known fact about {level_words(level)}: {fact}, while the hypothesis "
        f"says {h.subject.name} {relation_words(relation)} {h.object.name}"
    )
    return Verdict(check="consistent", passed=False, reason=reason, proof=proof)
