"""Hyperparameter grid on a validation split carved from the random split's training part.

``python -m baselines.level3_recommender.tune als|bpr|content``: prints precision@10 and
NDCG@10 per grid point, best last. The test part of the 75/25 split is never read, so the
table in the README stays an honest held-out estimate.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator

import numpy as np

from .config import AlsConfig, BprConfig, ContentConfig, Level3Config
from .data import MovieLens, load_movielens, random_split
from .evaluate import relevant_items
from .metrics import evaluate_lists
from .models import Als, Bpr, Content, Interactions, Popularity, Recommender

VALIDATION_SEED = 7  # differs from the split seed (42), so validation != test


def candidates(kind: str, ml: MovieLens) -> Iterator[tuple[str, Recommender]]:
    """(label, unfitted model) for each grid point of ``kind``."""
    if kind == "als":
        for f, reg, alpha in itertools.product([16, 32, 64], [0.1, 1.0, 5.0], [1.0, 3.0, 10.0]):
            als = AlsConfig(factors=f, regularization=reg, alpha=alpha)
            yield f"factors={f} reg={reg} alpha={alpha}", Als(als, 42)
    elif kind == "bpr":
        for f, lr, reg, it in itertools.product([64, 128], [0.01, 0.05], [0.01, 0.05], [60, 100]):
            bpr = BprConfig(factors=f, learning_rate=lr, regularization=reg, iterations=it)
            yield f"factors={f} lr={lr} reg={reg} iterations={it}", Bpr(bpr, 42)
    elif kind == "content":
        for min_df, blend in itertools.product([1, 2, 5], [0.3, 0.6, 0.8, 0.9]):
            content = ContentConfig(min_df=min_df, popularity_blend=blend)
            yield f"min_df={min_df} blend={blend}", Content(content, ml.movies, ml.tags)
    else:
        raise ValueError(f"unknown model {kind!r}; use als, bpr or content")


def main(argv: list[str] | None = None) -> int:
    """Score popularity and every grid point of one model on the validation split."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m baselines.level3_recommender.tune als|bpr|content", file=sys.stderr)
        return 2
    cfg = Level3Config()
    ml = load_movielens(cfg.data.folder)
    train, _test_never_read = random_split(ml.ratings, cfg.split.test_fraction, cfg.split.seed)
    fit_part, validation = random_split(train, cfg.split.test_fraction, VALIDATION_SEED)
    data = Interactions.build(fit_part, np.sort(ml.movies["movieId"].unique()))
    relevant = relevant_items(validation, data, cfg.split.relevance_threshold)
    users = np.array(sorted(relevant))
    catalogue = int((data.item_counts() > 0).sum())
    rows = []
    for label, model in [("popularity", Popularity()), *candidates(args[0], ml)]:
        model.fit(data)
        lists = dict(zip(users.tolist(), model.recommend(data, users, 10).tolist(), strict=True))
        scores = evaluate_lists(lists, relevant, 10, catalogue)
        rows.append((scores["precision@10"], scores["ndcg@10"], label))
        print(f"{label:<45} precision@10={rows[-1][0]:.3f} ndcg@10={rows[-1][1]:.3f}", flush=True)
    best = max(rows[1:])
    print(f"best: {best[2]} precision@10={best[0]:.3f} ndcg@10={best[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
