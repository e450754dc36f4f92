"""scidisco reasoning: symbolic and quantitative checks on hypotheses, never an LLM.

* :mod:`reasoning.prolog`: the one process-wide SWI-Prolog engine (lock, load errors raised,
  no tracer exit, quoted atoms).
* :mod:`reasoning.kb`: ``KnowledgeBase.build(mesh, entities, facts)`` and ``check(h)``, the
  ``well_typed``, ``novel`` and ``consistent`` verdicts with proofs; rules in ``rules/kb.pl``.
* :mod:`reasoning.corpus_facts`: KB inputs from PubTator documents.
* :mod:`reasoning.quantitative`: SymPy checks, ``dose_consistency`` and ``monotone_on``.
"""
