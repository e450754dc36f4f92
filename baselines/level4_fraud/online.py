"""A per-event feature store: what the scoring service uses to compute features in real time.

It keeps, per card, the amounts of the last ``max(windows)`` days with running sums, and per
terminal the events of the last ``delay + max(windows)`` days with their labels. A served
payment's label is unknown (-1) until :meth:`OnlineFeatureStore.set_labels` reports it (a
confirmed fraud or a cleared payment); a label younger than the delay is never read. Fed the
same labels, it gives the same numbers as
:func:`baselines.level4_fraud.features.compute_features` on the same stream.

Payments are taken in arrival order, which is assumed to be time order: a payment stamped
earlier than its card's last one still counts that later one in its windows. The store is not
thread-safe; the service serialises calls with a lock.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

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
        # Terminal events [time_s, label (-1 unknown, 0, 1), transaction id (-1 none)].
        self._terminals: dict[int, deque[list[int]]] = {}
        self._by_id: dict[int, list[int]] = {}  # transaction id -> its terminal event
        # Events are evicted one day after the longest terminal window stops reading them, so a
        # payment processed up to a day after a later-stamped one (concurrent requests) still
        # sees its whole terminal history.
        self._horizon_s = self.delay_s + (max(self.windows) + 1) * SECONDS_PER_DAY
        self.n_seen = 0

    def __contains__(self, transaction_id: int) -> bool:
        """Whether a payment with this id is held (within the terminal horizon)."""
        return transaction_id in self._by_id

    def set_labels(self, labels: dict[int, int]) -> list[int]:
        """Record reported labels (transaction id -> 0/1) of payments already processed.

        Returns:
            The ids not held: never seen, or older than the terminal horizon (no longer read).
        """
        unknown = []
        for transaction_id, fraud in labels.items():
            event = self._by_id.get(transaction_id)
            if event is None:
                unknown.append(transaction_id)
            else:
                event[1] = int(fraud)
        return unknown

    def process(
        self,
        customer_id: int,
        terminal_id: int,
        amount: float,
        when: dt.datetime,
        fraud: int | None = None,
        transaction_id: int | None = None,
    ) -> np.ndarray:
        """Add one transaction to the store and return its features (float64, handbook order).

        ``fraud`` may be given at once when replaying labelled history: only labels older than
        the delay are read, so this is equivalent to learning the label later. Otherwise the
        label stays unknown (never counted as fraud) until :meth:`set_labels` gives it, which
        needs ``transaction_id``.
        """
        t = int((when - _EPOCH).total_seconds())
        row = [amount, float(when.weekday() >= 5), float(when.hour <= 6)]
        cards = self._cards.get(customer_id)
        if cards is None:
            cards = [_Window(w * SECONDS_PER_DAY) for w in self.windows]
            self._cards[customer_id] = cards
        for window in cards:
            row.extend(window.add(t, amount))
        label = -1 if fraud is None else int(fraud)
        self._add_terminal_event(terminal_id, t, label, transaction_id)
        row.extend(self._terminal_features(terminal_id, t))
        self.n_seen += 1
        return np.asarray(row, dtype=np.float64)

    def _add_terminal_event(
        self, terminal_id: int, t: int, label: int, transaction_id: int | None
    ) -> None:
        events = self._terminals.setdefault(terminal_id, deque())
        event = [t, label, -1 if transaction_id is None else transaction_id]
        events.append(event)
        if transaction_id is not None:
            self._by_id[transaction_id] = event
        while events[0][0] <= t - self._horizon_s:
            self._by_id.pop(events.popleft()[2], None)

    def _terminal_features(self, terminal_id: int, t: int) -> list[float]:
        events = self._terminals[terminal_id]
        cutoff = t - self.delay_s
        out: list[float] = []
        for w in self.windows:
            lo = cutoff - w * SECONDS_PER_DAY
            aged = [label for when, label, _ in events if lo < when <= cutoff]
            n_fraud = sum(1 for label in aged if label == 1)
            out += [float(len(aged)), n_fraud / len(aged) if aged else 0.0]
        return out

    def warm(self, frame: pd.DataFrame) -> None:
        """Load labelled history (raw columns, time order) without computing features."""
        rows = zip(
            frame["TRANSACTION_ID"].to_numpy(),
            frame["CUSTOMER_ID"].to_numpy(),
            frame["TERMINAL_ID"].to_numpy(),
            frame["TX_AMOUNT"].to_numpy(),
            frame["TX_DATETIME"].dt.to_pydatetime(),
            frame["TX_FRAUD"].to_numpy(),
            strict=True,
        )
        for transaction_id, customer, terminal, amount, when, fraud in rows:
            t = int((when - _EPOCH).total_seconds())
            cards = self._cards.get(int(customer))
            if cards is None:
                cards = [_Window(w * SECONDS_PER_DAY) for w in self.windows]
                self._cards[int(customer)] = cards
            for window in cards:
                window.add(t, float(amount))
            self._add_terminal_event(int(terminal), t, int(fraud), int(transaction_id))
        self.n_seen += len(frame)

    def replay(self, frame: pd.DataFrame, labelled: bool = True) -> np.ndarray:
        """Process every row of a raw-transaction frame in order; returns the feature matrix.

        With ``labelled`` False the labels are withheld (as for served payments) and can be
        reported later with :meth:`set_labels`.
        """
        rows = zip(
            frame["TRANSACTION_ID"].to_numpy(),
            frame["CUSTOMER_ID"].to_numpy(),
            frame["TERMINAL_ID"].to_numpy(),
            frame["TX_AMOUNT"].to_numpy(),
            frame["TX_DATETIME"].dt.to_pydatetime(),
            frame["TX_FRAUD"].to_numpy(),
            strict=True,
        )
        out = [
            self.process(int(c), int(term), float(a), when, int(y) if labelled else None, int(i))
            for i, c, term, a, when, y in rows
        ]
        return np.vstack(out) if out else np.empty((0, len(self.names)))
