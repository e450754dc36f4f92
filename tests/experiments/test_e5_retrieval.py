"""E5 pieces checked by hand, on the first six BC5CDR development abstracts and PQA-L.

The slice (CDR_DevelopmentSet.PubTator.txt, first six blocks) holds 11 CID pairs:
6794356 lithium carbonate (D016651) -> cyanosis, cardiac arrhythmia, neurologic depression;
6504332 phenobarbital -> dyskinesia; 6436733 valproic acid (D014635) and ammonia (D000641) ->
drowsiness (D006970); 6293644 haloperidol -> catalepsy, apomorphine -> hyperactivity;
6203632 isoproterenol (D007545) -> cardiac hypertrophy, hyperplasia; 3131282 butylated
hydroxyanisole -> forestomach carcinogenesis. Its text defines "Valproic acid (VPA)",
"isoproterenol (ISO)", "butylated hydroxyanisole (BHA)" and "retinyl acetate (RA)"; "Ammonia
(NH3)" is no definition (N is not A).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

from agent.types import EntityType
from experiments.benchmarks.e5_data import (
    E5DataError,
    Query,
    abbreviation_definitions,
    cid_labels,
    deduplicate,
    evidence_queries,
    expand_name,
    pubmedqa_queries,
    read_corpora,
    read_pubmedqa,
    without_relations,
)
from experiments.benchmarks.e5_eval import (
    DenseRankings,
    LastQueryCache,
    Row,
    evaluate,
    whole_documents,
)
from experiments.benchmarks.e5_metrics import (
    mean_scores,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    score_query,
)
from experiments.benchmarks.e5_retrieval import run
from experiments.inputs import record_reads, unlisted
from retrieval.bm25 import BM25Index
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.embeddings import load_embedder
from retrieval.hybrid import HybridRetriever
from retrieval.index import ChunkIndex
from retrieval.pubtator import Document
from tests.conftest import first_documents

CHEMICAL, DISEASE = EntityType.CHEMICAL, EntityType.DISEASE


@pytest.fixture(scope="module")
def dev_slice(bc5cdr_dev: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return first_documents(bc5cdr_dev, 6, tmp_path_factory.mktemp("e5") / "dev6.PubTator")


@pytest.fixture(scope="module")
def dev_docs(dev_slice: Path) -> list[Document]:
    return read_corpora([dev_slice])


@pytest.fixture(scope="module")
def pqa_path(data_dir: Path) -> Path:
    return data_dir / "bio/pubmedqa_pqal/ori_pqal.json"


# Metrics on a ranking of four documents, two of them relevant (b at rank 2, d at rank 4).
RANKING, RELEVANT = ["a", "b", "c", "d"], {"b", "d"}


def test_recall_and_mrr_by_hand() -> None:
    assert recall_at_k(RANKING, RELEVANT, 1) == 0.0
    assert recall_at_k(RANKING, RELEVANT, 2) == 0.5
    assert recall_at_k(RANKING, RELEVANT, 10) == 1.0
    assert reciprocal_rank(RANKING, RELEVANT) == 0.5
    assert reciprocal_rank(RANKING, {"z"}) == 0.0


def test_ndcg_by_hand() -> None:
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert ndcg_at_k(RANKING, RELEVANT, 10) == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(RANKING, RELEVANT, 2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert ndcg_at_k(["b", "d", "a"], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at_k(RANKING, {"z"}, 10) == 0.0


def test_score_query_and_mean() -> None:
    one = score_query(RANKING, RELEVANT)
    assert set(one) == {"recall@1", "recall@5", "recall@10", "ndcg@10", "mrr"}
    other = score_query(["b"], {"b"})
    assert mean_scores([one, other])["mrr"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="`relevant` is empty"):
        score_query(RANKING, set())
    with pytest.raises(ValueError, match="`k` must be at least 1"):
        recall_at_k(RANKING, RELEVANT, 0)
    with pytest.raises(ValueError, match="no queries to average"):
        mean_scores([])


def test_labels_and_stripped_documents(dev_docs: list[Document]) -> None:
    labels = cid_labels(dev_docs)
    assert len(labels) == 11
    assert labels[("MESH:D014635", "MESH:D006970")] == {"6436733"}
    stripped = without_relations(dev_docs)
    assert all(not d.relations for d in stripped) and cid_labels(stripped) == {}
    assert [d.mentions for d in stripped] == [d.mentions for d in dev_docs]
    assert deduplicate([*dev_docs, *stripped]) == dev_docs


def test_abbreviation_definitions_from_the_slice(dev_docs: list[Document]) -> None:
    definitions = abbreviation_definitions(dev_docs)
    assert definitions == {
        ("BHA", CHEMICAL): "butylated hydroxyanisole",
        ("ISO", CHEMICAL): "isoproterenol",
        ("RA", CHEMICAL): "retinyl acetate",
        ("VPA", CHEMICAL): "Valproic acid",
    }
    assert expand_name("VPA", CHEMICAL, definitions) == "VPA (Valproic acid)"
    assert expand_name("VPA", DISEASE, definitions) == "VPA"  # a long form of its own type only
    assert expand_name("VPA sodium", CHEMICAL, definitions) == "VPA sodium"  # whole names only
    assert expand_name("vpa", CHEMICAL, definitions) == "vpa"  # case-sensitive


def test_evidence_queries_from_the_slice(dev_docs: list[Document]) -> None:
    stripped = without_relations(dev_docs)
    graph = CooccurrenceGraph.from_documents(stripped)
    queries, skipped = evidence_queries(
        dev_docs, dev_docs, graph, abbreviation_definitions(stripped)
    )
    assert skipped == 0 and len(queries) == 11
    assert [q.qid for q in queries] == sorted(q.qid for q in queries)
    by_id = {q.qid: q for q in queries}
    vpa = by_id["MESH:D014635|MESH:D006970"]
    assert vpa == Query(
        "MESH:D014635|MESH:D006970",
        "VPA induces drowsiness",
        frozenset({"6436733"}),
        "VPA (Valproic acid) induces drowsiness",
    )
    lithium = by_id["MESH:D016651|MESH:D003490"]
    assert lithium.text == lithium.expanded == "Lithium carbonate induces cyanosis"


def test_pubmedqa_reader_and_queries(pqa_path: Path, tmp_path: Path) -> None:
    docs, queries = read_pubmedqa(pqa_path), pubmedqa_queries(pqa_path)
    assert len(docs) == len(queries) == 1000
    assert [d.pmid for d in docs] == [q.qid for q in queries] == sorted(d.pmid for d in docs)
    assert all(q.relevant == {q.qid} and q.expanded is None for q in queries)
    first = json.loads(pqa_path.read_text())[docs[0].pmid]
    assert docs[0].text == " " + " ".join(first["CONTEXTS"])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"1": {"QUESTION": "q"}}))
    with pytest.raises(E5DataError, match="CONTEXTS"):
        read_pubmedqa(bad)


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformer:
    return load_embedder()


def test_known_abstract_found_on_a_pqa_slice(pqa_path: Path, embedder: SentenceTransformer) -> None:
    docs, queries = read_pubmedqa(pqa_path)[:12], pubmedqa_queries(pqa_path)[:12]
    index = ChunkIndex.build(chunk_documents(docs), embedder)
    dense = LastQueryCache(DenseRankings(index, [q.text for q in queries], progress=False))
    bm25 = LastQueryCache(BM25Index.build(whole_documents(docs)))
    rows = [
        Row("bm25", bm25, lambda q: q.text),
        Row("dense", dense, lambda q: q.text),
        Row("hybrid", HybridRetriever([bm25, dense], depth=len(docs)), lambda q: q.text),
    ]
    scores, _ = evaluate(rows, queries, len(docs), (1, 5, 10), desc="test")
    # Each question is its abstract's title rewritten: BM25 finds every one first. MiniLM
    # finds 11 first; the twelfth (PMID 10411439, "Lloyd-Davies position with
    # Trendelenburg--a disaster waiting to happen?") it ranks 10th. RRF puts that abstract
    # 6th: 1/61 + 1/70 loses to e.g. 10381996, dense 1st and BM25 4th (1/61 + 1/64).
    assert scores["bm25"]["recall@1"] == 1.0
    assert scores["dense"]["recall@1"] == pytest.approx(11 / 12)
    assert scores["dense"]["recall@5"] == pytest.approx(11 / 12)
    assert scores["hybrid"]["recall@10"] == 1.0
    assert scores["hybrid"]["mrr"] == pytest.approx((11 + 1 / 6) / 12)
    dense_ranks = [h.pmid for h in dense.retrieve(queries[11].text, k=len(docs))]
    assert queries[11].qid == "10411439" and dense_ranks.index("10411439") == 9
    hits = dense.retrieve(queries[0].text, k=len(docs))
    assert [h.pmid for h in hits].count(queries[0].qid) == 1 and len(hits) == len(docs)
    with pytest.raises(KeyError):
        dense.retrieve("a query it was not built with", k=3)


@pytest.mark.slow
def test_small_run(dev_slice: Path, tmp_path: Path, data_dir: Path) -> None:
    params = {
        "corpora": [str(dev_slice)],
        "query_corpus": str(dev_slice),
        "label_corpora": [str(dev_slice)],
        "max_pubmedqa": 20,
        "mesh": False,
    }
    with record_reads(data_dir) as reads:
        output = run({**params, "mesh": True}, seed=0, run_dir=tmp_path / "with-mesh")
    assert unlisted(reads, output.inputs) == []  # the MeSH tables are listed when used
    assert {"mesh_terms", "mesh_tree_numbers"} <= set(output.inputs)
    output = run(params, seed=0, run_dir=tmp_path)
    metrics = output.metrics
    assert metrics["e5/evidence/n_queries"] == 11
    assert metrics["e5/evidence/n_documents"] == 26  # 6 annotated + 20 PQA-L abstracts
    assert metrics["e5/evidence/expanded_queries"] == 4  # BHA, ISO twice, VPA
    # Both entities of every pair are annotated in its one relevant abstract.
    assert metrics["e5/evidence/entity/recall@10"] == 1.0
    assert metrics["e5/evidence/both_entities_linked"] == 1.0
    assert metrics["e5/pubmedqa/bm25/recall@10"] == 1.0
    assert "e5/pubmedqa/bm25_abbrev/mrr" not in metrics
    assert (tmp_path / "table.md").read_text().startswith("# E5 retrieval")

    vectors = tmp_path / "cache" / "passage_vectors.npy"
    written = vectors.stat().st_mtime_ns
    again = run(params, seed=1, run_dir=tmp_path)
    assert again.metrics == metrics  # no randomness, and the cached vectors are reused
    assert vectors.stat().st_mtime_ns == written
