"""A learned selection policy: sb3-contrib's MaskablePPO on `HypothesisSelectionEnv`."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.callbacks import BaseCallback
from tqdm.auto import tqdm

from agent.types import Hypothesis
from rl.env import EnvConfig, HypothesisSelectionEnv
from rl.labs import Lab

logger = logging.getLogger(__name__)

# Small defaults suited to short episodes (a budget of a few tests): updates every 256 steps
# instead of PPO's 2048 so that a few thousand steps already mean several updates.
PPO_DEFAULTS: dict[str, Any] = {
    "n_steps": 256,
    "batch_size": 64,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "gamma": 0.99,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [64, 64]},
}
_MODEL_FILE, _CONFIG_FILE = "model.zip", "env_config.json"


class _ProgressCallback(BaseCallback):
    """A plain tqdm bar over training steps (SB3's own bar needs `rich`, which is optional)."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self.bar: Any = None

    def _on_training_start(self) -> None:
        self.bar = tqdm(total=self.total, desc="train MaskablePPO", unit="step", leave=False)

    def _on_step(self) -> bool:
        self.bar.update(self.training_env.num_envs)
        return True

    def _on_training_end(self) -> None:
        self.bar.close()


class MaskablePPOPolicy:
    """MaskablePPO behind the common policy shape; greedy (deterministic) at selection time.

    Args:
        model: a trained MaskablePPO.
        env_config: the environment layout it was trained on; evaluation must use the same.
        train_seconds: wall time of training, when trained here.
        train_cpu_seconds: CPU time of training (a fairer speed on a shared machine).
    """

    name = "ppo"

    def __init__(
        self,
        model: MaskablePPO,
        env_config: EnvConfig,
        train_seconds: float | None = None,
        train_cpu_seconds: float | None = None,
    ) -> None:
        self.model, self.env_config = model, env_config
        self.train_seconds, self.train_cpu_seconds = train_seconds, train_cpu_seconds

    @classmethod
    def train(
        cls,
        pools: Sequence[Sequence[Hypothesis]],
        lab: Lab,
        budget: int,
        timesteps: int,
        seed: int = 0,
        config: EnvConfig | None = None,
        progress: bool = False,
        policy: str | type[MaskableActorCriticPolicy] = "MlpPolicy",
        categories: Mapping[str, Collection[str]] | None = None,
        **ppo_kwargs: Any,
    ) -> MaskablePPOPolicy:
        """Train on ``pools`` for ``timesteps`` environment steps (CPU, single process).

        Args:
            pools: training pools only; keep evaluation pools apart.
            lab: answers the tests during training.
            budget: tests per episode.
            timesteps: environment steps of training.
            seed: seeds torch, the environment and PPO.
            config: environment layout (default `EnvConfig.for_pools(pools)`).
            progress: show a progress bar.
            policy: SB3's ``"MlpPolicy"`` (one MLP over the flat observation) or a policy
                class, e.g. `rl.slot_policy.SlotPolicy` (with its ``policy_kwargs``).
            categories: entity classes linking candidates (`HypothesisSelectionEnv`); give
                evaluation the same.
            **ppo_kwargs: override `PPO_DEFAULTS` (e.g. ``n_steps``, ``learning_rate``).
        """
        config = config or EnvConfig.for_pools(pools)
        env = HypothesisSelectionEnv(pools, lab, budget, config, categories)
        env.reset(seed=seed)
        torch.set_num_threads(1)  # tiny networks: threads cost more than they give
        model = MaskablePPO(
            policy, env, seed=seed, device="cpu", verbose=0, **(PPO_DEFAULTS | ppo_kwargs)
        )
        logger.info("training MaskablePPO for %d steps on %d pools", timesteps, len(pools))
        start, cpu_start = time.perf_counter(), time.process_time()
        callback = _ProgressCallback(timesteps) if progress else None
        model.learn(total_timesteps=timesteps, callback=callback)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        logger.info(
            "trained in %.1f s wall, %.1f s CPU (%.0f steps/s wall)",
            seconds,
            cpu,
            timesteps / max(seconds, 1e-9),
        )
        return cls(model, config, train_seconds=seconds, train_cpu_seconds=cpu)

    def reset(self, seed: int | None = None) -> None:
        pass

    def select(self, obs: np.ndarray, mask: np.ndarray, info: dict[str, Any]) -> int:
        expected = self.model.observation_space.shape
        if obs.shape != expected:
            raise ValueError(
                f"observation shape {obs.shape} does not match the trained policy's {expected}; "
                f"evaluate with the policy's env_config {self.env_config!r}"
            )
        action, _ = self.model.predict(obs, action_masks=mask, deterministic=True)
        return int(action)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.zip`` and ``env_config.json`` into ``directory``; return it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(directory / _MODEL_FILE)
        (directory / _CONFIG_FILE).write_text(self.env_config.model_dump_json(indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> MaskablePPOPolicy:
        """Load a policy written by `save`.

        Raises:
            FileNotFoundError: the folder lacks ``model.zip`` or ``env_config.json``.
        """
        directory = Path(directory)
        missing = [f for f in (_MODEL_FILE, _CONFIG_FILE) if not (directory / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{directory} is not a saved MaskablePPOPolicy: missing {', '.join(missing)}; "
                "write one with MaskablePPOPolicy.save()"
            )
        config = EnvConfig(**json.loads((directory / _CONFIG_FILE).read_text()))
        model = MaskablePPO.load(directory / _MODEL_FILE, device="cpu")
        return cls(model, config)
