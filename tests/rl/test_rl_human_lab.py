"""HumanLab against the real review store (hitl.service on a SQLite file)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from hitl import auth, db, service
from hitl.actions import record_outcome
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.labs import HumanLab
from tests.rl.rl_helpers import hypothesis


def test_human_lab_reads_recorded_outcomes(tmp_path: Path, dev_cid: list) -> None:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    pool = [hypothesis(c, d, s=float(i)) for i, (_, c, d) in enumerate(dev_cid[:3])]
    assert service.record_run(url, "run-1", pool) == 3
    with db.database(url).write() as session:
        reviewer = auth.create_user(session, "alice", "correct horse battery", "reviewer")
        record_outcome(session, reviewer, pool[2].id, True, "wet lab", 2.5, "assay positive", 1)
    lab = HumanLab(partial(service.recorded_outcome, url))

    recorded = lab.test(pool[2])
    assert (recorded.confirmed, recorded.lab, recorded.cost) == (True, "wet lab", 2.5)
    pending = lab.test(pool[0])
    assert (pending.confirmed, pending.detail) == (None, "pending review")

    # In the environment, a pending review is outcome 0 and earns nothing.
    config = EnvConfig(max_candidates=3, score_keys=("s",), shuffle=False)
    env = HypothesisSelectionEnv([pool], lab, budget=2, config=config)
    env.reset(seed=0)
    obs, reward, *_ = env.step(0)
    assert reward == 0.0 and obs[2] == 0.0  # slot 0: outcome feature stays 0
    obs, reward, *_ = env.step(2)
    assert reward == 1.0 and obs[2 * 6 + 2] == 1.0
