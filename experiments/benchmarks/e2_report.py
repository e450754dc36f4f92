"""E2's Markdown table: AUROC per model and negative set, then training cost."""

from __future__ import annotations

from typing import Any


def _auroc_cell(metrics: dict[str, float], model: str, negatives: str) -> str:
    key = f"eval/{model}/auroc_{negatives}"
    sign = "+" if model == "delta" else ""
    cell = f"{metrics[key]:{sign}.3f}"
    if f"{key}_ci_low" in metrics:
        cell += f" [{metrics[f'{key}_ci_low']:{sign}.3f}, {metrics[f'{key}_ci_high']:{sign}.3f}]"
    return cell


def _parts_cell(metrics: dict[str, float], model: str, part: str) -> str:
    return " / ".join(
        f"{metrics[f'eval/{model}/auroc_{n}_{part}']:.3f}" for n in ("random", "comentioned")
    )


def render_table(
    metrics: dict[str, float],
    resources: dict[str, float],
    finetune: dict[str, Any],
    threads: int,
) -> str:
    """The run folder's ``table.md``: results first, then what training cost."""
    m, r = metrics, resources
    lines = [
        "E2 LoRA fine-tuning of SmolLM2-135M: relation-plausibility AUROC on held-out pairs",
        "",
        f"Positives: {int(m['data/positives'])} BC5CDR development CID pairs unseen in training "
        f"(of {int(m['data/positive_pool'])}). Negatives: {int(m['data/negatives_random'])} "
        f"type-matched random pairs, {int(m['data/negatives_comentioned'])} pairs co-mentioned "
        "without the relation. Score: `agent.plausibility` (yes/no margin + support).",
        "",
        "| model | AUROC vs random [95% CI] | AUROC vs co-mentioned [95% CI] "
        "| yes/no part (random / co-m.) | support part (random / co-m.) |",
        "|---|---|---|---|---|",
    ]
    for model in ("base", "tuned"):
        lines.append(
            f"| {model} | {_auroc_cell(m, model, 'random')} "
            f"| {_auroc_cell(m, model, 'comentioned')} "
            f"| {_parts_cell(m, model, 'yes_no')} | {_parts_cell(m, model, 'support')} |"
        )
    if "eval/delta/auroc_random" in m:
        lines.append(
            f"| tuned - base | {_auroc_cell(m, 'delta', 'random')} "
            f"| {_auroc_cell(m, 'delta', 'comentioned')} | | |"
        )
    lines += [
        "",
        f"Fine-tuning: {int(m['train/steps'])} steps x batch {finetune['batch_size']} over "
        f"{int(m['train/examples'])} training statements (context {finetune['context_tokens']} "
        f"tokens, LoRA r={finetune['r']} on {', '.join(finetune['target_modules'])}, "
        f"{int(m['train/trainable_params'])} trainable parameters, lr "
        f"{finetune['learning_rate']}), {threads} torch thread(s).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| statement loss, held-out training abstracts (nats/token) "
        f"| {m['train/eval_loss_before']:.4f} -> {m['train/eval_loss_after']:.4f} |",
        f"| training loss, first step -> mean of last 10 "
        f"| {m['train/loss_first']:.4f} -> {m['train/loss_last10']:.4f} |",
        f"| training time (s) | {r['time/train_s']:.1f} |",
        f"| seconds per step (dynamic padding) | {r['train/seconds_per_step']:.3f} |",
        f"| scoring, seconds per pair and model | {r['eval/seconds_per_pair']:.3f} |",
        f"| evidence index + retrieval (s) | {r['time/index_s']:.1f} |",
        f"| whole benchmark (s) | {r['time/total_s']:.1f} |",
        f"| peak RSS, this seed (MiB; see the note below) | {r['memory/peak_rss_mb']:.0f} |",
    ]
    return "\n".join(lines) + "\n"
