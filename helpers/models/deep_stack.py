"""Deep fully connected stacks for the vanishing/exploding-gradient experiments (chapter 2).

A ``DeepStack`` is ``depth`` hidden layers, each ``Linear -> [BatchNorm] -> activation``, then a
linear classifier. Activation, initialisation (Glorot & Bengio 2010; He et al. 2015, Sec. 2.2)
and batch normalisation (Ioffe & Szegedy 2015) are data in a ``DeepStackConfig``, so an
experiment is a loop over configurations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "DeepStackConfig",
    "DenseLayer",
    "DeepStack",
    "init_std",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}
INITS = ("default", "small", "xavier", "he")


@dataclass(frozen=True)
class DeepStackConfig:
    """Hyper-parameters of a ``DeepStack``."""

    depth: int = 20  # hidden layers, each Linear -> [BN] -> activation
    width: int = 128  # units per hidden layer
    in_features: int = 784  # flattened input (28x28 Fashion-MNIST)
    num_classes: int = 10
    activation: str = "relu"  # "sigmoid" | "tanh" | "relu"
    init: str = "he"  # "default" (PyTorch) | "small" (N(0, 0.01^2)) | "xavier" | "he"
    gain: float = 1.0  # multiplies every initial weight; > 1 makes gradients explode
    batch_norm: bool = False  # BatchNorm1d between Linear and activation

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}; got {self.activation!r}"
            )
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {self.init!r}")
        if self.depth < 1:
            raise ValueError(f"depth must be >= 1; got {self.depth}")


def init_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the initial weights for the named scheme.

    * ``xavier``: ``sqrt(2 / (fan_in + fan_out))`` -- keeps the variance of activations and of
      gradients roughly constant for a linear/tanh network (Glorot & Bengio 2010, eq. 12 in its
      normal form).
    * ``he``: ``sqrt(2 / fan_in)`` -- compensates ReLU zeroing half its inputs (He et al. 2015,
      eq. 10).
    * ``default``: PyTorch's ``nn.Linear`` default, uniform with std ``1 / sqrt(3 fan_in)``.
    * ``small``: a fixed 0.01, the pre-2010 habit.
    """
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if init == "default":
        return 1.0 / math.sqrt(3.0 * fan_in)
    if init == "small":
        return 0.01
    raise ValueError(f"init must be one of {INITS}; got {init!r}")


class DenseLayer(nn.Module):
    """``Linear -> [BatchNorm1d] -> activation``, one hidden layer of a deep stack."""

    def __init__(
        self, in_features: int, out_features: int, activation: str, batch_norm: bool
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=not batch_norm)
        self.bn = nn.BatchNorm1d(out_features) if batch_norm else nn.Identity()
        self.act = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x)
        out = self.bn(out)
        out = self.act(out)
        return out


class DeepStack(nn.Module):
    """A plain (no shortcut) deep multilayer perceptron with selectable activation, init and BN."""

    def __init__(self, config: DeepStackConfig | None = None, **overrides) -> None:
        super().__init__()
        config = replace(config or DeepStackConfig(), **overrides)
        self.config = config
        widths = [config.in_features] + [config.width] * config.depth
        self.layers = nn.ModuleList(
            DenseLayer(a, b, config.activation, config.batch_norm)
            for a, b in zip(widths, widths[1:], strict=False)
        )
        self.head = nn.Linear(config.width, config.num_classes)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Initialise every Linear layer with ``config.init`` scaled by ``config.gain``."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                if self.config.init == "default":
                    m.reset_parameters()
                else:
                    nn.init.normal_(
                        m.weight,
                        0.0,
                        init_std(self.config.init, m.in_features, m.out_features),
                    )
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                m.weight.mul_(self.config.gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)  # (B, C, H, W) -> (B, C*H*W)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)
