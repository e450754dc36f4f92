"""Small fraud-scoring networks and their training loop (torch, CPU)."""

from __future__ import annotations

from itertools import pairwise
from typing import TypeVar

import numpy as np
import torch
from torch import nn

Net = TypeVar("Net", bound=nn.Module)


class FraudNet(nn.Module):
    """A multilayer perceptron returning one fraud logit per row.

    Args:
        n_inputs: number of (scaled) input features.
        hidden: widths of the hidden layers, named ``fc1``, ``fc2``... for LoRA targeting.
    """

    def __init__(self, n_inputs: int, hidden: tuple[int, ...] = (128, 64)) -> None:
        super().__init__()
        widths = (n_inputs, *hidden)
        for i, (a, b) in enumerate(pairwise(widths), start=1):
            self.add_module(f"fc{i}", nn.Linear(a, b))
        self.out = nn.Linear(widths[-1], 1)
        self.n_hidden = len(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, self.n_hidden + 1):
            x = torch.relu(getattr(self, f"fc{i}")(x))
        return self.out(x).squeeze(-1)


def train_net(
    net: Net,
    x: np.ndarray,
    targets: np.ndarray,
    epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 512,
    seed: int = 0,
) -> Net:
    """Minimise binary cross-entropy against ``targets`` (labels or a teacher's probabilities).

    Only parameters with ``requires_grad`` are updated, so a LoRA-wrapped net trains its adapters.
    """
    generator = torch.Generator().manual_seed(seed)
    xt = torch.tensor(x, dtype=torch.float32)  # a copy: inputs may be read-only views
    yt = torch.tensor(targets, dtype=torch.float32)
    params = [p for p in net.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(params, lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), batch_size):
            batch = order[start : start + batch_size]
            optimiser.zero_grad()
            loss_fn(net(xt[batch]), yt[batch]).backward()
            optimiser.step()
    net.eval()
    return net


def predict(net: nn.Module, x: np.ndarray) -> np.ndarray:
    """Fraud probabilities of a trained net."""
    with torch.no_grad():
        return torch.sigmoid(net(torch.as_tensor(x, dtype=torch.float32))).numpy()


def n_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    """Parameter count (optionally only those being trained)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)
