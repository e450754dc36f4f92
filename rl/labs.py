"""Labs: what answers "is this hypothesis true?" once the agent decides to test it.

Every lab has the same shape (the `Lab` protocol): a ``name``, a ``cost`` per test and
``test(hypothesis) -> Outcome``. `SimulatedLab` answers from curated facts the generator never
saw; `HumanLab` reads what reviewers recorded in the review app. The selection environment and
the policies only ever see this protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from agent.types import Hypothesis, Outcome, Relation
from rl.facts import (
    FactKey,
    MappingStats,
    load_disgenet_facts,
    load_pharmacotherapydb_facts,
    load_pubtator_facts,
    load_tsv_facts,
)

logger = logging.getLogger(__name__)

# Relations whose direction carries no meaning: a fact (a, r, b) also answers (b, r, a).
SYMMETRIC = frozenset({Relation.ASSOCIATED_WITH, Relation.INTERACTS_WITH})


@runtime_checkable
class Lab(Protocol):
    """Anything that can test a hypothesis and report an `Outcome`."""

    name: str
    cost: float

    def test(self, hypothesis: Hypothesis) -> Outcome:
        """Test one hypothesis; ``Outcome.confirmed`` is None when the lab cannot decide."""
        ...


class SimulatedLab:
    """A lab that answers from a table of curated facts, optionally with noise.

    Matching rules, in order:

    1. The hypothesis triple ``(subject.id, relation, object.id)`` is looked up exactly.
       For `SYMMETRIC` relations (``associated_with``, ``interacts_with``) the reversed
       triple is tried too; ``induces``/``treats``/``palliates`` are directed (chemical ->
       disease), so a reversed claim is not matched.
    2. Relations are matched exactly: a BC5CDR ``CID`` fact is an ``induces`` fact and says
       nothing about ``treats``; a PharmacotherapyDB ``SYM`` fact is ``palliates`` only.
    3. No fact found: if the lab has no fact at all about that relation it cannot judge it
       (``confirmed=None``). Otherwise, with ``closed_world=True`` the claim is refuted (the
       source is taken as complete, as for the CID facts of held-out abstracts); with
       ``closed_world=False`` it is undecided (``confirmed=None``).
    4. Noise: a decided answer is flipped with probability ``noise`` (drawn from a seeded
       `numpy.random.Generator`); undecided answers stay undecided.

    Args:
        facts: ``(subject_id, relation, object_id) -> label``.
        name: reported in every `Outcome`.
        cost: cost of one test, in the caller's unit (reported in `Outcome.cost`).
        noise: probability in [0, 1] of flipping a decided answer.
        closed_world: refute claims with no fact (see rule 3).
        seed: seed or Generator for the noise.
        stats: how the facts were mapped from their source, when a loader built the lab.
    """

    def __init__(
        self,
        facts: Mapping[FactKey, bool],
        *,
        name: str = "simulated",
        cost: float = 1.0,
        noise: float = 0.0,
        closed_world: bool = True,
        seed: int | np.random.Generator | None = None,
        stats: MappingStats | None = None,
    ) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"`noise` must be a probability in [0, 1], got {noise}")
        if cost < 0:
            raise ValueError(f"`cost` must be non-negative, got {cost}")
        self.facts = dict(facts)
        self.name, self.cost, self.noise, self.closed_world = name, cost, noise, closed_world
        self.stats = stats
        self._rng = np.random.default_rng(seed)
        self._relations = {key[1] for key in self.facts}

    def __len__(self) -> int:
        return len(self.facts)

    def lookup(self, subject_id: str, relation: Relation, object_id: str) -> bool | None:
        """The noise-free answer under the matching rules above."""
        label = self.facts.get((subject_id, relation, object_id))
        if label is None and relation in SYMMETRIC:
            label = self.facts.get((object_id, relation, subject_id))
        if label is not None:
            return label
        if relation not in self._relations or not self.closed_world:
            return None
        return False

    def test(self, hypothesis: Hypothesis) -> Outcome:
        """Answer one hypothesis (see the class docstring for the rules)."""
        truth = self.lookup(hypothesis.subject.id, hypothesis.relation, hypothesis.object.id)
        detail = self._detail(hypothesis, truth)
        answer = truth
        if truth is not None and self.noise > 0 and self._rng.random() < self.noise:
            answer = not truth
            detail += "; answer flipped by lab noise"
        return Outcome(confirmed=answer, lab=self.name, cost=self.cost, detail=detail)

    def _detail(self, hypothesis: Hypothesis, truth: bool | None) -> str:
        key = (hypothesis.subject.id, hypothesis.relation, hypothesis.object.id)
        if key in self.facts or (
            truth is not None
            and hypothesis.relation in SYMMETRIC
            and (key[2], key[1], key[0]) in self.facts
        ):
            return f"curated fact: {hypothesis.text()} is {truth}"
        if hypothesis.relation not in self._relations:
            return f"this lab holds no `{hypothesis.relation}` facts"
        if truth is None:
            return "no curated fact (open world: undecided)"
        return "no curated fact (closed world: refuted)"

    @classmethod
    def from_pubtator(cls, path: str | Path, **kwargs: Any) -> SimulatedLab:
        """Facts from the document-level relations of a (held-out) PubTator corpus.

        BC5CDR ``CID`` pairs become ``induces`` facts. Closed world by default: a
        chemical-disease pair the curators did not mark CID in these abstracts is refuted.
        Keyword arguments go to the constructor.
        """
        facts, stats = load_pubtator_facts(Path(path))
        kwargs.setdefault("name", f"pubtator:{Path(path).name}")
        return cls(facts, stats=stats, **kwargs)

    @classmethod
    def from_tsv(cls, path: str | Path, **kwargs: Any) -> SimulatedLab:
        """Facts from a TSV with columns ``subject relation object label`` (namespaced ids).

        Raises:
            LabDataError: naming the file, line and column of a bad value.
        """
        facts, stats = load_tsv_facts(Path(path))
        kwargs.setdefault("name", f"tsv:{Path(path).name}")
        return cls(facts, stats=stats, **kwargs)

    @classmethod
    def from_pharmacotherapydb(
        cls, data_dir: str | Path | None = None, **kwargs: Any
    ) -> SimulatedLab:
        """PharmacotherapyDB indications (DM treats, SYM palliates, NOT treats=False).

        Open world by default (the catalog covers 97 diseases only). ``lab.stats`` holds the
        mapped/unmapped counts, also logged as a warning.
        """
        facts, stats = load_pharmacotherapydb_facts(Path(data_dir) if data_dir else None)
        kwargs.setdefault("name", "pharmacotherapydb")
        kwargs.setdefault("closed_world", False)
        return cls(facts, stats=stats, **kwargs)

    @classmethod
    def from_disgenet(cls, data_dir: str | Path | None = None, **kwargs: Any) -> SimulatedLab:
        """DisGeNET curated gene-disease associations (open world by default)."""
        facts, stats = load_disgenet_facts(Path(data_dir) if data_dir else None)
        kwargs.setdefault("name", "disgenet")
        kwargs.setdefault("closed_world", False)
        return cls(facts, stats=stats, **kwargs)


class HumanLab:
    """Outcomes recorded by human reviewers, read through ``fetch(hypothesis_id)``.

    ``fetch`` is typically ``functools.partial(hitl.service.recorded_outcome, db_url)``. A
    hypothesis nobody has reviewed yet comes back as ``Outcome(confirmed=None)`` with
    ``detail="pending review"`` and no cost.

    Args:
        fetch: returns the recorded `Outcome` of a hypothesis id, or None while pending.
        name: reported in pending outcomes.
        cost: nominal cost of one review (recorded outcomes keep their own cost).
    """

    def __init__(
        self, fetch: Callable[[str], Outcome | None], *, name: str = "human", cost: float = 1.0
    ) -> None:
        self.fetch, self.name, self.cost = fetch, name, cost

    def test(self, hypothesis: Hypothesis) -> Outcome:
        """The recorded outcome, or a pending one."""
        outcome = self.fetch(hypothesis.id)
        if outcome is None:
            return Outcome(confirmed=None, lab=self.name, cost=0.0, detail="pending review")
        return outcome
