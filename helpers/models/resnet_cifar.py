"""ResNets and plain nets for small images (CIFAR-10, Fashion-MNIST), He et al. (2016), Sec. 4.2.

A 3x3 conv stem with ``width`` filters, three stages of n blocks (2n layers) at 32/16/8 pixels
with width, 2 width, 4 width filters (16/32/64 in the paper), global average pooling and one
fully connected layer: depth = 6n + 2. The plain net is the same net without shortcuts, so with
option A (parameter-free shortcuts) both have exactly the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import (
    SHORTCUT_OPTIONS,
    FeaturesHeadModel,
    check_choice,
    check_positive_int,
    conv3x3,
    init_weights,
    make_stage,
)
from helpers.models.blocks import BasicBlock, PlainBlock
from helpers.models.registry import register

CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)  # the depths in the paper's Table 6


def valid_depths(step: int = 6, count: int = 10) -> list[int]:
    """The first ``count`` depths of the form step*n + 2 (n >= 1)."""
    return [step * n + 2 for n in range(1, count + 1)]


def check_depth(depth: object, step: int = 6, what: str = "CIFAR ResNet") -> int:
    """Return n for depth = step*n + 2, or raise a ValueError listing valid depths."""
    if (
        isinstance(depth, bool)
        or not isinstance(depth, int)
        or depth < step + 2
        or (depth - 2) % step
    ):
        examples = ", ".join(str(d) for d in valid_depths(step)[:8])
        famous = {6: "56, 110, 1202", 9: "164, 1001"}.get(step, "")
        raise ValueError(
            f"{what} depth must be {step}n+2 with n >= 1 ({examples}, ..., {famous}, ...); got {depth!r}"
        )
    return (depth - 2) // step


@dataclass
class CifarResNetConfig:
    """Hyper-parameters of the CIFAR-style ResNet / plain net (paper Sec. 4.2)."""

    depth: int = 20  # 6n + 2 weighted layers
    width: int = (
        16  # filters in the first stage; 16 in the paper, fewer for cheap CPU runs
    )
    shortcut: str | None = (
        "A"  # "A" zero-padding identity (paper), "B" projection where shape changes, "C" always
    )
    residual: bool = True  # False gives the plain counterpart
    num_classes: int = 10
    in_channels: int = 3  # 1 for Fashion-MNIST
    zero_init_residual: bool = False  # zero the last BN gamma of every residual branch

    def __post_init__(self) -> None:
        self.blocks_per_stage = check_depth(self.depth)
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)
        if self.residual:
            check_choice("shortcut", self.shortcut, SHORTCUT_OPTIONS)


class CifarResNet(FeaturesHeadModel):
    """ResNet-(6n+2) or plain-(6n+2) for 28x28 / 32x32 images (He et al. 2016, Sec. 4.2)."""

    def __init__(self, config: CifarResNetConfig) -> None:
        super().__init__()
        self.config = config
        n, w = config.blocks_per_stage, config.width
        block = BasicBlock if config.residual else PlainBlock
        options = {"shortcut": config.shortcut} if config.residual else {}
        self.conv1 = conv3x3(config.in_channels, w)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU()
        self.layer1 = make_stage(block, w, w, n, stride=1, **options)
        self.layer2 = make_stage(block, w, 2 * w, n, stride=2, **options)
        self.layer3 = make_stage(block, 2 * w, 4 * w, n, stride=2, **options)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * w, config.num_classes)
        self.num_features = 4 * w
        init_weights(self, config.zero_init_residual and config.residual)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Image -> last feature maps, (B, C_in, 32, 32) -> (B, 4 width, 8, 8)."""
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.layer1(x)  # (B, w, 32, 32)
        x = self.layer2(x)  # (B, 2w, 16, 16)
        x = self.layer3(x)  # (B, 4w, 8, 8)
        return x


register(
    "resnet_cifar",
    CifarResNet,
    CifarResNetConfig,
    family="small",
    summary="CIFAR ResNet-(6n+2), paper Sec. 4.2",
    residual=True,
)
register(
    "plain_cifar",
    CifarResNet,
    CifarResNetConfig,
    family="small",
    summary="CIFAR plain-(6n+2), paper Sec. 4.2",
    residual=False,
    shortcut=None,
    zero_init_residual=False,
)
for _depth in CIFAR_DEPTHS:
    register(
        f"resnet{_depth}",
        CifarResNet,
        CifarResNetConfig,
        family="small",
        summary=f"CIFAR ResNet-{_depth}",
        residual=True,
        depth=_depth,
    )
for _depth in CIFAR_DEPTHS[:-1]:
    register(
        f"plain{_depth}",
        CifarResNet,
        CifarResNetConfig,
        family="small",
        summary=f"CIFAR plain-{_depth}",
        residual=False,
        shortcut=None,
        zero_init_residual=False,
        depth=_depth,
    )
