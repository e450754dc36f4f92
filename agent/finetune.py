"""LoRA fine-tuning of the local model on relation statements from training abstracts.

Each training example is a corpus relation written as a sentence after its abstract, in the
same layout `agent.plausibility` scores (``Abstracts: [PMID n] text ... In summary,`` then
`` lidocaine induces cardiac asystole.``). Only the statement's tokens carry loss, so the
adapter learns which relations an abstract supports. Batches are padded to their own
longest example (about 0.5 s a step on 2 cores, against 2.4-3.2 s padded to 128 tokens).

Output folder: the peft adapter (``adapter_config.json``, ``adapter_model.safetensors``),
``finetune_config.json`` (the resolved config) and ``metrics.json`` (loss curve, eval loss
before and after, seconds per step, peak memory). Load it with ``LLMConfig(adapter=...)``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import sys
import time
from pathlib import Path

import torch
import yaml
from peft import LoraConfig, get_peft_model
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tqdm import tqdm

from agent.llm.cache import load_model
from agent.llm.config import default_cache_dir, default_model_path
from agent.llm.finetune_data import Example, StatementCollator, build_examples
from agent.llm.local import torch_threads

logger = logging.getLogger(__name__)


class FinetuneConfig(BaseModel):
    """Settings for `finetune`; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")

    base_model: str = Field(
        default_factory=default_model_path,
        description="The model to adapt: a .gguf file (dequantized through the cache) or a "
        "saved transformers folder.",
    )
    cache_dir: Path = Field(
        default_factory=default_cache_dir, description="Cache for dequantized GGUF models."
    )
    data: list[str] = Field(
        default_factory=lambda: ["bio/bc5cdr/CDR_TrainingSet.PubTator.txt"],
        min_length=1,
        description="PubTator files with relations; relative paths are inside the data dir.",
    )
    data_dir: str | None = Field(
        default=None, description="Data directory override (else $SCIDISCO_DATA)."
    )
    output_dir: Path = Field(
        default=Path("runs/finetune/lora"), description="Where the adapter and metrics go."
    )
    max_documents: int | None = Field(
        default=None, ge=2, description="Use only the first N documents (for quick runs)."
    )
    eval_documents: int = Field(
        default=20, ge=1, description="Documents held out (after a seeded shuffle) for eval loss."
    )
    context_tokens: int = Field(
        default=96, ge=8, description="Abstract tokens kept before each statement."
    )
    r: int = Field(default=8, ge=1, description="LoRA rank.")
    alpha: int = Field(default=16, ge=1, description="LoRA scaling numerator (scale = alpha/r).")
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0, description="LoRA dropout.")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "v_proj"],
        min_length=1,
        description="Module names that get adapters.",
    )
    learning_rate: float = Field(default=2e-4, gt=0.0, description="AdamW learning rate.")
    batch_size: int = Field(default=8, ge=1, description="Examples per step.")
    max_steps: int = Field(default=100, ge=1, description="Optimizer steps.")
    seed: int = Field(default=0, description="Seeds shuffling, LoRA init and dropout.")
    num_threads: int | None = Field(
        default=None, ge=1, description="torch CPU threads while training (None: torch default)."
    )


class FinetuneConfigError(ValueError):
    """A finetune config file or option is wrong; the message names the file and field."""


def load_finetune_config(
    path: Path | None, overrides: dict[str, object] | None = None
) -> FinetuneConfig:
    """Read a YAML config (``None``: defaults) plus overrides; errors name file, line, field.

    Raises:
        FinetuneConfigError: unreadable YAML, or a field that fails validation.
    """
    if path is None:
        raw: object = {}
    else:
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise FinetuneConfigError(f"{where}: cannot read config ({exc})") from exc
    source = str(path) if path is not None else "finetune options"
    if not isinstance(raw, dict):
        raise FinetuneConfigError(
            f"{source}: expected a mapping of settings, got {type(raw).__name__}"
        )
    try:
        return FinetuneConfig.model_validate({**raw, **(overrides or {})})
    except ValidationError as exc:
        problems = "; ".join(f"`{'.'.join(map(str, e['loc']))}`: {e['msg']}" for e in exc.errors())
        raise FinetuneConfigError(
            f"{source}: {problems}. See FinetuneConfig for the fields."
        ) from exc


def finetune(config: FinetuneConfig) -> Path:
    """Train a LoRA adapter; return the output folder (load it with ``LLMConfig(adapter=...)``)."""
    with torch_threads(config.num_threads):
        return _finetune(config)


def _finetune(config: FinetuneConfig) -> Path:
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    base, tokenizer, _ = load_model(config.base_model, config.cache_dir)
    train, held_out = build_examples(config, tokenizer)
    collator = StatementCollator(int(tokenizer.pad_token_id or 0))
    logger.info(
        "finetune: %d train / %d eval examples, config %s",
        len(train),
        len(held_out),
        config.model_dump_json(),
    )

    lora = LoraConfig(
        r=config.r,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    eval_before = evaluation_loss(model, held_out, collator, config.batch_size)

    losses, seconds = _train(model, train, collator, config)

    eval_after = evaluation_loss(model, held_out, collator, config.batch_size)
    out = config.output_dir
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    (out / "finetune_config.json").write_text(config.model_dump_json(indent=2))
    metrics = {
        "train/loss": losses,
        "train/examples": len(train),
        "eval/examples": len(held_out),
        "eval/loss_before": eval_before,
        "eval/loss_after": eval_after,
        "time/train_s": seconds,
        "time/s_per_step": seconds / len(losses),
        "model/trainable_params": trainable,
        # ru_maxrss is in KiB on Linux: the process's peak resident memory.
        "memory/peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    logger.info(
        "finetune done: eval loss %.4f -> %.4f, %.2f s/step, adapter at %s",
        eval_before,
        eval_after,
        metrics["time/s_per_step"],
        out,
    )
    return out


def _train(
    model: torch.nn.Module,
    train: list[Example],
    collator: StatementCollator,
    config: FinetuneConfig,
) -> tuple[list[float], float]:
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate)
    order: list[int] = []
    losses: list[float] = []
    model.train()
    start = time.perf_counter()
    progress = tqdm(range(config.max_steps), desc="finetune", unit="step")
    for _ in progress:
        if len(order) < config.batch_size:  # a new pass over the shuffled data
            order += random.sample(range(len(train)), len(train))
        batch = collator([train[i] for i in order[: config.batch_size]])
        del order[: config.batch_size]

        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

        losses.append(float(loss.detach()))
        progress.set_postfix(loss=f"{losses[-1]:.3f}")
    model.eval()
    return losses, time.perf_counter() - start


def evaluation_loss(
    model: torch.nn.Module,
    examples: list[Example],
    collator: StatementCollator,
    batch_size: int = 8,
) -> float:
    """Mean statement-token cross-entropy (nats/token) over ``examples``, in eval mode."""
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for begin in range(0, len(examples), batch_size):
            batch = collator(examples[begin : begin + batch_size])
            tokens = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch).loss) * tokens
            count += tokens
    return total / max(count, 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``finetune`` to the ``scidisco`` command line."""
    p = subparsers.add_parser(
        "finetune",
        help="train a LoRA adapter on relation statements from training abstracts",
        description="Train a LoRA adapter; load it in runs with `llm.adapter: DIR`.",
    )
    p.add_argument("--config", type=Path, help="YAML with FinetuneConfig fields (optional)")
    p.add_argument("--output-dir", type=Path, help="where the adapter goes (runs/finetune/lora)")
    p.add_argument("--max-steps", type=int, help="optimizer steps (default 100)")
    p.add_argument("--max-documents", type=int, help="use only the first N documents")
    p.add_argument("--threads", type=int, dest="num_threads", help="torch CPU threads")
    p.set_defaults(func=run_cli)


def run_cli(args: argparse.Namespace) -> int:
    """``scidisco finetune``: train, then print where the adapter and metrics are."""
    names = ("output_dir", "max_steps", "max_documents", "num_threads")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    try:
        config = load_finetune_config(args.config, overrides)
    except FinetuneConfigError as exc:
        print(f"scidisco finetune: error: {exc}", file=sys.stderr)
        return 2
    out = finetune(config)
    metrics = json.loads((out / "metrics.json").read_text())
    print(f"adapter:   {out}\nmetrics:   {out / 'metrics.json'}")
    print(f"eval loss: {metrics['eval/loss_before']:.4f} -> {metrics['eval/loss_after']:.4f}")
    print(f"use it:    scidisco run CONFIG --set llm.adapter={out}")
    return 0
