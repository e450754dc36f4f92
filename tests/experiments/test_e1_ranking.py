"""E1 pieces checked by hand, and a small real run."""

from __future__ import annotations

from math import comb
from pathlib import Path

import numpy as np
import pytest

from agent.generate import abc_features
from agent.rank import rank_pool
from agent.types import EntityType, Verdict
from experiments.benchmarks.e1_features import CandidateSet, FeatureBuilder, build_candidates
from experiments.benchmarks.e1_ranking import (
    E1Params,
    MethodScores,
    evaluate,
    first_true_ranks,
    hypernym_relatives,
    run,
)
from experiments.benchmarks.e1_rankpool import abc_pools, rank_pool_scores
from experiments.benchmarks.e1_rerank import hypotheses
from experiments.benchmarks.e2_pairs import HierarchyFilter
from experiments.inputs import record_reads, unlisted
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import resolve
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, SourceRelation, read_pubtator
from tests.conftest import first_documents

PARACETAMOL, LIVER_FAILURE, ACUTE_LIVER_FAILURE = "MESH:D000082", "MESH:D017093", "MESH:D017114"


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


@pytest.fixture(scope="module")
def slice_docs(
    bc5cdr_train: Path, bc5cdr_dev: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Document], list[Document]]:
    path = tmp_path_factory.mktemp("e1") / "t.txt"
    return list(read_pubtator(first_documents(bc5cdr_train, 60, path))), list(
        read_pubtator(bc5cdr_dev)
    )


@pytest.fixture(scope="module")
def mesh() -> MeshVocabulary:
    return MeshVocabulary.load()


def test_candidates_are_never_co_mentioned(
    slice_docs: tuple[list[Document], list[Document]],
) -> None:
    train, dev = slice_docs
    cands = build_candidates(train, dev)
    graph = CooccurrenceGraph.from_documents(train)
    chems, dis = graph.entities(EntityType.CHEMICAL), graph.entities(EntityType.DISEASE)
    never = {(c, d) for c in chems for d in dis if graph.count(c, d) == 0}
    assert {cands.pair(i) for i in range(cands.size)} == never
    truth = {(r.id1, r.id2) for d in dev for r in d.relations if r.type == "CID"}
    assert int(cands.labels.sum()) == len(never & truth)


def test_adamic_adar_column_is_the_generators_abc_score(
    slice_docs: tuple[list[Document], list[Document]],
) -> None:
    train, dev = slice_docs
    cands = build_candidates(train, dev)
    column = FeatureBuilder(train, doc_vectors={d.pmid: np.zeros(4) for d in train})
    abc = column.features(cands).column("adamic_adar")
    graph = CooccurrenceGraph.from_documents(train)
    rows = np.flatnonzero(abc > 0)[:: max(1, int((abc > 0).sum()) // 50)]
    assert rows.size >= 20
    for row in rows:
        assert abc[row] == pytest.approx(abc_features(graph, *cands.pair(int(row)))["abc_score"])


def test_rank_pool_scores_order_each_target_as_rank_pool_does(
    slice_docs: tuple[list[Document], list[Document]],
) -> None:
    train, dev = slice_docs
    cands = build_candidates(train, dev)
    graph = CooccurrenceGraph.from_documents(train)
    abc = FeatureBuilder(train, {d.pmid: np.zeros(4) for d in train}).features(cands)
    abc_col = abc.column("adamic_adar")
    pools = abc_pools(cands, abc_col, 8)
    target = max(pools, key=lambda t: len(pools[t]))
    pool = pools[target]
    assert len(pool) == 8
    # A failing verdict on the pool's best candidate, and LLM scores for two others.
    verdicts = {int(r): [] for p in pools.values() for r in p}
    verdicts[int(pool[0])] = [Verdict(check="consistent", passed=False, reason="test")]
    llm = {int(pool[3]): 4.0, int(pool[5]): -4.0}
    scores = rank_pool_scores(cands, abc_col, pools, graph, 0.5, verdicts, llm)

    hs = hypotheses(cands, pool, graph)
    for row, h in zip(pool, hs, strict=True):
        h.scores["abc_score"] = float(abc_col[row])
        h.verdicts = verdicts[int(row)]
        if int(row) in llm:
            h.scores["llm_plausibility"] = llm[int(row)]
    row_of = {h.subject.id: int(r) for r, h in zip(pool, hs, strict=True)}
    expected = [row_of[h.subject.id] for h in rank_pool(hs, 0.5, symbolic_filter=True)]
    ordered = scores[expected]
    assert np.all(np.diff(ordered) <= 0) and expected[-1] == int(pool[0])  # demoted last
    outside = np.setdiff1d(cands.rows_of(target), pool)
    assert scores[outside].max() < ordered.min()  # never-proposed candidates follow the pool


def test_hierarchy_filter_both_ways(mesh: MeshVocabulary) -> None:
    assert LIVER_FAILURE in mesh.ancestors(ACUTE_LIVER_FAILURE)
    general = HierarchyFilter(mesh, {(PARACETAMOL, LIVER_FAILURE)})
    assert not general.related(PARACETAMOL, ACUTE_LIVER_FAILURE)  # E2: ancestors only
    both = HierarchyFilter(mesh, {(PARACETAMOL, LIVER_FAILURE)}, descendants=True)
    assert both.related(PARACETAMOL, ACUTE_LIVER_FAILURE)
    assert not both.related("MESH:D008094", ACUTE_LIVER_FAILURE)  # lithium: nothing known
    assert not both.related(PARACETAMOL, "MESH:D006973")  # hypertension: unrelated


def test_hypernym_relatives_drop_false_relatives_only(mesh: MeshVocabulary) -> None:
    # Known: paracetamol induces liver failure (train). Candidates of paracetamol: acute liver
    # failure (a descendant, false: dropped), hypertension (unrelated: kept), and liver
    # failure's ancestor with a true label (kept: only false candidates are removed).
    train = [
        Document("1", "t", "a", relations=(SourceRelation("CID", PARACETAMOL, LIVER_FAILURE),))
    ]
    liver_diseases = "MESH:D008107"
    assert liver_diseases in mesh.ancestors(LIVER_FAILURE)
    held = [
        Document("2", "t", "a", relations=(SourceRelation("CID", PARACETAMOL, liver_diseases),))
    ]
    cands = CandidateSet(
        chemicals=[PARACETAMOL],
        diseases=[ACUTE_LIVER_FAILURE, "MESH:D006973", liver_diseases],
        chem_index=np.array([0, 0, 0]),
        disease_index=np.array([0, 1, 2]),
        labels=np.array([0, 0, 1], dtype=np.int8),
    )
    assert hypernym_relatives(cands, train, held, mesh).tolist() == [True, False, False]


@pytest.mark.slow
def test_small_run_ranks_better_than_chance(tmp_path: Path, data_dir: Path) -> None:
    params = {"max_documents": 120, "llm_top": 2, "llm_max_targets": 3, "top_k": 10}
    with record_reads(data_dir) as reads:
        output = run(params, seed=0, run_dir=tmp_path)
    assert unlisted(reads, output.inputs) == []  # MeSH tables included
    m = output.metrics
    # Chance: the expected hits@k of a random order, 1 - C(n - t, k) / C(n, k) for a target
    # with n candidates of which t are true, averaged over targets.
    train = list(read_pubtator(resolve("bio/bc5cdr/CDR_TrainingSet.PubTator.txt")))[:120]
    cands = build_candidates(train, list(read_pubtator(resolve(E1Params().held_out))))
    sizes = [
        (len(rows), int(cands.labels[rows].sum()))
        for rows in map(cands.rows_of, cands.evaluated_targets())
    ]
    assert m["e1/targets"] == len(sizes)
    for k in (10, 100):
        chance = np.mean([1 - comb(n - t, k) / comb(n, k) for n, t in sizes])
        assert m[f"e1/logreg/hits@{k}"] > chance + 0.05, (k, chance)
    assert m["e1/embedding_cosine/auroc"] > 0.6
    assert 0 < m["e1_hypernym_filtered/candidates"] < m["e1/candidates"]
    assert m["e1_llm_subset/targets"] == 3 and 0 < m["e1_llm_subset/llm_scored"] <= 2 * 2 * 3
    for name in ("rank_pool", "rank_pool+filter", "rank_pool+llm+filter", "logreg+llm+filter"):
        assert f"e1/{name}/mrr" in m and f"e1_hypernym_filtered/{name}/mrr" in m
    # Without filter or LLM, rank_pool keeps ABC order inside each target; ties at the pool's
    # edge can only help it, as the rest follows the whole pool.
    assert m["e1/rank_pool/mrr"] >= m["e1/adamic_adar/mrr"]
    table = (tmp_path / "table.md").read_text()
    assert table.startswith("E1 hypothesis ranking")
    assert "+llm rows cover a subset" in table and "Wall time" in table
