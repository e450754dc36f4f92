"""The slot-shared MaskablePPO policy and the environment's pool-wide entity option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from agent.types import Entity, EntityType, Hypothesis, Provenance, Relation
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.evaluate import evaluate
from rl.labs import SimulatedLab
from rl.ppo import MaskablePPOPolicy
from rl.slot_policy import SlotPolicy, slot_policy_kwargs

BUDGET = 3


def _train(pools: list, lab: SimulatedLab, config: EnvConfig, steps: int) -> MaskablePPOPolicy:
    return MaskablePPOPolicy.train(
        pools,
        lab,
        BUDGET,
        timesteps=steps,
        seed=0,
        config=config,
        policy=SlotPolicy,
        policy_kwargs=slot_policy_kwargs(config, hidden=16),
        n_steps=128,
    )


def _logits(policy: MaskablePPOPolicy, obs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        dist = policy.model.policy.get_distribution(torch.as_tensor(obs[None]))
    return dist.distribution.logits.numpy()[0]  # type: ignore[union-attr]


def test_swapping_candidates_swaps_their_logits(dev_pools: list, dev_lab: SimulatedLab) -> None:
    config = EnvConfig.for_pools(dev_pools)
    policy = _train(dev_pools[:20], dev_lab, config, steps=128)
    env = HypothesisSelectionEnv(dev_pools[:1], dev_lab, BUDGET, config)
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(int(np.flatnonzero(env.action_masks())[0]))  # some feedback in it

    n, f = config.max_candidates, config.n_features
    order = np.random.default_rng(1).permutation(n)
    swapped = np.append(obs[:-1].reshape(n, f)[order].ravel(), obs[-1])
    np.testing.assert_allclose(_logits(policy, swapped), _logits(policy, obs)[order], rtol=1e-5)


def test_saved_slot_policy_loads_and_acts_the_same(
    dev_pools: list, dev_lab: SimulatedLab, tmp_path: Path
) -> None:
    config = EnvConfig.for_pools(dev_pools)
    policy = _train(dev_pools[:20], dev_lab, config, steps=128)
    loaded = MaskablePPOPolicy.load(policy.save(tmp_path / "slot"))
    assert isinstance(loaded.model.policy, SlotPolicy)
    before = evaluate(policy, dev_pools[20:40], dev_lab, BUDGET, seeds=[0, 1], config=config)
    after = evaluate(loaded, dev_pools[20:40], dev_lab, BUDGET, seeds=[0, 1], config=config)
    np.testing.assert_array_equal(before.curves, after.curves)


def test_wrong_feature_count_is_explained(dev_pools: list, dev_lab: SimulatedLab) -> None:
    # These pools give 12 slots x (3 scores + 5) features + the budget = 97 numbers.
    with pytest.raises(ValueError, match=r"97 numbers is not slots of `n_features`=5"):
        MaskablePPOPolicy.train(
            dev_pools[:5], dev_lab, BUDGET, 64, policy=SlotPolicy, policy_kwargs={"n_features": 5}
        )


def _entity(i: str, kind: EntityType) -> Entity:
    return Entity(id=i, name=i, type=kind)


def test_pool_wide_entities_are_left_out_of_links(dev_lab: SimulatedLab) -> None:
    # One target disease (real MeSH id), three chemicals; slots 0 and 1 share linking gene 1.
    target = _entity("MESH:D006331", EntityType.DISEASE)
    links = {
        "MESH:D000001": ["NCBIGene:1"],
        "MESH:D000002": ["NCBIGene:1", "NCBIGene:2"],
        "MESH:D000003": ["NCBIGene:3"],
    }
    pool = [
        Hypothesis(
            subject=_entity(c, EntityType.CHEMICAL),
            relation=Relation.INDUCES,
            object=target,
            provenance=Provenance(
                generator="test", intermediates=[_entity(b, EntityType.GENE) for b in bs]
            ),
        )
        for c, bs in links.items()
    ]
    refuted_links = {}
    for drop in (False, True):
        config = EnvConfig(max_candidates=3, shuffle=False, drop_pool_wide_entities=drop)
        env = HypothesisSelectionEnv([pool], dev_lab, BUDGET, config)
        _, info = env.reset(seed=0)
        assert any(target.id in e for e in info["entities"]) is not drop
        obs, *_ = env.step(0)  # refuted: no dev CID fact for this pair
        refuted_links[drop] = obs[:-1].reshape(3, config.n_features)[:, 3] * BUDGET
    # The shared target links every slot; without it only the shared gene 1 links slot 1 to 0.
    np.testing.assert_array_equal(refuted_links[False], [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(refuted_links[True], [0.0, 1.0, 0.0])
