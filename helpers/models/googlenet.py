"""GoogLeNet / Inception v1, Szegedy et al. (2015), in torchvision's layout.

An Inception module runs four branches in parallel and concatenates their outputs along the
channels: 1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max-pool -> 1x1. The 1x1 convolutions reduce the
channels before the expensive ones. Nine modules, global average pooling, one FC layer.

Two deliberate choices, both torchvision's: every convolution is followed by BatchNorm (which
appeared after the paper), and the "5x5" branch uses a 3x3 kernel (a long-standing torchvision
quirk that its checkpoints depend on), which gives the 6,624,904 parameters of torchvision's model.
``branch3_kernel=5`` builds the paper's 5x5 branch (7,005,832 parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from helpers.models._common import (
    FeaturesHeadModel,
    check_choice,
    check_positive_int,
    init_weights,
)
from helpers.models.registry import register

# name: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) -- the paper's Table 1.
INCEPTION_TABLE: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
POOL_AFTER = ("3b", "4e")  # a 3x3/2 max-pool follows these modules


class BasicConv2d(nn.Module):
    """conv -> BN -> ReLU (torchvision's building unit)."""

    def __init__(
        self, in_channels: int, out_channels: int, **conv_kwargs: object
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = self.bn(x)
        return self.relu(x)


class Inception(nn.Module):
    """Four parallel branches concatenated along channels (Szegedy et al. 2015, Fig. 2b)."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        branch3_kernel: int = 3,
    ) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(
                ch5x5red, ch5x5, kernel_size=branch3_kernel, padding=branch3_kernel // 2
            ),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1(x)
        b2 = self.branch2(x)
        b3 = self.branch3(x)
        b4 = self.branch4(x)
        return torch.cat([b1, b2, b3, b4], dim=1)  # (B, sum of branch channels, H, W)


class InceptionAux(nn.Module):
    """Auxiliary classifier on inception4a / 4d, used only in training (paper Sec. 5)."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(2048, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(x)
        x = self.conv(x)
        x = self.flatten(x)
        x = self.fc1(x)
        x = self.relu(x)
        x = self.dropout(x)
        return self.fc2(x)


class GoogLeNetOutputs(NamedTuple):
    logits: torch.Tensor
    aux_logits2: torch.Tensor
    aux_logits1: torch.Tensor


def _scaled(channels: tuple[int, ...], scale: float) -> tuple[int, ...]:
    return tuple(max(1, round(c * scale)) for c in channels)


def _inception_modules(
    owner: nn.Module, in_channels: int, scale: float, branch3_kernel: int
) -> int:
    """Add inception3a..5b (and the max-pools between them) to ``owner``; return out channels."""
    for name, row in INCEPTION_TABLE.items():
        module = Inception(
            in_channels, *_scaled(row, scale), branch3_kernel=branch3_kernel
        )
        owner.add_module(f"inception{name}", module)
        in_channels = module.out_channels
        if name in POOL_AFTER:
            pool = (
                nn.MaxPool2d(2, stride=2, ceil_mode=True)
                if name == "4e"
                else nn.MaxPool2d(3, stride=2, ceil_mode=True)
            )
            owner.add_module("maxpool3" if name == "3b" else "maxpool4", pool)
    return in_channels


@dataclass
class GoogLeNetConfig:
    num_classes: int = 1000
    in_channels: int = 3
    aux_logits: bool = False  # the two auxiliary classifiers (training only)
    branch3_kernel: int = 3  # 3 as torchvision, 5 as in the paper
    dropout: float = 0.2  # torchvision's value (the paper used 0.4)

    def __post_init__(self) -> None:
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)
        check_choice("branch3_kernel", self.branch3_kernel, (3, 5))


class GoogLeNet(FeaturesHeadModel):
    """GoogLeNet (Szegedy et al. 2015, Table 1) for 224x224 images, torchvision names."""

    head_layers = ("avgpool", "flatten", "dropout", "fc")

    def __init__(self, config: GoogLeNetConfig) -> None:
        super().__init__()
        self.config = config
        self.conv1 = BasicConv2d(
            config.in_channels, 64, kernel_size=7, stride=2, padding=3
        )
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        out_channels = _inception_modules(self, 192, 1.0, config.branch3_kernel)
        self.aux1 = InceptionAux(512, config.num_classes) if config.aux_logits else None
        self.aux2 = InceptionAux(528, config.num_classes) if config.aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(out_channels, config.num_classes)
        self.num_features = out_channels
        init_weights(self)

    def _trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        aux: list[torch.Tensor] = []
        x = self.conv1(x)  # (B, 64, 112, 112)
        x = self.maxpool1(x)  # (B, 64, 56, 56)
        x = self.conv2(x)
        x = self.conv3(x)  # (B, 192, 56, 56)
        x = self.maxpool2(x)  # (B, 192, 28, 28)
        x = self.inception3a(x)
        x = self.inception3b(x)  # (B, 480, 28, 28)
        x = self.maxpool3(x)  # (B, 480, 14, 14)
        x = self.inception4a(x)
        if self.aux1 is not None and self.training:
            aux.append(self.aux1(x))
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        if self.aux2 is not None and self.training:
            aux.append(self.aux2(x))
        x = self.inception4e(x)  # (B, 832, 14, 14)
        x = self.maxpool4(x)  # (B, 832, 7, 7)
        x = self.inception5a(x)
        x = self.inception5b(x)  # (B, 1024, 7, 7)
        return x, aux

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 224, 224) -> (B, 1024, 7, 7)."""
        return self._trunk(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        """Logits; in training with ``aux_logits=True``: (logits, aux_logits2, aux_logits1)."""
        features, aux = self._trunk(x)
        logits = self.forward_head(features)
        if aux:
            return GoogLeNetOutputs(logits, aux[1], aux[0])
        return logits


@dataclass
class GoogLeNetCifarConfig:
    """Small-image GoogLeNet. Defaults (width 16): 372,578 parameters, 91.4M MACs at 32x32."""

    width: int = 16  # every channel count of the ImageNet form is scaled by width / 64
    num_classes: int = 10
    in_channels: int = 3
    branch3_kernel: int = (
        5  # the paper's 5x5 (no checkpoint to stay compatible with here)
    )
    dropout: float = 0.0

    def __post_init__(self) -> None:
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)
        check_choice("branch3_kernel", self.branch3_kernel, (3, 5))


class GoogLeNetCifar(FeaturesHeadModel):
    """GoogLeNet for 28x28 / 32x32 images: one 3x3 stem conv instead of the 7x7/pool stem,
    then the nine Inception modules with max-pools after 3b and 4e (32 -> 16 -> 8 pixels)."""

    head_layers = ("avgpool", "flatten", "dropout", "fc")

    def __init__(self, config: GoogLeNetCifarConfig) -> None:
        super().__init__()
        self.config = config
        scale = config.width / 64
        stem = max(1, round(192 * scale))
        self.conv1 = BasicConv2d(config.in_channels, stem, kernel_size=3, padding=1)
        out_channels = _inception_modules(self, stem, scale, config.branch3_kernel)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, padding=1)  # 32 -> 16, 28 -> 14
        self.maxpool4 = nn.MaxPool2d(3, stride=2, padding=1)  # 16 -> 8, 14 -> 7
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(out_channels, config.num_classes)
        self.num_features = out_channels
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 32, 32) -> (B, 16 width, 8, 8)."""
        x = self.conv1(x)
        x = self.inception3a(x)
        x = self.inception3b(x)
        x = self.maxpool3(x)
        x = self.inception4a(x)
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        x = self.inception4e(x)
        x = self.maxpool4(x)
        x = self.inception5a(x)
        x = self.inception5b(x)
        return x


register(
    "googlenet",
    GoogLeNet,
    GoogLeNetConfig,
    family="imagenet",
    summary="GoogLeNet / Inception v1, torchvision form",
)
register(
    "googlenet_cifar",
    GoogLeNetCifar,
    GoogLeNetCifarConfig,
    family="small",
    summary="GoogLeNet for small images",
)
