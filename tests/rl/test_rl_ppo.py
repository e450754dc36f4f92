"""MaskablePPO on pools of real BC5CDR dev pairs: training, save/load, comparison, learning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.types import Hypothesis
from rl.env import EnvConfig
from rl.evaluate import evaluate
from rl.labs import SimulatedLab
from rl.ppo import MaskablePPOPolicy
from rl.train import train_and_compare

BUDGET = 3


def _split(pools: list) -> tuple[list, list]:
    cut = len(pools) * 2 // 3
    return pools[:cut], pools[cut:]


def test_short_training_saves_and_loads(
    dev_pools: list, dev_lab: SimulatedLab, tmp_path: Path
) -> None:
    train, held_out = _split(dev_pools)
    policy = MaskablePPOPolicy.train(train, dev_lab, BUDGET, timesteps=512, seed=0, n_steps=256)
    assert policy.train_seconds is not None and policy.train_seconds > 0
    saved = policy.save(tmp_path / "ppo")
    assert {p.name for p in saved.iterdir()} == {"model.zip", "env_config.json"}

    loaded = MaskablePPOPolicy.load(saved)
    assert loaded.env_config == policy.env_config
    before = evaluate(policy, held_out[:30], dev_lab, BUDGET, seeds=[0, 1])
    after = evaluate(loaded, held_out[:30], dev_lab, BUDGET, seeds=[0, 1])
    np.testing.assert_array_equal(before.curves, after.curves)


def test_load_names_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing model\.zip, env_config\.json"):
        MaskablePPOPolicy.load(tmp_path)


def test_train_and_compare_reports_namespaced_metrics(
    dev_pools: list, dev_lab: SimulatedLab
) -> None:
    train, held_out = _split(dev_pools)
    metrics = train_and_compare(
        train[:60], held_out[:20], dev_lab, BUDGET, "known_pair", timesteps=512, eval_seeds=[0]
    )
    for name in ("ppo", "random", "greedy", "ucb", "thompson"):
        assert 0 <= metrics[f"eval/{name}/discoveries@budget"] <= BUDGET
        assert metrics[f"eval/{name}/episodes"] == 20
    assert metrics["train/timesteps"] == 512
    assert metrics["time/steps_per_s"] > 0


def test_evaluation_pools_must_be_held_out(dev_pools: list, dev_lab: SimulatedLab) -> None:
    with pytest.raises(ValueError, match=r"evaluation pools \[0\] are also training pools"):
        train_and_compare(dev_pools[:5], dev_pools[:1], dev_lab, BUDGET, "known_pair", 64)


def _with_truth(pool: list[Hypothesis], lab: SimulatedLab) -> list[Hypothesis]:
    """Add a perfectly informative score: 1 for the lab's true pairs, 0 otherwise."""
    return [
        h.model_copy(update={"scores": h.scores | {"truth": float(bool(lab.lookup(*_key(h))))}})
        for h in pool
    ]


def _key(h: Hypothesis) -> tuple:
    return h.subject.id, h.relation, h.object.id


@pytest.mark.slow
def test_ppo_learns_an_informative_score(dev_pools: list, dev_lab: SimulatedLab) -> None:
    pools = [_with_truth(p, dev_lab) for p in dev_pools]
    train, held_out = _split(pools)
    # Hand-computable bounds: greedy on `truth` finds min(budget, positives) in every pool;
    # random finds budget * positives / size on average.
    positives = [sum(h.scores["truth"] for h in p) for p in held_out]
    best = np.mean([min(BUDGET, k) for k in positives])
    chance = np.mean([BUDGET * k / len(p) for k, p in zip(positives, held_out, strict=True)])
    config = EnvConfig(max_candidates=12, score_keys=("truth", "chemical_prior"))

    metrics = train_and_compare(
        train, held_out, dev_lab, BUDGET, "truth", timesteps=6000, seed=0, config=config
    )
    assert metrics["eval/greedy/discoveries@budget"] == pytest.approx(best)
    assert metrics["eval/random/discoveries@budget"] == pytest.approx(chance, abs=0.15)
    assert metrics["eval/ppo/discoveries@budget"] >= best - 0.15
    assert metrics["eval/ppo/discoveries@budget"] >= chance + 0.8


def test_training_is_seeded(dev_pools: list, dev_lab: SimulatedLab) -> None:
    from rl.policies import MaskablePPOPolicy as Exported

    train, held_out = _split(dev_pools)
    runs = [
        evaluate(
            Exported.train(train, dev_lab, BUDGET, 256, seed=4, n_steps=128),
            held_out[:20],
            dev_lab,
            BUDGET,
        ).curves
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
