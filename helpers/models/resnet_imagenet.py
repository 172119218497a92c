"""ImageNet ResNets and plain nets of He et al. (2016), Table 1: 18, 34, 50, 101, 152 layers.

Stem: 7x7/64 stride-2 convolution and 3x3 stride-2 max-pool; four stages (conv2_x..conv5_x) with
64/128/256/512 base filters; global average pooling and a 1000-way fully connected layer.
Module and parameter names are torchvision's (``conv1``, ``bn1``, ``layer1``..``layer4``, ``fc``,
``downsample``), so torchvision checkpoints load into ``stride_at="3x3"`` models
(see :mod:`helpers.models.pretrained`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import (
    SHORTCUT_OPTIONS,
    STRIDE_AT_OPTIONS,
    FeaturesHeadModel,
    check_choice,
    check_positive_int,
    init_weights,
    make_stage,
)
from helpers.models.blocks import BasicBlock, Bottleneck, PlainBlock
from helpers.models.registry import register


@dataclass
class ImageNetResNetConfig:
    """Hyper-parameters of a Table-1 network."""

    layers: tuple[int, ...] = (2, 2, 2, 2)  # blocks per stage conv2_x..conv5_x
    bottleneck: bool = (
        False  # 1x1-3x3-1x1 blocks (50/101/152) instead of two 3x3 (18/34)
    )
    residual: bool = True  # False: plain net (no shortcuts), only with basic blocks
    stride_at: str = "1x1"  # bottleneck stride on the first 1x1 (paper) or on the 3x3 (torchvision, "v1.5")
    shortcut: str | None = (
        "B"  # "B" projection where shape changes (paper's default, torchvision); "A"; "C"
    )
    width: int = 64  # filters of the stem and of conv2_x
    num_classes: int = 1000
    in_channels: int = 3
    zero_init_residual: bool = False

    def __post_init__(self) -> None:
        check_choice("stride_at", self.stride_at, STRIDE_AT_OPTIONS)
        if self.residual:
            check_choice("shortcut", self.shortcut, SHORTCUT_OPTIONS)
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)
        if not self.layers or any(not isinstance(n, int) or n < 1 for n in self.layers):
            raise ValueError(
                f"layers must be a tuple of block counts >= 1; got {self.layers!r}"
            )
        if self.bottleneck and not self.residual:
            raise ValueError(
                "plain nets are defined with basic blocks only (plain18, plain34)"
            )


class ImageNetResNet(FeaturesHeadModel):
    """ResNet / plain net for 224x224 images (He et al. 2016, Table 1)."""

    def __init__(self, config: ImageNetResNetConfig) -> None:
        super().__init__()
        self.config = config
        if config.bottleneck:
            block = Bottleneck
            options = {"shortcut": config.shortcut, "stride_at": config.stride_at}
        elif config.residual:
            block, options = BasicBlock, {"shortcut": config.shortcut}
        else:
            block, options = PlainBlock, {}
        w = config.width
        self.conv1 = nn.Conv2d(
            config.in_channels, w, kernel_size=7, stride=2, padding=3, bias=False
        )
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stages = []
        in_channels = w
        for i, blocks in enumerate(config.layers):
            planes = w * 2**i
            stride = 1 if i == 0 else 2
            stages.append(
                make_stage(block, in_channels, planes, blocks, stride, **options)
            )
            in_channels = planes * block.expansion
        for i, stage in enumerate(stages, start=1):
            self.add_module(f"layer{i}", stage)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(in_channels, config.num_classes)
        self.num_features = in_channels
        init_weights(self, config.zero_init_residual and config.residual)

    @property
    def stages(self) -> list[nn.Sequential]:
        return [
            getattr(self, f"layer{i}") for i in range(1, len(self.config.layers) + 1)
        ]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Image -> last feature maps, (B, 3, 224, 224) -> (B, 512 or 2048, 7, 7)."""
        x = self.conv1(x)  # (B, 64, 112, 112)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)  # (B, 64, 56, 56)
        for stage in self.stages:
            x = stage(x)  # 56 -> 56 -> 28 -> 14 -> 7 pixels
        return x


# Table 1 as data.
IMAGENET_VARIANTS: dict[str, dict] = {
    "resnet18": dict(layers=(2, 2, 2, 2), bottleneck=False, residual=True),
    "resnet34": dict(layers=(3, 4, 6, 3), bottleneck=False, residual=True),
    "resnet50": dict(layers=(3, 4, 6, 3), bottleneck=True, residual=True),
    "resnet101": dict(layers=(3, 4, 23, 3), bottleneck=True, residual=True),
    "resnet152": dict(layers=(3, 8, 36, 3), bottleneck=True, residual=True),
    "plain18": dict(
        layers=(2, 2, 2, 2),
        bottleneck=False,
        residual=False,
        shortcut=None,
        zero_init_residual=False,
    ),
    "plain34": dict(
        layers=(3, 4, 6, 3),
        bottleneck=False,
        residual=False,
        shortcut=None,
        zero_init_residual=False,
    ),
}

for _name, _variant in IMAGENET_VARIANTS.items():
    register(
        _name,
        ImageNetResNet,
        ImageNetResNetConfig,
        family="imagenet",
        summary=f"ImageNet {_name} (paper Table 1)",
        **_variant,
    )
