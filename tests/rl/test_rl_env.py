"""The selection environment on real BC5CDR pools: API checks, masks, rewards, feedback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from agent.types import Entity, EntityType, Hypothesis, Provenance
from rl.env import EnvConfig, HypothesisSelectionEnv, InvalidActionError
from rl.labs import SimulatedLab
from tests.rl.rl_helpers import hypothesis

FIXED = EnvConfig(max_candidates=4, score_keys=("s",), shuffle=False)


def _env(
    pool: list[Hypothesis], lab: SimulatedLab, budget: int = 3, **kw
) -> HypothesisSelectionEnv:
    config = FIXED.model_copy(update=kw)
    return HypothesisSelectionEnv([pool], lab, budget, config)


def test_gymnasium_check_env(dev_pools: list, dev_lab: SimulatedLab) -> None:
    full = [p for p in dev_pools if len(p) == 12][:20]
    env = HypothesisSelectionEnv(full, dev_lab, budget=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(env, skip_render_check=True)


def test_sb3_check_env(dev_pools: list, dev_lab: SimulatedLab) -> None:
    # Mixed pool sizes: padding slots are masked and never sampled.
    env = HypothesisSelectionEnv(dev_pools[:20], dev_lab, budget=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any SB3 advice is a failure here
        sb3_check_env(env, warn=True)


def test_observation_layout(four_pool: list, dev_lab: SimulatedLab) -> None:
    env = _env(four_pool, dev_lab)
    obs, info = env.reset(seed=0)
    assert obs.shape == (4 * 6 + 1,) and obs.dtype == np.float32
    per_slot = obs[:-1].reshape(4, 6)
    # s = 0.2, 0.9, 0.5, 0.7 min-max scaled: 0, 1, 3/7, 5/7.
    np.testing.assert_allclose(per_slot[:, 0], [0.0, 1.0, 3 / 7, 5 / 7], rtol=1e-6)
    assert per_slot[:, 1:5].sum() == 0  # nothing tested yet, no feedback
    np.testing.assert_array_equal(per_slot[:, 5], [1, 1, 1, 1])
    assert obs[-1] == 1.0
    assert info["ids"] == tuple(h.id for h in four_pool)
    assert set(info["entities"][1]) == {four_pool[1].subject.id, four_pool[1].object.id}


def test_masks_exclude_tested_and_rewards(four_pool: list, dev_lab: SimulatedLab) -> None:
    env = _env(four_pool, dev_lab, cost_weight=0.1)
    env.reset(seed=0)
    np.testing.assert_array_equal(env.action_masks(), [True, True, True, True])

    obs, reward, done, truncated, info = env.step(1)  # a dev CID pair: confirmed
    assert reward == pytest.approx(0.9) and not done and not truncated
    np.testing.assert_array_equal(env.action_masks(), [True, False, True, True])
    assert info["outcome"].confirmed is True and info["discoveries"] == 1

    obs, reward, done, _, info = env.step(0)  # not a CID pair: refuted
    assert reward == pytest.approx(-0.1) and not done
    np.testing.assert_array_equal(env.action_masks(), [False, False, True, True])
    per_slot = obs[:-1].reshape(4, 6)
    np.testing.assert_array_equal(per_slot[:, 1], [1, 1, 0, 0])  # tested
    np.testing.assert_array_equal(per_slot[:, 2], [-1, 1, 0, 0])  # outcome
    assert obs[-1] == pytest.approx(1 / 3)

    _, _, done, _, _ = env.step(3)
    assert done  # budget of 3 spent
    np.testing.assert_array_equal(env.action_masks(), [False, False, False, False])
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(2)


def test_invalid_actions_raise_clear_errors(four_pool: list, dev_lab: SimulatedLab) -> None:
    env = HypothesisSelectionEnv([four_pool[:3]], dev_lab, 3, FIXED)
    env.reset(seed=0)
    assert env.action_masks().tolist() == [True, True, True, False]
    with pytest.raises(InvalidActionError, match="action 3 is a padding slot"):
        env.step(3)
    with pytest.raises(InvalidActionError, match=r"outside the slots 0\.\.3"):
        env.step(7)
    env.step(0)
    with pytest.raises(InvalidActionError, match="already tested"):
        env.step(0)


def test_episode_ends_when_pool_is_exhausted(four_pool: list, dev_lab: SimulatedLab) -> None:
    env = HypothesisSelectionEnv([four_pool[:2]], dev_lab, 5, FIXED)
    env.reset(seed=0)
    assert not env.step(0)[2]
    assert env.step(1)[2]


def _entity(mesh_id: str, kind: EntityType) -> Entity:
    return Entity(id=mesh_id, name=mesh_id, type=kind)


def test_feedback_counts_shared_entities(dev_cid: list, dev_lab: SimulatedLab) -> None:
    # Doc 6794356: lithium carbonate (D016651) induces cyanosis, arrhythmia and depression.
    (_, li, cyanosis), (_, _, arrhythmia), (_, _, depression) = dev_cid[:3]
    other_chem, other_disease = dev_cid[-1][1], dev_cid[-1][2]
    lithium = _entity("MESH:D008094", EntityType.CHEMICAL)  # lithium, as an intermediate
    via = Provenance(generator="test", intermediates=[lithium])
    pool = [
        hypothesis(li, cyanosis),  # 0: true
        hypothesis(li, arrhythmia),  # 1: shares the subject with 0
        hypothesis(other_chem, depression).model_copy(update={"provenance": via}),  # 2
        hypothesis(other_chem, other_disease).model_copy(update={"provenance": via}),  # 3: true
    ]
    env = HypothesisSelectionEnv([pool], dev_lab, 4, FIXED)
    env.reset(seed=0)
    env.step(0)
    obs, *_ = env.step(2)  # other_chem does not induce depression in dev: refuted
    per_slot = obs[:-1].reshape(4, 6)
    # confirmed neighbours / budget: slot 1 shares li with confirmed 0; slot 3 shares nothing
    # with 0. Refuted neighbours: slot 3 shares other_chem and lithium with refuted 2.
    np.testing.assert_allclose(per_slot[:, 3], [0, 0.25, 0, 0])
    np.testing.assert_allclose(per_slot[:, 4], [0, 0, 0, 0.25])


def test_reset_is_seeded(dev_pools: list, dev_lab: SimulatedLab) -> None:
    env = HypothesisSelectionEnv(dev_pools[:30], dev_lab, budget=3)
    first, again = env.reset(seed=5)[0], env.reset(seed=5)[0]
    np.testing.assert_array_equal(first, again)
    a, b = env.reset(seed=5)[1]["ids"], env.reset(seed=6)[1]["ids"]
    assert a != b


def test_pool_too_large_is_rejected(dev_pools: list, dev_lab: SimulatedLab) -> None:
    with pytest.raises(ValueError, match="more than `max_candidates`=4"):
        HypothesisSelectionEnv([dev_pools[0]], dev_lab, 3, FIXED)


def test_space_samples_only_valid_actions_across_episodes(
    dev_pools: list, dev_lab: SimulatedLab
) -> None:
    # Regression: after a finished episode the sampler kept the old, all-False mask.
    env = HypothesisSelectionEnv(dev_pools[:20], dev_lab, budget=4)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(200):
        action = env.action_space.sample()
        assert env.action_masks()[action]
        if env.step(action)[2]:
            env.reset()


def test_categories_link_candidates_like_shared_entities(
    dev_cid: list, dev_lab: SimulatedLab
) -> None:
    # Lithium carbonate induces cyanosis and arrhythmia (doc 6794356). The other two
    # candidates share no entity with them; a class given to cyanosis and to the other
    # chemical's disease links those two, and only through `categories`.
    (_, li, cyanosis), (_, _, arrhythmia) = dev_cid[:2]
    other_chem, other_disease = dev_cid[-1][1], dev_cid[-1][2]
    pool = [
        hypothesis(li, cyanosis),  # 0: true
        hypothesis(li, arrhythmia),  # 1: shares lithium carbonate with 0
        hypothesis(other_chem, other_disease),  # 2: shares the class with 0
        hypothesis(other_chem, "MESH:D003866"),  # 3: shares other_chem with 2 only
    ]
    organ = {cyanosis: {"MESH:D006331"}, other_disease: {"MESH:D006331"}}
    plain = HypothesisSelectionEnv([pool], dev_lab, 4, FIXED)
    linked = HypothesisSelectionEnv([pool], dev_lab, 4, FIXED, categories=organ)
    for env, expected in ((plain, [0, 0.25, 0, 0]), (linked, [0, 0.25, 0.25, 0])):
        env.reset(seed=0)
        obs, *_ = env.step(0)
        np.testing.assert_allclose(obs[:-1].reshape(4, 6)[:, 3], expected)
    info = linked.reset(seed=0)[1]
    assert info["classes"] == (("MESH:D006331",), (), ("MESH:D006331",), ())
    assert "MESH:D006331" not in info["entities"][2]  # entities and classes stay apart
    assert plain.reset(seed=0)[1]["classes"] == ((), (), (), ())
