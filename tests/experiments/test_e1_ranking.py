"""E1 pieces checked by hand, and a small real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.types import EntityType
from experiments.benchmarks.e1_features import CandidateSet, build_candidates
from experiments.benchmarks.e1_ranking import MethodScores, evaluate, first_true_ranks, run
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


def _toy() -> CandidateSet:
    # Two targets: D1 has candidates c0..c3 (true: c2), D2 has c0..c1 (true: c0).
    return CandidateSet(
        chemicals=["c0", "c1", "c2", "c3"],
        diseases=["D1", "D2"],
        chem_index=np.array([0, 1, 2, 3, 0, 1]),
        disease_index=np.array([0, 0, 0, 0, 1, 1]),
        labels=np.array([0, 0, 1, 0, 1, 0], dtype=np.int8),
    )


def test_first_true_rank_and_pessimistic_ties() -> None:
    cands = _toy()
    scores = np.array([0.9, 0.5, 0.7, 0.1, 0.2, 0.8])
    assert first_true_ranks(cands, scores, ["D1", "D2"]).tolist() == [2.0, 2.0]
    # A constant score ties the true pair with every false one: it ranks last.
    assert first_true_ranks(cands, np.zeros(6), ["D1", "D2"]).tolist() == [4.0, 2.0]


def test_metrics_by_hand() -> None:
    cands = _toy()
    out = evaluate(cands, MethodScores("m", np.array([0.9, 0.5, 0.7, 0.1, 0.2, 0.8])), "x")
    assert out["x/mrr"] == pytest.approx(0.5)
    assert out["x/hits@10"] == 1.0
    # AUROC: positives 0.7, 0.2 against negatives 0.9, 0.5, 0.1, 0.8 -> (2 + 1) / 8.
    assert out["x/auroc"] == pytest.approx(3 / 8)


def test_candidates_are_never_co_mentioned(
    bc5cdr_train: Path, bc5cdr_dev: Path, tmp_path: Path
) -> None:
    train = list(read_pubtator(first_documents(bc5cdr_train, 60, tmp_path / "t.txt")))
    dev = list(read_pubtator(bc5cdr_dev))
    cands = build_candidates(train, dev)
    graph = CooccurrenceGraph.from_documents(train)
    chems, dis = graph.entities(EntityType.CHEMICAL), graph.entities(EntityType.DISEASE)
    never = {(c, d) for c in chems for d in dis if graph.count(c, d) == 0}
    assert {cands.pair(i) for i in range(cands.size)} == never
    truth = {(r.id1, r.id2) for d in dev for r in d.relations if r.type == "CID"}
    assert int(cands.labels.sum()) == len(never & truth)


@pytest.mark.slow
def test_small_run_ranks_better_than_chance(tmp_path: Path) -> None:
    output = run({"max_documents": 120, "llm_top": 0, "top_k": 10}, seed=0, run_dir=tmp_path)
    assert output.metrics["e1/ranker/auroc"] > 0.6
    assert (tmp_path / "table.md").read_text().startswith("E1 hypothesis ranking")
