"""DenseNet, Huang et al. (2017): inside a dense block every layer sees the concatenation of
all earlier feature maps and adds ``growth_rate`` new ones.

Layers are DenseNet-B units (BN -> ReLU -> 1x1 conv to 4k channels -> BN -> ReLU -> 3x3 conv to
k channels); transitions (BN -> ReLU -> 1x1 conv halving the channels -> 2x2 average pool) sit
between blocks (compression 0.5, "DenseNet-BC"). ``densenet121`` matches torchvision's names and
its 7,978,856 parameters; ``densenet_cifar`` is the paper's three-block CIFAR form.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import FeaturesHeadModel, check_positive_int, init_weights
from helpers.models.registry import register


class DenseLayer(nn.Module):
    """BN-ReLU-conv1x1 (bottleneck to bn_size*k) then BN-ReLU-conv3x3 (k new channels)."""

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(
            in_channels, bn_size * growth_rate, kernel_size=1, bias=False
        )
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(
            bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.norm1(x)
        out = self.relu1(out)
        out = self.conv1(out)
        out = self.norm2(out)
        out = self.relu2(out)
        return self.conv2(out)  # (B, k, H, W): only the new feature maps


class DenseBlock(nn.Module):
    """``num_layers`` dense layers; each input is the concatenation of everything before it."""

    def __init__(
        self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int = 4
    ) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(
                f"denselayer{i + 1}",
                DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size),
            )
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.children():
            new = layer(torch.cat(features, dim=1))
            features.append(new)
        return torch.cat(features, dim=1)  # (B, C + L k, H, W)


class Transition(nn.Sequential):
    """BN -> ReLU -> 1x1 conv (compression) -> 2x2 average pool, between dense blocks."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


def _dense_stages(
    features: nn.Sequential,
    in_channels: int,
    block_layers: tuple[int, ...],
    growth_rate: int,
    compression: float = 0.5,
) -> int:
    """Append denseblock1, transition1, ..., denseblockN to ``features``; return out channels."""
    for i, num_layers in enumerate(block_layers, start=1):
        block = DenseBlock(num_layers, in_channels, growth_rate)
        features.add_module(f"denseblock{i}", block)
        in_channels = block.out_channels
        if i < len(block_layers):
            out_channels = int(in_channels * compression)
            features.add_module(f"transition{i}", Transition(in_channels, out_channels))
            in_channels = out_channels
    return in_channels


class _DenseNetBase(FeaturesHeadModel):
    """What both DenseNet forms share: the last ReLU and the head."""

    head_layers = ("avgpool", "flatten", "classifier")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.relu(x)  # the final BN is in features (norm5), its ReLU here


@dataclass
class DenseNetConfig:
    block_layers: tuple[int, ...] = (6, 12, 24, 16)  # DenseNet-121
    growth_rate: int = 32
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)


class DenseNet(_DenseNetBase):
    """DenseNet-BC for 224x224 images (Huang et al. 2017, Table 1), torchvision names."""

    def __init__(self, config: DenseNetConfig) -> None:
        super().__init__()
        self.config = config
        stem = 2 * config.growth_rate
        self.features = nn.Sequential()
        self.features.add_module(
            "conv0",
            nn.Conv2d(config.in_channels, stem, 7, stride=2, padding=3, bias=False),
        )
        self.features.add_module("norm0", nn.BatchNorm2d(stem))
        self.features.add_module("relu0", nn.ReLU())
        self.features.add_module("pool0", nn.MaxPool2d(3, stride=2, padding=1))
        channels = _dense_stages(
            self.features, stem, config.block_layers, config.growth_rate
        )
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(channels, config.num_classes)
        self.num_features = channels
        init_weights(self)


@dataclass
class DenseNetCifarConfig:
    """CIFAR DenseNet-BC. Defaults (depth 40, growth 16): 309,962 parameters, 128.4M MACs at 32x32."""

    depth: int = 40  # 6m+4: three blocks of m bottleneck layers (2 convs each) + stem, 2 transitions, fc
    width: int = 16  # the growth rate k (new feature maps per layer)
    num_classes: int = 10
    in_channels: int = 3

    def __post_init__(self) -> None:
        if (
            isinstance(self.depth, bool)
            or not isinstance(self.depth, int)
            or self.depth < 10
            or (self.depth - 4) % 6
        ):
            raise ValueError(
                "DenseNet-BC depth must be 6m+4 with m >= 1 (10, 16, 22, 28, 34, 40, "
                f"..., 100, 190, 250); got {self.depth!r}"
            )
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)


class DenseNetCifar(_DenseNetBase):
    """DenseNet-BC with three dense blocks on 32/16/8 pixels (Huang et al. 2017, Sec. 3)."""

    def __init__(self, config: DenseNetCifarConfig) -> None:
        super().__init__()
        self.config = config
        k = config.width
        layers_per_block = (config.depth - 4) // 6
        self.features = nn.Sequential()
        self.features.add_module(
            "conv0", nn.Conv2d(config.in_channels, 2 * k, 3, padding=1, bias=False)
        )
        channels = _dense_stages(self.features, 2 * k, (layers_per_block,) * 3, k)
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(channels, config.num_classes)
        self.num_features = channels
        init_weights(self)


register(
    "densenet121",
    DenseNet,
    DenseNetConfig,
    family="imagenet",
    summary="DenseNet-121",
    block_layers=(6, 12, 24, 16),
    growth_rate=32,
)
register(
    "densenet_cifar",
    DenseNetCifar,
    DenseNetCifarConfig,
    family="small",
    summary="DenseNet-BC for small images",
)
