"""A Prolog knowledge base of MeSH types, the MeSH is-a hierarchy and known relations.

``KnowledgeBase.build(mesh, entities, facts)`` asserts, into a Prolog module of its own:
every MeSH tree number (types come from the branch: C and F03 diseases, D chemicals), every
parent edge between tree numbers, the declared type of entities without tree numbers (genes,
MeSH supplementary C-IDs) and the known facts. ``check(h)`` then runs the rules of
``rules/kb.pl`` and returns three verdicts, each with a readable proof:

* ``well_typed``: the subject and object types fit the relation's signature;
* ``novel``: no known fact states the claim, exactly or through the hierarchy;
* ``consistent``: no known fact of the opposite relation (treats/palliates vs induces) for
  the same, a narrower, a broader or a sibling disease.

``contradictions(h)`` lists every level at which an opposing fact exists (adding a ``class``
level, a chemical of the same MeSH class, which ``consistent`` ignores), for audits such as
benchmark E3 that score each rule on its own.
"""

from __future__ import annotations

import itertools
import logging
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from agent.types import Entity, EntityType, Hypothesis, Relation, Verdict
from reasoning.prolog import PrologEngine, compound, engine, render
from reasoning.proofs import Namer, render_proof
from reasoning.verdicts import consistency_verdict, novelty_verdict, typing_verdict

if TYPE_CHECKING:
    from retrieval.mesh import MeshVocabulary

logger = logging.getLogger(__name__)

_PREDICATES = ("tree/2", "parent/4", "declared/2", "fact/3")
_COUNTER = itertools.count(1)
# Modules of garbage-collected KBs, emptied at the next build. A finalizer must not query
# Prolog itself: it can run in the middle of another query on the same thread.
_ORPHANS: list[str] = []


class MeshLike(Protocol):
    """What the KB needs from ``retrieval.mesh.MeshVocabulary``."""

    def ids(self) -> Iterator[str]: ...

    def tree_numbers(self, mesh_id: str) -> tuple[str, ...]: ...

    def name(self, mesh_id: str) -> str | None: ...

    def entity_type(self, mesh_id: str) -> EntityType | None: ...


@dataclass(frozen=True)
class BuildStats:
    """What a build asserted, and how long it took (seconds)."""

    tree_numbers: int
    parent_edges: int
    declared: int
    facts: int
    seconds: float


class KnowledgeBase:
    """Known relations over typed, hierarchical entities; checks hypotheses with proofs.

    Build one with :meth:`build`. Each instance owns a Prolog module, so facts of one KB never
    answer queries of another; :meth:`close` (or leaving a ``with`` block) empties it.

    Example:
        >>> kb = KnowledgeBase.build(mesh, entities, [("MESH:D008094", Relation.INDUCES,
        ...                                              "MESH:D018500")])
        >>> [v.passed for v in kb.check(hypothesis)]
    """

    def __init__(self, module: str, mesh: MeshLike, names: dict[str, str], stats: BuildStats):
        self.module = module
        self.stats = stats
        self._mesh = mesh
        self._names = names
        self._engine: PrologEngine = engine()
        self._finalizer = weakref.finalize(self, _ORPHANS.append, module)

    @classmethod
    def build(
        cls,
        mesh: MeshVocabulary | MeshLike,
        entities: Iterable[Entity],
        facts: Iterable[tuple[str, Relation, str]],
    ) -> KnowledgeBase:
        """Assert MeSH types and hierarchy, declared entity types and facts into a new KB.

        Args:
            mesh: the MeSH vocabulary (tree numbers give types and is-a edges).
            entities: entities seen in the corpora; their names label proofs, and their types
                count for ids without MeSH tree numbers.
            facts: known ``(subject_id, relation, object_id)`` triples.

        Raises:
            ValueError: a fact is malformed; the message gives its position and value.
        """
        start = time.perf_counter()
        # dict.fromkeys: the same pair recurs across abstracts; keep one, in first-seen order.
        checked_facts = list(dict.fromkeys(_checked_fact(i, f) for i, f in enumerate(facts)))
        prolog = engine()
        _drop_orphans(prolog)
        module = f"scidisco_kb_{next(_COUNTER)}"
        with resources.as_file(resources.files("reasoning") / "rules" / "kb.pl") as rules:
            prolog.consult(rules, reload=False)
        for predicate in _PREDICATES:
            prolog.query("dynamic(%p:" + predicate + ")", module)

        tree_rows = [(mid, tn) for mid in mesh.ids() for tn in mesh.tree_numbers(mid)]
        with_trees = {mid for mid, _ in tree_rows}
        entity_list = list(entities)
        declared = _declared_types(mesh, with_trees, entity_list)

        n_tree = prolog.assert_all(module, (compound("tree", m, t) for m, t in tree_rows))
        found = prolog.once("scidisco_kb:kb_derive_parents(%p, N)", module)
        n_parent = int(found["N"]) if found else 0
        n_declared = prolog.assert_all(module, (compound("declared", *d) for d in declared))
        n_facts = prolog.assert_all(
            module, (compound("fact", s, r.value, o) for s, r, o in checked_facts)
        )

        names = {e.id: e.name for e in entity_list}
        stats = BuildStats(n_tree, n_parent, n_declared, n_facts, time.perf_counter() - start)
        logger.info("built knowledge base %s: %s", module, stats)
        return cls(module, mesh, names, stats)

    def check(self, h: Hypothesis) -> list[Verdict]:
        """The ``well_typed``, ``novel`` and ``consistent`` verdicts for one hypothesis.

        One Prolog query answers all three (``kb_check/10``); the single-check methods below
        give the same verdicts one at a time.
        """
        goal = render(
            "scidisco_kb:kb_check(%p, %p, %p, %p, %p, %p, Typing, Known, Contra, HasRule)",
            self.module, h.relation.value, h.subject.id, h.object.id,
            h.subject.type.value, h.object.type.value,
        )  # fmt: skip
        found = self._engine.once(goal)
        if found is None:  # kb_check/10 is total; failing means the rules did not load
            raise RuntimeError(f"kb_check failed for {h.key}; rules/kb.pl is broken")
        label = self._labeller(h)
        (passed, typing_steps), known, contra = found["Typing"], found["Known"], found["Contra"]
        level, steps = (None, []) if known == "none" else (str(known[0]), known[1])
        c_level, c_steps = (None, []) if contra == "none" else (str(contra[0]), contra[1])
        return [
            typing_verdict(h, passed == "true", typing_steps, label),
            novelty_verdict(h, level, steps, label, self.stats.facts),
            consistency_verdict(h, found["HasRule"] == "true", c_level, c_steps, label),
        ]

    def check_many(self, hypotheses: Iterable[Hypothesis]) -> list[list[Verdict]]:
        """:meth:`check` for each hypothesis, in order."""
        return [self.check(h) for h in hypotheses]

    def well_typed(self, h: Hypothesis) -> Verdict:
        goal = render(
            "scidisco_kb:kb_typing(%p, %p, %p, %p, %p, %p, Passed, Proof)",
            self.module,
            h.relation.value,
            h.subject.id,
            h.object.id,
            h.subject.type.value,
            h.object.type.value,
        )
        found = self._engine.once(goal)
        if found is None:  # kb_typing/8 is total; failing means the rules did not load
            raise RuntimeError(f"kb_typing failed for {h.key}; rules/kb.pl is broken")
        return typing_verdict(h, found["Passed"] == "true", found["Proof"], self._labeller(h))

    def novel(self, h: Hypothesis) -> Verdict:
        found = self.known(h.subject.id, h.relation, h.object.id)
        level, proof = found if found else (None, [])
        return novelty_verdict(h, level, proof, self._labeller(h), self.stats.facts)

    def consistent(self, h: Hypothesis) -> Verdict:
        goal = render(
            "scidisco_kb:kb_contradicts(%p, %p, %p, %p, Level, Proof)",
            self.module,
            h.subject.id,
            h.relation.value,
            h.object.id,
        )
        found = self._engine.once(goal)
        has_rule = self._engine.succeeds("scidisco_kb:opposite(%p, _)", h.relation.value)
        level = str(found["Level"]) if found else None
        proof = found["Proof"] if found else []
        return consistency_verdict(h, has_rule, level, proof, self._labeller(h))

    def contradictions(self, h: Hypothesis) -> dict[str, list[str]]:
        """Every level at which a known fact opposes ``h``, each with a readable proof.

        Keys, in this order when present: ``exact``, ``narrower``, ``broader``, ``sibling``
        (the levels of :meth:`consistent`, which reports only the first) and ``class`` (a
        chemical sharing a MeSH parent with the subject has the opposite relation to the
        object itself). ``class`` never affects :meth:`consistent`; this is for audits that
        score each rule alone.
        """
        goal = render(
            "scidisco_kb:kb_contradiction_levels(%p, %p, %p, %p, Found)",
            self.module, h.subject.id, h.relation.value, h.object.id,
        )  # fmt: skip
        found = self._engine.once(goal)
        if found is None:  # kb_contradiction_levels/5 is total (findall)
            raise RuntimeError(f"kb_contradiction_levels failed for {h.key}; rules/kb.pl is broken")
        label = self._labeller(h)
        return {str(level): render_proof(proof, label) for level, proof in found["Found"]}

    def known(
        self, subject: str, relation: Relation, obj: str
    ) -> tuple[str, list[list[Any]]] | None:
        """How ``subject relation obj`` is known: ``(level, raw proof steps)`` or None.

        The level is ``exact``, ``narrower`` (a fact about a descendant of ``obj`` entails
        it) or ``broader`` (a fact about an ancestor of ``obj``).
        """
        goal = render(
            "scidisco_kb:kb_known(%p, %p, %p, %p, Level, Proof)",
            self.module,
            subject,
            Relation(relation).value,
            obj,
        )
        found = self._engine.once(goal)
        return (str(found["Level"]), found["Proof"]) if found else None

    def count(self, predicate: str) -> int:
        """How many clauses this KB holds for one of ``tree/2``, ``parent/4``, ``declared/2``,
        ``fact/3``."""
        if predicate not in _PREDICATES:
            raise ValueError(f"`predicate` must be one of {_PREDICATES}, got {predicate!r}")
        name, arity = predicate.split("/")
        head = f"{name}({','.join(['_'] * int(arity))})"
        found = self._engine.once(f"aggregate_all(count, %p:{head}, N)", self.module)
        return int(found["N"]) if found else 0

    def close(self) -> None:
        """Retract every fact of this KB; later checks see an empty KB."""
        _clear_module(self._engine, self.module)
        self._finalizer.detach()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def label(self, entity_id: str) -> str:
        """``Name (ID)`` for proofs: MeSH preferred name, else corpus name, else the id."""
        name = self._mesh.name(entity_id) or self._names.get(entity_id)
        return f"{name} ({entity_id})" if name else entity_id

    def _labeller(self, h: Hypothesis) -> Namer:
        given = {h.subject.id: h.subject.name, h.object.id: h.object.name}

        def label(entity_id: str) -> str:
            if entity_id in given:
                return f"{given[entity_id]} ({entity_id})"
            return self.label(entity_id)

        return label


def _checked_fact(index: int, fact: tuple[str, Relation, str]) -> tuple[str, Relation, str]:
    try:
        subject, relation, obj = fact
        checked = (str(subject), Relation(relation), str(obj))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"fact #{index} {fact!r} is not a (subject_id, Relation, object_id) triple with a "
            f"relation in {[r.value for r in Relation]}: {exc}"
        ) from exc
    if not checked[0] or not checked[2]:
        raise ValueError(f"fact #{index} {fact!r} has an empty entity id")
    return checked


def _declared_types(
    mesh: MeshLike, with_trees: set[str], entities: list[Entity]
) -> list[tuple[str, str]]:
    """Types for ids without tree numbers: MeSH supplements (typed by their corpus), entities."""
    declared = {(e.id, e.type.value) for e in entities if e.id not in with_trees}
    for mesh_id in mesh.ids():
        if mesh_id not in with_trees:
            etype = mesh.entity_type(mesh_id)
            if etype is not None:
                declared.add((mesh_id, etype.value))
    return sorted(declared)


def _clear_module(prolog: PrologEngine, module: str) -> None:
    for predicate in _PREDICATES:
        name, arity = predicate.split("/")
        prolog.query(f"retractall(%p:{name}({','.join(['_'] * int(arity))}))", module)


def _drop_orphans(prolog: PrologEngine) -> None:
    while _ORPHANS:
        module = _ORPHANS.pop()
        _clear_module(prolog, module)
        logger.debug("emptied the module of a discarded knowledge base: %s", module)
