"""Baseline policies and evaluation against hand-computed orders and curves."""

from __future__ import annotations

import numpy as np
import pytest

from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.evaluate import evaluate, select_and_test
from rl.labs import SimulatedLab
from rl.policies import (
    FeedbackGreedyPolicy,
    GreedyPolicy,
    Policy,
    RandomPolicy,
    ThompsonPolicy,
    UCBPolicy,
)
from tests.rl.rl_helpers import hypothesis

FIXED = EnvConfig(max_candidates=4, score_keys=("s",), shuffle=False)


def _picks(
    policy: Policy, pool: list, lab: SimulatedLab, budget: int = 4, categories: dict | None = None
) -> list[int]:
    env = HypothesisSelectionEnv([pool], lab, budget, FIXED, categories=categories)
    obs, info = env.reset(seed=0)
    policy.reset(0)
    picks, done = [], False
    while not done:
        picks.append(policy.select(obs, env.action_masks(), info))
        obs, _, done, _, info = env.step(picks[-1])
    return picks


def test_greedy_tests_highest_score_first(four_pool: list, dev_lab: SimulatedLab) -> None:
    # s = 0.2, 0.9, 0.5, 0.7 -> slots 1, 3, 2, 0
    assert _picks(GreedyPolicy("s"), four_pool, dev_lab) == [1, 3, 2, 0]


def test_greedy_names_a_missing_score(four_pool: list, dev_lab: SimulatedLab) -> None:
    with pytest.raises(KeyError, match="'novelty' is not in the environment's `score_keys`"):
        _picks(GreedyPolicy("novelty"), four_pool, dev_lab)


def test_random_is_seeded_and_valid(four_pool: list, dev_lab: SimulatedLab) -> None:
    a = _picks(RandomPolicy(), four_pool, dev_lab)
    assert sorted(a) == [0, 1, 2, 3]
    assert _picks(RandomPolicy(), four_pool, dev_lab) == a


def test_ucb_follows_feedback(dev_cid: list, dev_lab: SimulatedLab, negative_pairs: list) -> None:
    # Lithium carbonate (doc 6794356) induces cyanosis and arrhythmia; UCB starts with the best
    # tie-break score (slot 0, true), then prefers slot 2 (shares lithium carbonate, mean 2/3)
    # over slot 1 (higher score, but its groups are untested: 1/2 + the same bonus).
    (_, li, cyanosis), (_, _, arrhythmia) = dev_cid[:2]
    free = [p for p in negative_pairs if not set(p) & {li, cyanosis, arrhythmia}]
    (c, d) = free[0]
    (c2, d2) = next(p for p in free if not set(p) & {c, d})  # four unrelated groups
    pool = [
        hypothesis(li, cyanosis, s=0.9),
        hypothesis(c, d, s=0.8),
        hypothesis(li, arrhythmia, s=0.1),
        hypothesis(c2, d2, s=0.0),
    ]
    assert _picks(UCBPolicy(c=0.0, score_key="s"), pool, dev_lab, budget=2) == [0, 2]


def test_thompson_is_seeded(four_pool: list, dev_lab: SimulatedLab) -> None:
    first = _picks(ThompsonPolicy(seed=3), four_pool, dev_lab)
    assert sorted(first) == [0, 1, 2, 3]
    assert _picks(ThompsonPolicy(seed=3), four_pool, dev_lab) == first


def test_evaluate_greedy_curve_by_hand(four_pool: list, dev_lab: SimulatedLab) -> None:
    result = evaluate(GreedyPolicy("s"), [four_pool], dev_lab, budget=4, seeds=[0, 1], config=FIXED)
    # order 1 (true), 3 (false), 2 (true), 0 (false): curve 1, 1, 2, 2
    np.testing.assert_array_equal(result.curves, [[[1, 1, 2, 2], [1, 1, 2, 2]]])
    assert result.discoveries.tolist() == [[2, 2]]
    assert result.auc.tolist() == [[1.5, 1.5]]  # (1 + 1 + 2 + 2) / 4
    metrics = result.metrics(label="greedy")
    assert metrics["eval/greedy/discoveries@budget"] == 2.0
    assert metrics["eval/greedy/discoveries@budget_std"] == 0.0


def test_evaluate_holds_the_curve_when_the_pool_runs_out(
    four_pool: list, dev_lab: SimulatedLab
) -> None:
    result = evaluate(GreedyPolicy("s"), [four_pool[:2]], dev_lab, budget=4, config=FIXED)
    # slots 1 (0.9, true) then 0 (0.2, false); then nothing left
    np.testing.assert_array_equal(result.curves[0, 0], [1, 1, 1, 1])


def test_random_matches_its_expectation(dev_pools: list, dev_lab: SimulatedLab) -> None:
    # Expected discoveries of uniform sampling without replacement: budget * positives / size.
    pools = dev_pools[:40]
    budget = 3
    expected = np.mean(
        [
            min(budget, len(p))
            * sum(bool(dev_lab.lookup(h.subject.id, h.relation, h.object.id)) for h in p)
            / len(p)
            for p in pools
        ]
    )
    result = evaluate(RandomPolicy(), pools, dev_lab, budget, seeds=range(20))
    assert result.discoveries.mean() == pytest.approx(expected, abs=0.1)


def test_select_and_test_attaches_outcomes(four_pool: list, dev_lab: SimulatedLab) -> None:
    tested = select_and_test(GreedyPolicy("s"), four_pool, dev_lab, budget=2, config=FIXED)
    assert [h.id for h in tested] == [four_pool[1].id, four_pool[3].id]
    assert [h.outcome.confirmed for h in tested if h.outcome] == [True, False]
    assert four_pool[1].outcome is None  # the caller's hypotheses are left as they were


def _organ_pool(dev_cid: list, negative_pairs: list) -> tuple[list, dict]:
    # Lithium carbonate induces cyanosis and arrhythmia (doc 6794356); the two negatives are
    # other real dev pairs. Cyanosis and arrhythmia get one shared class.
    (_, li, cyanosis), (_, _, arrhythmia) = dev_cid[:2]
    free = [p for p in negative_pairs if not set(p) & {li, cyanosis, arrhythmia}]
    (c, d) = free[0]
    (c2, d2) = next(p for p in free if not set(p) & {c, d})
    pool = [
        hypothesis(li, cyanosis, s=0.9),
        hypothesis(c, d, s=0.8),
        hypothesis(li, arrhythmia, s=0.1),
        hypothesis(c2, d2, s=0.0),
    ]
    return pool, {cyanosis: {"MESH:D006331"}, arrhythmia: {"MESH:D006331"}}


def test_feedback_greedy_moves_linked_candidates_after_a_confirmation(
    dev_cid: list, dev_lab: SimulatedLab, negative_pairs: list
) -> None:
    pool, organ = _organ_pool(dev_cid, negative_pairs)
    # Scaled s: 1, 8/9, 1/9, 0. After slot 0 is confirmed, slot 2 is linked to it through
    # lithium carbonate (an entity) and through the class: worth 1/9 + bonus + class_bonus,
    # which passes slot 1's 8/9 at 0.8 from either link, or 0.4 + 0.4, but not at 0.5 from
    # one. Greedy keeps the score order.
    for bonus, class_bonus, order in (
        (0.8, 0.0, [0, 2, 1, 3]),
        (0.0, 0.8, [0, 2, 1, 3]),
        (0.4, 0.4, [0, 2, 1, 3]),
        (0.5, 0.0, [0, 1, 2, 3]),
        (0.0, 0.5, [0, 1, 2, 3]),
        (0.0, 0.0, [0, 1, 2, 3]),
    ):
        policy = FeedbackGreedyPolicy("s", bonus=bonus, class_bonus=class_bonus)
        assert _picks(policy, pool, dev_lab, categories=organ) == order, (bonus, class_bonus)
    # Without the classes only the entity link counts.
    only_class = FeedbackGreedyPolicy("s", bonus=0.0, class_bonus=5.0)
    assert _picks(only_class, pool, dev_lab, categories={}) == [0, 1, 2, 3]
    assert _picks(GreedyPolicy("s"), pool, dev_lab, categories=organ) == [0, 1, 2, 3]
    # A refutation pushes its neighbours down: (c, d) is refuted, so (c, arrhythmia), which
    # shares c, falls below lithium carbonate and cyanosis (scaled 1, 8/9 - 1, 5/9, 0).
    (_, li, cyanosis), (_, _, arrhythmia) = dev_cid[:2]
    (c, d), (c2, d2) = (
        (pool[1].subject.id, pool[1].object.id),
        (pool[3].subject.id, pool[3].object.id),
    )
    refuted_first = [
        hypothesis(c, d, s=0.9),
        hypothesis(c, arrhythmia, s=0.8),
        hypothesis(li, cyanosis, s=0.5),
        hypothesis(c2, d2, s=0.0),
    ]
    penalised = FeedbackGreedyPolicy("s", bonus=0.0, class_bonus=0.0, penalty=1.0)
    assert _picks(penalised, refuted_first, dev_lab, categories={})[:2] == [0, 2]
    assert _picks(GreedyPolicy("s"), refuted_first, dev_lab, categories={})[:2] == [0, 1]


def test_feedback_greedy_fit_takes_the_best_and_smallest_weights() -> None:
    def auc(policy: FeedbackGreedyPolicy) -> float:  # best at class bonus 0.3; the rest ties
        return -abs(policy.class_bonus - 0.3)

    fitted = FeedbackGreedyPolicy.fit(
        "s", auc, bonuses=(1.0, 0.0), class_bonuses=(1.0, 0.3, 0.0), penalties=(0.05, 0.0)
    )
    assert (fitted.bonus, fitted.class_bonus, fitted.penalty) == (0.0, 0.3, 0.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        FeedbackGreedyPolicy("s", bonus=-1.0)
