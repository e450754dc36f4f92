"""A per-event feature store: what the scoring service uses to compute features in real time.

It keeps, per card, the amounts of the last ``max(windows)`` days with running sums, and per
terminal the events of the last ``delay + max(windows)`` days with their labels (set when the
label is known; a label younger than the delay is never read). It gives the same numbers as
:func:`baselines.level4_fraud.features.compute_features` on the same stream.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable

import numpy as np
import pandas as pd

from baselines.level4_fraud.features import SECONDS_PER_DAY, feature_names

_EPOCH = dt.datetime(1970, 1, 1)


class _Window:
    """Transactions of one card over (t - span, t], with the running amount total."""

    __slots__ = ("events", "span", "total")

    def __init__(self, span_s: int) -> None:
        self.span = span_s
        self.events: deque[tuple[int, float]] = deque()
        self.total = 0.0

    def add(self, t: int, amount: float) -> tuple[int, float]:
        self.events.append((t, amount))
        self.total += amount
        while self.events[0][0] <= t - self.span:
            self.total -= self.events.popleft()[1]
        return len(self.events), self.total / len(self.events)


class OnlineFeatureStore:
    """Streaming computation of the handbook's features, one transaction at a time.

    Args:
        windows: window lengths in days.
        delay_days: terminal windows end this many days before the transaction.
    """

    def __init__(self, windows: list[int], delay_days: int) -> None:
        self.windows = list(windows)
        self.delay_s = delay_days * SECONDS_PER_DAY
        self.names = feature_names(self.windows)
        self._cards: dict[int, list[_Window]] = {}
        self._terminals: dict[int, deque[list[int]]] = {}
        self._horizon_s = self.delay_s + max(self.windows) * SECONDS_PER_DAY
        self.n_seen = 0

    def process(
        self,
        customer_id: int,
        terminal_id: int,
        amount: float,
        when: dt.datetime,
        fraud: int | None = None,
    ) -> np.ndarray:
        """Add one transaction to the store and return its features (float64, handbook order).

        ``fraud`` may be given at once when replaying labelled history: only labels older than
        the delay are read, so this is equivalent to learning the label later.
        """
        t = int((when - _EPOCH).total_seconds())
        row = [amount, float(when.weekday() >= 5), float(when.hour <= 6)]
        cards = self._cards.get(customer_id)
        if cards is None:
            cards = [_Window(w * SECONDS_PER_DAY) for w in self.windows]
            self._cards[customer_id] = cards
        for window in cards:
            row.extend(window.add(t, amount))
        row.extend(self._terminal(terminal_id, t, -1 if fraud is None else int(fraud)))
        self.n_seen += 1
        return np.asarray(row, dtype=np.float64)

    def _terminal(self, terminal_id: int, t: int, fraud: int) -> list[float]:
        events = self._terminals.setdefault(terminal_id, deque())
        events.append([t, fraud])
        while events[0][0] <= t - self._horizon_s:
            events.popleft()
        cutoff = t - self.delay_s
        out: list[float] = []
        for w in self.windows:
            lo = cutoff - w * SECONDS_PER_DAY
            aged = [label for when, label in events if lo < when <= cutoff]
            n_fraud = sum(1 for label in aged if label == 1)
            out += [float(len(aged)), n_fraud / len(aged) if aged else 0.0]
        return out

    def warm(self, frame: pd.DataFrame) -> None:
        """Load labelled history (raw columns, time order) without computing features."""
        rows = zip(
            frame["CUSTOMER_ID"].to_numpy(),
            frame["TERMINAL_ID"].to_numpy(),
            frame["TX_AMOUNT"].to_numpy(),
            frame["TX_DATETIME"].dt.to_pydatetime(),
            frame["TX_FRAUD"].to_numpy(),
            strict=True,
        )
        for customer, terminal, amount, when, fraud in rows:
            t = int((when - _EPOCH).total_seconds())
            cards = self._cards.get(int(customer))
            if cards is None:
                cards = [_Window(w * SECONDS_PER_DAY) for w in self.windows]
                self._cards[int(customer)] = cards
            for window in cards:
                window.add(t, float(amount))
            events = self._terminals.setdefault(int(terminal), deque())
            events.append([t, int(fraud)])
            while events[0][0] <= t - self._horizon_s:
                events.popleft()
        self.n_seen += len(frame)

    def replay(self, frame: pd.DataFrame, progress: Iterable | None = None) -> np.ndarray:
        """Process every row of a raw-transaction frame in order; returns the feature matrix."""
        rows = zip(
            frame["CUSTOMER_ID"].to_numpy(),
            frame["TERMINAL_ID"].to_numpy(),
            frame["TX_AMOUNT"].to_numpy(),
            frame["TX_DATETIME"].dt.to_pydatetime(),
            frame["TX_FRAUD"].to_numpy(),
            strict=True,
        )
        out = [
            self.process(int(c), int(term), float(a), when, int(y)) for c, term, a, when, y in rows
        ]
        return np.vstack(out) if out else np.empty((0, len(self.names)))
