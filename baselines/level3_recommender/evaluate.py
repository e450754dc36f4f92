"""Offline evaluation: every model on every split, side by side, under one protocol.

Protocol: a model ranks every movie with at least one training rating, minus the user's own
training movies; a held-out rating >= ``relevance_threshold`` (0: any) is relevant; users with
no training rating or no relevant held-out movie are not scored (their count is reported).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from .config import Level3Config
from .data import MovieLens, random_split, temporal_split, user_temporal_split
from .metrics import evaluate_lists
from .models import Als, Bpr, Content, Interactions, Popularity, Recommender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """One train/test partition and the tags a model may read for it."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    tags: pd.DataFrame


def make_split(kind: str, ml: MovieLens, cfg: Level3Config) -> Split:
    """Build the named split; tags that would leak the held-out period are removed."""
    frac = cfg.split.test_fraction
    if kind == "random":
        train, test = random_split(ml.ratings, frac, cfg.split.seed)
    elif kind == "temporal":
        train, test = temporal_split(ml.ratings, frac)
        return Split(kind, train, test, ml.tags[ml.tags["timestamp"] <= train["timestamp"].max()])
    elif kind == "temporal_user":
        train, test = user_temporal_split(ml.ratings, frac)
    else:
        raise ValueError(f"unknown split {kind!r}; use random, temporal or temporal_user")
    # A user's tag on a movie they rated later is a direct hint at the held-out rating.
    held = pd.MultiIndex.from_frame(test[["userId", "movieId"]])
    keep = ~pd.MultiIndex.from_frame(ml.tags[["userId", "movieId"]]).isin(held)
    return Split(kind, train, test, ml.tags[keep])


def build_model(name: str, cfg: Level3Config, ml: MovieLens, tags: pd.DataFrame) -> Recommender:
    """A fresh, unfitted model by name."""
    seed = cfg.split.seed
    models: dict[str, Recommender] = {
        "popularity": Popularity(),
        "als": Als(cfg.models.als, seed),
        "bpr": Bpr(cfg.models.bpr, seed),
        "content": Content(cfg.models.content, ml.movies, tags),
    }
    return models[name]


def evaluate_split(split: Split, ml: MovieLens, cfg: Level3Config) -> dict[str, float]:
    """Fit every configured model on the split's train part and score its test part.

    Returns:
        Flat metrics named ``<split>/<model>/<metric>`` plus ``<split>/users_scored`` and
        ``<split>/users_cold`` (test users absent from train, who only get cold-start answers).
    """
    item_ids = np.sort(ml.movies["movieId"].unique())
    data = Interactions.build(split.train, item_ids)
    relevant = relevant_items(split.test, data, cfg.split.relevance_threshold)
    users = np.array(sorted(relevant))
    k = cfg.eval.k
    catalogue = int((data.item_counts() > 0).sum())
    out = {
        f"{split.name}/users_scored": float(len(users)),
        f"{split.name}/users_cold": float(len(set(split.test["userId"]) - set(data.user_ids))),
    }
    for name in tqdm(cfg.models.evaluate, desc=f"models on {split.name} split", leave=False):
        model = build_model(name, cfg, ml, split.tags)
        model.fit(data)
        lists = dict(zip(users.tolist(), model.recommend(data, users, k).tolist(), strict=True))
        scores = evaluate_lists(lists, relevant, k, catalogue)
        scores.pop("users")
        out |= {f"{split.name}/{name}/{metric}": value for metric, value in scores.items()}
        logger.info("%s %s: %s", split.name, name, _fmt(scores))
    return out


def relevant_items(test: pd.DataFrame, data: Interactions, threshold: float) -> dict[int, set[int]]:
    """user index -> relevant held-out item indices, for users known in training."""
    positives = test[test["rating"] >= threshold]
    positives = positives[positives["userId"].isin(data.user_ids)]
    rows = np.searchsorted(data.user_ids, positives["userId"].to_numpy())
    cols = np.searchsorted(data.item_ids, positives["movieId"].to_numpy())
    relevant: dict[int, set[int]] = {}
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        relevant.setdefault(row, set()).add(col)
    return relevant


def _fmt(scores: dict[str, float]) -> str:
    return " ".join(f"{key}={value:.3f}" for key, value in scores.items())


def metrics_table(metrics: dict[str, float], cfg: Level3Config) -> str:
    """A Markdown table: one row per split and model, one column per metric."""
    k = cfg.eval.k
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}", f"coverage@{k}"]
    lines = [
        "| split | model | users | " + " | ".join(cols) + " |",
        "|---|---|---:|" + "---:|" * len(cols),
    ]
    for split in cfg.eval.splits:
        users = int(metrics[f"{split}/users_scored"])
        for model in cfg.models.evaluate:
            values = " | ".join(f"{metrics[f'{split}/{model}/{c}']:.3f}" for c in cols)
            lines.append(f"| {split} | {model} | {users} | {values} |")
    return "\n".join(lines) + "\n"


def repeat_random(ml: MovieLens, cfg: Level3Config) -> dict[str, float]:
    """Mean and standard deviation of every random-split metric over ``split.seed`` and
    ``eval.repeat_seeds``: how much of a difference is the draw of the split.

    Returns:
        ``random_repeats/<model>/<metric>_mean`` and ``_std`` (population std over seeds),
        plus ``random_repeats/seeds``.
    """
    seeds = [cfg.split.seed, *cfg.eval.repeat_seeds]
    runs = []
    for seed in seeds:
        seeded = cfg.model_copy(update={"split": cfg.split.model_copy(update={"seed": seed})})
        runs.append(evaluate_split(make_split("random", ml, seeded), ml, seeded))
    out = {"random_repeats/seeds": float(len(seeds))}
    for key in runs[0]:
        if key.count("/") != 2:  # users_scored / users_cold
            continue
        values = np.array([run[key] for run in runs])
        name = key.removeprefix("random/")
        out[f"random_repeats/{name}_mean"] = float(values.mean())
        out[f"random_repeats/{name}_std"] = float(values.std())
    return out


def repeats_table(metrics: dict[str, float], cfg: Level3Config) -> str:
    """Markdown: mean +- std over the random-split seeds, one row per model."""
    k = cfg.eval.k
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}", f"coverage@{k}"]
    seeds = int(metrics["random_repeats/seeds"])
    lines = [
        f"Random 75/25 split over {seeds} seeds (mean +- std):",
        "",
        "| model | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for model in cfg.models.evaluate:
        cells = [
            f"{metrics[f'random_repeats/{model}/{c}_mean']:.3f} +- "
            f"{metrics[f'random_repeats/{model}/{c}_std']:.3f}"
            for c in cols
        ]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
