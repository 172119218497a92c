"""Small shared pieces of every model family: convolutions, shortcuts, init, input checks.

The shortcut options follow He et al. (2016), "Deep Residual Learning", Sec. 3.3 / 4.1:
A = identity with zero-padded extra channels, B = projection only where the shape changes,
C = projection everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

SHORTCUT_OPTIONS = ("A", "B", "C")
STRIDE_AT_OPTIONS = ("1x1", "3x3")


# ---------------------------------------------------------------- checks a reader can act on
def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return value


def check_choice(name: str, value: object, options: Iterable[object]) -> object:
    """Return ``value`` if it is one of ``options``, else raise a ValueError listing them."""
    options = tuple(options)
    if value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(o) for o in options)}; got {value!r}"
        )
    return value


# ---------------------------------------------------------------- convolutions
def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return nn.Conv2d(
        in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False
    )


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias (a BatchNorm follows)."""
    return nn.Conv2d(
        in_channels, out_channels, kernel_size=1, stride=stride, bias=False
    )


# ---------------------------------------------------------------- shortcuts
class PadShortcut(nn.Module):
    """Option A shortcut: subsample by ``stride`` and zero-pad the new channels (no parameters)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError("option-A shortcut can only add channels, not remove them")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (B, C, H, W) -> (B, C, H/s, W/s)
        return F.pad(
            x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels)
        )  # -> (B, C', ., .)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


def projection(
    in_channels: int, out_channels: int, stride: int, batch_norm: bool = True
) -> nn.Module:
    """Projection shortcut W_s x: 1x1 conv (+ BN), named like torchvision's ``downsample``."""
    if not batch_norm:
        return conv1x1(in_channels, out_channels, stride)
    return nn.Sequential(
        conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels)
    )


def make_shortcut(
    option: str,
    in_channels: int,
    out_channels: int,
    stride: int,
    batch_norm: bool = True,
) -> nn.Module:
    """Shortcut for one residual block under option A, B or C (He et al. 2016, Sec. 3.3)."""
    check_choice("shortcut", option, SHORTCUT_OPTIONS)
    shape_changes = stride != 1 or in_channels != out_channels
    if option == "C" or (option == "B" and shape_changes):
        return projection(in_channels, out_channels, stride, batch_norm)
    if option == "A" and shape_changes:
        return PadShortcut(in_channels, out_channels, stride)
    return nn.Identity()


# ---------------------------------------------------------------- the model interface
class FeaturesHeadModel(nn.Module):
    """Base of every model: ``forward(x) == forward_head(forward_features(x))`` (as in timm).

    A subclass defines ``forward_features`` (image -> last feature maps) and names the modules
    of its head in ``head_layers``, applied in order (torchvision's names, so checkpoints load).
    """

    head_layers: tuple[str, ...] = (
        "avgpool",
        "flatten",
        "fc",
    )  # global pool, (B, C), logits

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Feature maps -> class logits: the modules named in ``head_layers``, in order."""
        x = features
        for name in self.head_layers:
            x = getattr(self, name)(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


# ---------------------------------------------------------------- initialisation
def init_weights(model: nn.Module, zero_init_residual: bool = False) -> None:
    """He initialisation (He et al. 2015, "Delving Deep into Rectifiers"): fan_out, ReLU gain.

    BatchNorm starts as the identity (weight 1, bias 0). With ``zero_init_residual`` every block
    that has a ``zero_init_last_bn()`` method zeroes the last BN gamma of its residual branch, so
    each residual block starts as an identity map (Goyal et al. 2017).
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in model.modules():
            if hasattr(m, "zero_init_last_bn"):
                m.zero_init_last_bn()


def make_stage(
    block: type[nn.Module],
    in_channels: int,
    planes: int,
    blocks: int,
    stride: int,
    **block_kwargs: object,
) -> nn.Sequential:
    """One stage ("conv2_x" ...): the first block changes shape, the others keep it."""
    out_channels = planes * block.expansion
    layers = [block(in_channels, planes, stride, **block_kwargs)]
    layers += [
        block(out_channels, planes, 1, **block_kwargs) for _ in range(blocks - 1)
    ]
    return nn.Sequential(*layers)
