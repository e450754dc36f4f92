"""A slot-shared actor-critic for MaskablePPO: one small network scores every candidate.

`HypothesisSelectionEnv` lays its observation out as ``max_candidates`` slots of
``n_features`` numbers plus the remaining budget. SB3's default ``MlpPolicy`` reads that as
one flat vector, so it must learn the same scoring rule separately for every slot. This
policy instead applies one encoder to each slot (its features, the remaining budget and the
pool's mean encoding, as in Deep Sets, Zaheer et al. 2017) and one linear head that turns
each slot's encoding into that slot's logit. Swapping two candidates swaps their logits, and
what is learned on one slot holds for all. The critic reads the mean encoding of the
candidates present.

Use it through `rl.ppo.MaskablePPOPolicy.train`::

    MaskablePPOPolicy.train(pools, lab, budget, timesteps, policy=SlotPolicy,
                            policy_kwargs=slot_policy_kwargs(config))
"""

from __future__ import annotations

from typing import Any

import torch
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.type_aliases import Schedule
from torch import nn

from rl.env import EnvConfig


def slot_policy_kwargs(config: EnvConfig, hidden: int = 64) -> dict[str, Any]:
    """The ``policy_kwargs`` that fit `SlotPolicy` to an environment layout."""
    return {"n_features": config.n_features, "hidden": hidden}


class SlotEncoder(nn.Module):
    """Per-slot encodings for the actor, a pooled one for the critic.

    Input: observations of shape ``(batch, n_slots * n_features + 1)``; the last feature of
    each slot is ``present`` (1 for a real candidate), the last number the remaining budget.
    Outputs: actor latent ``(batch, n_slots * hidden)``, critic latent ``(batch, hidden)``.
    """

    def __init__(self, n_slots: int, n_features: int, hidden: int) -> None:
        super().__init__()
        self.n_slots, self.n_features, self.hidden = n_slots, n_features, hidden
        self.latent_dim_pi, self.latent_dim_vf = n_slots * hidden, hidden
        self.first = nn.Sequential(nn.Linear(n_features + 1, hidden), nn.ReLU())
        self.second = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU())
        self.critic = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.ReLU())

    def _encode(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch = obs.shape[0]
        slots = obs[:, :-1].reshape(batch, self.n_slots, self.n_features)
        remaining = obs[:, -1:]
        present = slots[:, :, -1:]
        h = self.first(torch.cat([slots, remaining.unsqueeze(1).expand(-1, self.n_slots, 1)], -1))
        pooled = (h * present).sum(1) / present.sum(1).clamp(min=1.0)  # (batch, hidden)
        h = self.second(torch.cat([h, pooled.unsqueeze(1).expand_as(h)], -1))
        return h, present, remaining

    def forward_actor(self, obs: torch.Tensor) -> torch.Tensor:
        h, _, _ = self._encode(obs)
        return h.flatten(1)

    def forward_critic(self, obs: torch.Tensor) -> torch.Tensor:
        h, present, remaining = self._encode(obs)
        pooled = (h * present).sum(1) / present.sum(1).clamp(min=1.0)
        out: torch.Tensor = self.critic(torch.cat([pooled, remaining], -1))
        return out

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(obs), self.forward_critic(obs)


class SlotHead(nn.Module):
    """One linear map from a slot's encoding to its logit, shared by all slots."""

    def __init__(self, n_slots: int, hidden: int) -> None:
        super().__init__()
        self.n_slots, self.hidden = n_slots, hidden
        self.score = nn.Linear(hidden, 1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.score(latent.reshape(-1, self.n_slots, self.hidden)).squeeze(-1)
        return out


class SlotPolicy(MaskableActorCriticPolicy):
    """MaskablePPO actor-critic with slot-shared weights (see the module docstring).

    Args:
        *args: as for `MaskableActorCriticPolicy` (SB3 passes the spaces and schedule).
        n_features: numbers per slot in the observation (`EnvConfig.n_features`).
        hidden: width of the slot encoder.
        **kwargs: as for `MaskableActorCriticPolicy`.
    """

    def __init__(self, *args: Any, n_features: int, hidden: int = 64, **kwargs: Any) -> None:
        self.n_features, self.hidden = n_features, hidden
        super().__init__(*args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        width = self.features_dim - 1
        if width <= 0 or width % self.n_features:
            raise ValueError(
                f"observation of {self.features_dim} numbers is not slots of "
                f"`n_features`={self.n_features} plus the budget; build policy_kwargs with "
                "slot_policy_kwargs(env_config)"
            )
        self.n_slots = width // self.n_features
        self.mlp_extractor = SlotEncoder(self.n_slots, self.n_features, self.hidden)  # type: ignore[assignment]

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)
        # Replace the flat (n_slots * hidden -> n_slots) action layer by the shared head; the
        # optimizer is rebuilt so that it holds the new parameters.
        self.action_net = SlotHead(self.n_slots, self.hidden)
        if self.ortho_init:
            self.action_net.apply(lambda m: self.init_weights(m, gain=0.01))
        self.optimizer = self.optimizer_class(
            self.parameters(),
            lr=lr_schedule(1),  # type: ignore[call-arg]
            **self.optimizer_kwargs,
        )
