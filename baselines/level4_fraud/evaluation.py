"""The handbook's split and measures: AUC ROC, average precision and card precision@k."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from baselines.level4_fraud.config import SplitConfig
from baselines.level4_fraud.data import day_slice


def train_test_split(frame: pd.DataFrame, split: SplitConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training week and test days, with cards already known compromised removed from the test.

    Known compromised: cards with a fraud in the training days, plus, for each test day ``d``,
    cards with a fraud up to day ``d - delay - 1`` (labels take ``delay`` days to arrive), as in
    the handbook's ``get_train_test_set``.
    """
    train = day_slice(frame, split.train_start, split.delta_train)
    known = set(train.loc[train["TX_FRAUD"] == 1, "CUSTOMER_ID"])
    kept = []
    delay_start = split.train_start + dt.timedelta(days=split.delta_train)
    for day in range(split.delta_test):
        if day > 0 and split.delta_delay > 0:
            seen = day_slice(frame, delay_start + dt.timedelta(days=day - 1), 1)
            known |= set(seen.loc[seen["TX_FRAUD"] == 1, "CUSTOMER_ID"])
        today = day_slice(frame, split.test_start + dt.timedelta(days=day), 1)
        kept.append(today[~today["CUSTOMER_ID"].isin(known)])
    test = pd.concat(kept).sort_values("TRANSACTION_ID")
    return train.sort_values("TRANSACTION_ID"), test


def card_precision_at_k(test: pd.DataFrame, scores: np.ndarray, k: int) -> float:
    """Mean over test days of the share of compromised cards among the day's k top-scored cards.

    A card's daily score and label are the maxima over its transactions that day. Cards found
    compromised in an earlier day's top k are left out of later days (an investigator has
    already blocked them), as the handbook does.
    """
    frame = pd.DataFrame(
        {
            "day": test["TX_TIME_DAYS"].to_numpy(),
            "card": test["CUSTOMER_ID"].to_numpy(),
            "fraud": test["TX_FRAUD"].to_numpy(),
            "score": np.asarray(scores, dtype=np.float64),
        }
    )
    detected: set[int] = set()
    daily = []
    for _, day in frame.groupby("day", sort=True):
        day = day[~day["card"].isin(detected)]
        cards = day.groupby("card")[["score", "fraud"]].max()
        top = cards.sort_values("score", ascending=False, kind="stable").head(k)
        hits = top.index[top["fraud"] == 1]
        daily.append(len(hits) / k)
        detected.update(int(c) for c in hits)
    return float(np.mean(daily))


def evaluate(test: pd.DataFrame, scores: np.ndarray, k: int) -> dict[str, float]:
    """AUC ROC, average precision and card precision@k of fraud scores on test rows."""
    y = test["TX_FRAUD"].to_numpy()
    return {
        "auc_roc": float(roc_auc_score(y, scores)),
        "average_precision": float(average_precision_score(y, scores)),
        f"card_precision@{k}": card_precision_at_k(test, scores, k),
    }
