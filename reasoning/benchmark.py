"""Time the knowledge base on the full BC5CDR training split: ``python -m reasoning.benchmark``.

Prints the MeSH load, the KB build (all 56,341 tree numbers, every parent edge, the corpus
entities and the CID facts), one check per fact, and the build's ratio to the cost of
pyswip's own one-query-per-clause ``assertz`` for the same number of clauses.
"""

from __future__ import annotations

import argparse
import time

from agent.types import Entity, EntityType, Hypothesis, Relation
from reasoning.corpus_facts import corpus_facts
from reasoning.kb import KnowledgeBase
from reasoning.prolog import engine, render
from retrieval.datadir import data_dir
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import read_pubtator

TRAIN = "bio/bc5cdr/CDR_TrainingSet.PubTator.txt"


def _assertz_one_by_one(n: int) -> float:
    """Seconds for ``n`` single-clause pyswip ``assertz`` calls (the naive way to load)."""
    from pyswip import Prolog

    engine()
    start = time.perf_counter()
    for i in range(n):
        Prolog.assertz(render("sd_bench:tree(%p, %p)", f"MESH:D{i:06d}", f"C01.{i}").text)
    seconds = time.perf_counter() - start
    Prolog.retractall("sd_bench:tree(_, _)")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None, help="data root (default: SCIDISCO_DATA)")
    args = parser.parse_args(argv)
    root = data_dir(args.data_dir)

    start = time.perf_counter()
    mesh = MeshVocabulary.load(root)
    entities, facts = corpus_facts(read_pubtator(root / TRAIN))
    print(f"load MeSH + read BC5CDR train: {time.perf_counter() - start:.2f} s")

    kb = KnowledgeBase.build(mesh, entities, facts)
    stats = kb.stats
    clauses = stats.tree_numbers + stats.parent_edges + stats.declared + stats.facts
    print(
        f"KB build: {stats.seconds:.2f} s for {clauses} clauses ({stats.tree_numbers} tree "
        f"numbers, {stats.parent_edges} parent edges, {stats.declared} declared types, "
        f"{stats.facts} unique CID facts)"
    )

    naive = _assertz_one_by_one(10_000) * clauses / 10_000
    print(f"one-by-one assertz, extrapolated: {naive:.2f} s; ratio build/naive = "
          f"{stats.seconds / naive:.2f}")  # fmt: skip

    hypotheses = [
        Hypothesis(
            subject=Entity(id=s, name=s, type=EntityType.CHEMICAL),
            relation=Relation.TREATS,
            object=Entity(id=o, name=o, type=EntityType.DISEASE),
        )
        for s, _, o in dict.fromkeys(facts)
    ]
    start = time.perf_counter()
    kb.check_many(hypotheses)
    seconds = time.perf_counter() - start
    print(f"check_many: {len(hypotheses)} hypotheses x 3 checks in {seconds:.2f} s "
          f"({1000 * seconds / len(hypotheses):.2f} ms each)")  # fmt: skip
    kb.close()


if __name__ == "__main__":
    main()
