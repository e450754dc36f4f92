"""Measure the LLM side on this machine: ``python -m agent.llm.benchmark [--threads N]``.

Prints GGUF dequantization time, cached load time, generation tokens/s (one prompt and a
batch of 8), rationale seconds per hypothesis, plausibility seconds per hypothesis and
finetune seconds per step, on real BC5CDR abstracts. Uses a fresh temporary cache so the
GGUF path is measured; takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from agent.finetune import FinetuneConfig, finetune
from agent.llm.config import LLMConfig
from agent.llm.local import LocalBackend
from agent.plausibility import score_plausibility
from agent.rationale import write_rationales
from agent.types import Entity, EntityType, Evidence, Hypothesis, Relation
from retrieval.datadir import resolve
from retrieval.pubtator import Document, read_pubtator


def _timed(label: str, results: dict[str, float], start: float) -> float:
    results[label] = round(time.perf_counter() - start, 3)
    print(f"{label}: {results[label]}", flush=True)
    return results[label]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run every measurement and print them; returns the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch threads per call")
    args = parser.parse_args(argv)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        config = LLMConfig(cache_dir=cache, num_threads=args.threads)
        start = time.perf_counter()
        LocalBackend.load(config)
        _timed("load/gguf_s", results, start)
        start = time.perf_counter()
        llm = LocalBackend.load(config)
        _timed("load/cached_s", results, start)
        _generation(llm, results)

        docs = list(read_pubtator(resolve("bio/bc5cdr/CDR_TrainingSet.PubTator.txt")))[:8]
        hypotheses = [_hypothesis(d) for d in docs]
        start = time.perf_counter()
        write_rationales(hypotheses, llm, max_new_tokens=48)
        results["rationale/s_per_hypothesis"] = round(
            (time.perf_counter() - start) / len(hypotheses), 3
        )
        print(f"rationale/s_per_hypothesis: {results['rationale/s_per_hypothesis']}")
        start = time.perf_counter()
        score_plausibility(hypotheses, llm)
        results["plausibility/s_per_hypothesis"] = round(
            (time.perf_counter() - start) / len(hypotheses), 3
        )
        print(f"plausibility/s_per_hypothesis: {results['plausibility/s_per_hypothesis']}")

        out = finetune(
            FinetuneConfig(
                base_model=str(llm.model_dir),
                output_dir=Path(tmp) / "lora",
                max_documents=120,
                eval_documents=8,
                max_steps=10,
                num_threads=args.threads,
            )
        )
        metrics = json.loads((out / "metrics.json").read_text())
        results["finetune/s_per_step"] = round(metrics["time/s_per_step"], 3)
        results["finetune/peak_rss_mib"] = round(metrics["memory/peak_rss_mib"], 1)
        print(f"finetune/s_per_step: {results['finetune/s_per_step']}")
    print(json.dumps(results, indent=2))
    return results


def _generation(llm: LocalBackend, results: dict[str, float]) -> None:
    prompts = [f"Name a drug that treats disease number {i}." for i in range(8)]
    for label, batch in (
        ("generate/tokens_per_s_batch1", prompts[:1]),
        ("generate/tokens_per_s_batch8", prompts),
    ):
        llm.stats = {"generated_tokens": 0, "generate_seconds": 0.0}
        llm.generate(batch, max_new_tokens=32)
        results[label] = round(llm.stats["generated_tokens"] / llm.stats["generate_seconds"], 2)
        print(f"{label}: {results[label]}", flush=True)


def _hypothesis(doc: Document) -> Hypothesis:
    pmid, text = doc.pmid, doc.text
    return Hypothesis(
        subject=Entity(id="MESH:D008012", name="lidocaine", type=EntityType.CHEMICAL),
        relation=Relation.INDUCES,
        object=Entity(id="MESH:D006323", name="cardiac asystole", type=EntityType.DISEASE),
        evidence=[Evidence(pmid=pmid, text=text, score=1.0)],
    )


if __name__ == "__main__":
    main()
