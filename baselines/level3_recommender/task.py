"""Entry point of level 3: offline evaluation of every model, then the batch store."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import yaml

from .batch import run_batch
from .config import load_config
from .data import load_movielens
from .evaluate import evaluate_split, make_split, metrics_table, repeat_random, repeats_table

logger = logging.getLogger(__name__)


def default_out_dir() -> Path:
    """``runs/baselines/level3_recommender/<UTC timestamp>/`` under the working directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("runs") / "baselines" / "level3_recommender" / stamp


def run(config: str | Path | None = None, out_dir: str | Path | None = None) -> dict[str, float]:
    """Evaluate popularity, ALS, BPR and content models and build the serving folder.

    Args:
        config: YAML config path; None uses the package's ``config.yaml``.
        out_dir: Output folder (created); None uses ``default_out_dir()``.

    Returns:
        Flat metrics: ``<split>/<model>/<metric>@k``, ``<split>/users_scored``,
        ``<split>/users_cold``, ``<split>/<model>/lift_precision@k`` (precision over
        popularity's), ``random_repeats/<model>/<metric>_mean``/``_std`` (over the split seeds)
        and ``batch/*``. The same mapping is written to ``metrics.json``; beside
        it ``config.resolved.yaml``, ``metrics.md`` (the side-by-side table) and ``serving/``
        (the batch store, the model and the fallback list).
    """
    cfg = load_config(config)
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.resolved.yaml").write_text(
        yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    logger.info("level 3 run -> %s with %s", out, cfg.model_dump())
    ml = load_movielens(cfg.data.folder, cfg.data.max_users)

    metrics: dict[str, float] = {}
    for kind in cfg.eval.splits:
        metrics |= evaluate_split(make_split(kind, ml, cfg), ml, cfg)
    metrics |= _lifts(metrics, cfg.eval.splits, cfg.models.evaluate, cfg.eval.k)
    table = metrics_table(metrics, cfg)
    if cfg.eval.repeat_seeds:
        metrics |= repeat_random(ml, cfg)
        table += "\n" + repeats_table(metrics, cfg)
    (out / "metrics.md").write_text(table, encoding="utf-8")
    if cfg.batch.enabled:
        metrics |= run_batch(ml, cfg, out / "serving")

    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics


def _lifts(
    metrics: dict[str, float], splits: Sequence[str], models: Sequence[str], k: int
) -> dict[str, float]:
    """Each learned model's precision@k as a ratio to popularity's on the same split."""
    if "popularity" not in models:
        return {}
    lifts = {}
    for split in splits:
        base = metrics[f"{split}/popularity/precision@{k}"]
        for model in models:
            if model != "popularity" and base > 0:
                value = metrics[f"{split}/{model}/precision@{k}"] / base
                lifts[f"{split}/{model}/lift_precision@{k}"] = value
    return lifts
