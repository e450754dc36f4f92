"""Real-data fixtures for the rl tests: BC5CDR development CID facts and pools built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.types import Hypothesis
from rl.labs import SimulatedLab
from rl.pools import cid_pools
from tests.rl.rl_helpers import hypothesis, read_cid_pairs, read_mentions


@pytest.fixture(scope="session")
def dev_cid(bc5cdr_dev: Path) -> list[tuple[str, str, str]]:
    return read_cid_pairs(bc5cdr_dev)


@pytest.fixture(scope="session")
def dev_lab(bc5cdr_dev: Path) -> SimulatedLab:
    return SimulatedLab.from_pubtator(bc5cdr_dev)


@pytest.fixture(scope="session")
def negative_pairs(bc5cdr_dev: Path, dev_cid: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Dev chemical/disease pairs mentioned in the same abstract that no dev abstract marks CID."""
    positives = {(c, d) for _, c, d in dev_cid}
    pairs = []
    for ids in read_mentions(bc5cdr_dev).values():
        chems = sorted(i for i, t in ids.items() if t == "Chemical")
        diseases = sorted(i for i, t in ids.items() if t == "Disease")
        pairs += [(c, d) for c in chems for d in diseases if (c, d) not in positives]
    return pairs


@pytest.fixture(scope="session")
def four_pool(
    dev_cid: list[tuple[str, str, str]], negative_pairs: list[tuple[str, str]]
) -> list[Hypothesis]:
    """Two real CID pairs and two real non-CID pairs, with hand-set `s` scores.

    Slots 1 and 2 are true: greedy on `s` tests slot 1 (0.9), 3 (0.7), 2 (0.5), 0 (0.2), so its
    discovery curve is 1, 1, 2, 2.
    """
    (_, c1, d1), (_, c2, d2) = dev_cid[0], dev_cid[5]
    (c3, d3), (c4, d4) = negative_pairs[0], negative_pairs[7]
    return [
        hypothesis(c3, d3, s=0.2),
        hypothesis(c1, d1, s=0.9),
        hypothesis(c2, d2, s=0.5),
        hypothesis(c4, d4, s=0.7),
    ]


@pytest.fixture(scope="session")
def dev_pools(bc5cdr_dev: Path, bc5cdr_train: Path) -> list[list[Hypothesis]]:
    """Pools of all chemical x disease pairs of two dev abstracts' CID entities (~240 pools)."""
    return cid_pools(bc5cdr_dev, bc5cdr_train, docs_per_pool=2, max_candidates=12, seed=0)
