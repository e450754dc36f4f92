"""E2 pieces checked against the data and by hand, and a tiny real run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.stats import mannwhitneyu

from agent.types import EntityType
from experiments.benchmarks.e2_finetune import (
    E2Params,
    auroc,
    bootstrap_aurocs,
    evaluate,
    run,
)
from experiments.benchmarks.e2_pairs import (
    Pair,
    cid_pairs,
    comentioned_negatives,
    sample_pairs,
)
from experiments.inputs import record_reads, unlisted
from experiments.multirun import load_experiment
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document, read_pubtator
from tests.conftest import first_documents

CONFIG = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "e2_finetune.yaml"


@pytest.fixture(scope="module")
def slices(
    bc5cdr_train: Path, bc5cdr_dev: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Document], list[Document]]:
    folder = tmp_path_factory.mktemp("e2")
    train = list(read_pubtator(first_documents(bc5cdr_train, 60, folder / "train.txt")))
    dev = list(read_pubtator(first_documents(bc5cdr_dev, 60, folder / "dev.txt")))
    return train, dev


@pytest.fixture(scope="module")
def mesh() -> MeshVocabulary:
    return MeshVocabulary.load()


def _typed_ids(docs: list[Document], kind: EntityType) -> set[str]:
    return {i for d in docs for m in d.mentions if m.entity_type == kind for i in m.ids}


def _mentioned(doc: Document) -> set[str]:
    return {i for m in doc.mentions for i in m.ids}


def test_auroc_by_hand_and_against_mann_whitney() -> None:
    # Pairs won: 0.9 beats 3; 0.4 beats 0.1; 0.6 beats 0.5 and 0.1 and ties 0.6 -> 6.5 of 9.
    assert auroc(np.array([0.9, 0.4, 0.6]), np.array([0.5, 0.1, 0.6])) == pytest.approx(6.5 / 9)
    rng = np.random.default_rng(3)
    pos, neg = rng.normal(0.5, 1, 40).round(1), rng.normal(0, 1, 55).round(1)  # with ties
    u = mannwhitneyu(pos, neg).statistic
    assert auroc(pos, neg) == pytest.approx(u / (40 * 55))


def test_bootstrap_resamples_are_shared_and_seeded() -> None:
    pos, neg = np.array([3.0, 2.0, 0.5, 1.5]), np.array([1.0, 0.0, 2.5, -1.0, 0.2])
    boot = bootstrap_aurocs({"a": (pos, neg), "b": (pos * 2, neg * 2)}, 200, seed=1)
    # Same order-preserving scores on the same resamples: paired differences are all zero.
    assert np.array_equal(boot["a"], boot["b"])
    assert np.array_equal(boot["a"], bootstrap_aurocs({"a": (pos, neg)}, 200, seed=1)["a"])
    assert not np.array_equal(boot["a"], bootstrap_aurocs({"a": (pos, neg)}, 200, seed=2)["a"])
    low, high = np.percentile(boot["a"], [2.5, 97.5])
    assert low <= auroc(pos, neg) <= high


def test_evaluate_separates_negative_sets() -> None:
    kinds = ["positive"] * 2 + ["random"] * 2 + ["comentioned"] * 2
    pairs = [Pair(f"MESH:C{i}", f"MESH:D{i}", k) for i, k in enumerate(kinds)]  # type: ignore[arg-type]
    base = np.array([2.0, 1.0, 0.0, -1.0, 3.0, 1.5])
    tuned = np.array([2.0, 1.0, 0.0, -1.0, 0.5, 0.0])
    scores = {
        m: {"llm_plausibility": s, "llm_yes_no": s, "llm_support": -s}
        for m, s in (("base", base), ("tuned", tuned))
    }
    out = evaluate(pairs, scores, n_boot=20, seed=0)
    assert out["eval/base/auroc_random"] == 1.0 and out["eval/tuned/auroc_random"] == 1.0
    # Base: 2 beats 1.5 only, 1 beats nothing -> 1/4; tuned beats both negatives twice.
    assert out["eval/base/auroc_comentioned"] == 0.25
    assert out["eval/tuned/auroc_comentioned"] == 1.0
    assert out["eval/delta/auroc_comentioned"] == 0.75
    assert out["eval/base/auroc_random_support"] == 0.0
    assert out["eval/delta/auroc_random_ci_low"] == out["eval/delta/auroc_random_ci_high"] == 0


def test_positives_are_held_out_cid_pairs_unseen_in_training(
    slices: tuple[list[Document], list[Document]], mesh: MeshVocabulary
) -> None:
    train, dev = slices
    pairs = sample_pairs(train, dev, 10, seed=0, mesh=mesh)
    train_cid, dev_cid = set(cid_pairs(train)), cid_pairs(dev)
    assert len(pairs.positives) == 10
    for p in pairs.positives:
        assert (p.chemical, p.disease) in dev_cid and (p.chemical, p.disease) not in train_cid
        doc = next(d for d in dev if d.pmid == p.pmid)
        assert any(
            r.type == "CID" and (r.id1, r.id2) == (p.chemical, p.disease) for r in doc.relations
        )
    assert pairs.counts["positive_pool"] == len({pair for pair in dev_cid if pair not in train_cid})


def test_random_negatives_are_type_matched_and_never_true_or_co_mentioned(
    slices: tuple[list[Document], list[Document]], mesh: MeshVocabulary
) -> None:
    train, dev = slices
    pairs = sample_pairs(train, dev, 12, seed=4, mesh=mesh)
    known = set(cid_pairs(train)) | set(cid_pairs(dev))
    chems, diseases = _typed_ids(dev, EntityType.CHEMICAL), _typed_ids(dev, EntityType.DISEASE)
    assert len(pairs.random) == len(pairs.positives) == 12  # 1:1
    assert len({(p.chemical, p.disease) for p in pairs.random}) == 12
    for p in pairs.random:
        assert p.chemical in chems and p.disease in diseases
        assert (p.chemical, p.disease) not in known
        assert not any({p.chemical, p.disease} <= _mentioned(d) for d in dev)


def test_comentioned_negatives_share_an_abstract_without_the_relation(
    slices: tuple[list[Document], list[Document]], mesh: MeshVocabulary
) -> None:
    train, dev = slices
    pairs = sample_pairs(train, dev, 12, seed=4, mesh=mesh)
    known = set(cid_pairs(train)) | set(cid_pairs(dev))
    assert len(pairs.comentioned) == 12
    assert not {(p.chemical, p.disease) for p in pairs.comentioned} & {
        (p.chemical, p.disease) for p in pairs.random
    }
    for p in pairs.comentioned:
        doc = next(d for d in dev if d.pmid == p.pmid)
        assert {p.chemical, p.disease} <= _mentioned(doc)
        assert (p.chemical, p.disease) not in {(r.id1, r.id2) for r in doc.relations}
        assert (p.chemical, p.disease) not in known


def test_hypernym_filter_drops_a_general_disease_of_a_known_induction(
    slices: tuple[list[Document], list[Document]], mesh: MeshVocabulary
) -> None:
    _, dev = slices
    graph = CooccurrenceGraph.from_documents(dev)
    known = set(cid_pairs(dev))
    # PMID 20735774: paracetamol induces acute liver failure (D017114), whose MeSH parent is
    # liver failure (D017093); the abstract mentions both diseases.
    paracetamol, liver_failure = "MESH:D000082", "MESH:D017093"
    assert ("MESH:D000082", "MESH:D017114") in known
    assert liver_failure in mesh.ancestors("MESH:D017114")
    unfiltered, none_dropped = comentioned_negatives(dev, graph, known, None)
    filtered, dropped = comentioned_negatives(dev, graph, known, mesh)
    assert unfiltered[(paracetamol, liver_failure)] == "20735774" and none_dropped == 0
    assert (paracetamol, liver_failure) not in filtered
    assert dropped == len(unfiltered) - len(filtered) > 0


def test_sampling_is_seeded(
    slices: tuple[list[Document], list[Document]], mesh: MeshVocabulary
) -> None:
    train, dev = slices
    first, again = (sample_pairs(train, dev, 8, seed=7, mesh=mesh) for _ in range(2))
    other = sample_pairs(train, dev, 8, seed=8, mesh=mesh)
    assert (first.positives, first.random, first.comentioned) == (
        again.positives,
        again.random,
        again.comentioned,
    )
    assert first.random != other.random


def test_params_reject_fields_e2_sets_and_config_file_validates() -> None:
    with pytest.raises(ValidationError, match=r"`finetune.seed` is set by E2"):
        E2Params.model_validate({"finetune": {"seed": 3}})
    with pytest.raises(ValidationError, match=r"finetune.max_stepz"):
        E2Params.model_validate({"finetune": {"max_stepz": 3}})
    config = load_experiment(CONFIG)
    assert config.task == "e2_finetune"
    E2Params.model_validate(config.params)


@pytest.mark.slow
def test_tiny_run_writes_adapter_table_and_metrics(tmp_path: Path, data_dir: Path) -> None:
    params = {
        "held_out_documents": 30,
        "pairs": 4,
        "bootstrap": 20,
        "finetune": {"max_steps": 2, "max_documents": 30, "eval_documents": 3, "batch_size": 2},
    }
    with record_reads(data_dir) as reads:
        output = run(params, seed=0, run_dir=tmp_path)
    assert unlisted(reads, output.inputs) == []  # the MeSH tables of the hypernym filter too
    m = output.metrics
    assert m["data/positives"] == m["data/negatives_random"] == 4
    assert m["train/steps"] == 2 and len(output.series["train/loss"]) == 2
    for model in ("base", "tuned"):
        for negatives in ("random", "comentioned"):
            assert 0.0 <= m[f"eval/{model}/auroc_{negatives}"] <= 1.0
    assert m["train/eval_loss_after"] != m["train/eval_loss_before"]  # the adapter changed it
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert (tmp_path / "adapter" / "finetune_config.json").is_file()
    rows = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    assert len(rows) == 4 + 4 + int(m["data/negatives_comentioned"])
    resources = json.loads((tmp_path / "resources.json").read_text())
    assert resources["train/seconds_per_step"] > 0 and resources["memory/peak_rss_mb"] > 100
    table = (tmp_path / "table.md").read_text()
    assert table.startswith("E2 LoRA fine-tuning") and "Wall time" in table
