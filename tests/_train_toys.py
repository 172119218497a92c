"""Toy data, a tiny network and a small TrainConfig shared by the tests of helpers.train."""

from __future__ import annotations

import torch
from torch import nn

from helpers.data import Dataset
from helpers.train import TrainConfig


def toy_data(n: int = 256, seed: int = 0, split: str = "train") -> Dataset:
    """Two classes: dark vs bright 8x8 images (plus noise) — linearly separable."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    base = torch.where(labels[:, None, None, None] == 1, 170, 60).expand(n, 1, 8, 8)
    images = (
        (base + torch.randint(-40, 41, (n, 1, 8, 8), generator=g))
        .clamp(0, 255)
        .to(torch.uint8)
    )
    return Dataset(
        images, labels, ["dark", "bright"], (0.45,), (0.25,), "toy", split, "memory"
    )


class TinyNet(nn.Module):
    """Conv-BN-ReLU-pool-linear; ``interrupt_at``/``nan_at`` count training forward calls."""

    def __init__(
        self, interrupt_at: int | None = None, nan_at: int | None = None
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 2),
        )
        self.calls, self.interrupt_at, self.nan_at = 0, interrupt_at, nan_at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
            if self.calls == self.interrupt_at:
                raise KeyboardInterrupt
        out = self.net(x)
        if self.training and self.nan_at is not None and self.calls >= self.nan_at:
            out = out * float("nan")
        return out


def make_net(**kw) -> TinyNet:
    torch.manual_seed(0)
    return TinyNet(**kw)


def cfg(**kw) -> TrainConfig:
    base = dict(
        epochs=3,
        batch_size=32,
        lr=0.05,
        augment=False,
        progress=False,
        device="cpu",
        log_every=3,
    )
    base.update(kw)
    return TrainConfig(**base)


def shifted_data(n: int = 256, seed: int = 0, split: str = "train") -> Dataset:
    """Like toy_data, but with a position-dependent background: the per-pixel mean differs
    from the per-channel one, so a model is sensitive to which normalisation feeds it."""
    data = toy_data(n, seed, split)
    ramp = torch.arange(8, dtype=torch.int16).mul(12).view(1, 1, 1, 8)
    images = (data.images.to(torch.int16) + ramp).clamp(0, 255).to(torch.uint8)
    return Dataset(
        images, data.labels, data.classes, (0.55,), (0.25,), "toy", split, "memory"
    )
