"""VGG, Simonyan and Zisserman (2015): stacks of 3x3 convolutions, a max-pool after each stack.

ImageNet forms ``vgg11/13/16/19`` (configurations A, B, D, E of the paper's Table 1, with an
optional BatchNorm after each convolution, ``_bn``) use torchvision's names (``features``,
``avgpool``, ``classifier``) so its checkpoints load. ``vgg_cifar`` is a small-image form: five
stacks with width, 2, 4, 8, 8 x width filters, max-pools after the first four (28 or 32 pixels
-> 1-2 pixels), global average pooling and three fully connected layers of 8 x width units.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import (
    FeaturesHeadModel,
    check_choice,
    check_positive_int,
    init_weights,
)
from helpers.models.registry import register

# Convolutions per stack for each depth (the paper's configurations A, B, D, E).
VGG_STACKS: dict[int, tuple[int, ...]] = {
    11: (1, 1, 2, 2, 2),
    13: (2, 2, 2, 2, 2),
    16: (2, 2, 3, 3, 3),
    19: (2, 2, 4, 4, 4),
}


def _vgg_features(
    stacks: tuple[int, ...],
    widths: tuple[int, ...],
    in_channels: int,
    batch_norm: bool,
    pool_after: tuple[bool, ...],
) -> nn.Sequential:
    """conv3x3 (-> BN) -> ReLU repeated, a 2x2 max-pool closing each stack (one Sequential)."""
    layers: list[nn.Module] = []
    for convs, width, pool in zip(stacks, widths, pool_after, strict=False):
        for _ in range(convs):
            layers.append(nn.Conv2d(in_channels, width, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU())
            in_channels = width
        if pool:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def _classifier(
    in_features: int, hidden: int, num_classes: int, dropout: float
) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )


def _init_linear(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)


@dataclass
class VGGConfig:
    """VGG for 224x224 images."""

    depth: int = 16  # weighted layers: 11, 13, 16 or 19
    batch_norm: bool = False
    num_classes: int = 1000
    in_channels: int = 3
    dropout: float = 0.5

    def __post_init__(self) -> None:
        check_choice("depth", self.depth, tuple(VGG_STACKS))
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)


class VGG(FeaturesHeadModel):
    """VGG-11/13/16/19 (Simonyan & Zisserman 2015, Table 1), torchvision layout."""

    head_layers = ("flatten", "classifier")

    def __init__(self, config: VGGConfig) -> None:
        super().__init__()
        self.config = config
        self.features = _vgg_features(
            VGG_STACKS[config.depth],
            (64, 128, 256, 512, 512),
            config.in_channels,
            config.batch_norm,
            (True,) * 5,
        )
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.flatten = nn.Flatten()
        self.classifier = _classifier(
            512 * 7 * 7, 4096, config.num_classes, config.dropout
        )
        self.num_features = 512
        init_weights(self)
        _init_linear(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 224, 224) -> (B, 512, 7, 7)."""
        x = self.features(x)
        return self.avgpool(x)


@dataclass
class VGGCifarConfig:
    """Small-image VGG. Defaults (depth 11, width 12, BN): 345,466 parameters, 5.7M MACs at 32x32."""

    depth: int = (
        11  # 11, 13, 16 or 19 weighted layers (8/10/13/16 conv + 3 fully connected)
    )
    width: int = 12  # filters of the first stack; later stacks 2, 4, 8, 8 x width
    batch_norm: bool = True  # without BN, deep VGGs need careful init to train at all
    num_classes: int = 10
    in_channels: int = 3
    dropout: float = 0.0  # 0 for a like-for-like comparison with the CIFAR ResNets

    def __post_init__(self) -> None:
        check_choice("depth", self.depth, tuple(VGG_STACKS))
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)


class VGGCifar(FeaturesHeadModel):
    """VGG for 28x28 / 32x32 images (four max-pools, global average pool, 3 FC layers)."""

    head_layers = ("avgpool", "flatten", "classifier")

    def __init__(self, config: VGGCifarConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        widths = (w, 2 * w, 4 * w, 8 * w, 8 * w)
        self.features = _vgg_features(
            VGG_STACKS[config.depth],
            widths,
            config.in_channels,
            config.batch_norm,
            (True, True, True, True, False),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = _classifier(8 * w, 8 * w, config.num_classes, config.dropout)
        self.num_features = 8 * w
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 32, 32) -> (B, 8 width, 2, 2)."""
        return self.features(x)


for _depth in VGG_STACKS:
    register(
        f"vgg{_depth}",
        VGG,
        VGGConfig,
        family="imagenet",
        summary=f"VGG-{_depth}",
        depth=_depth,
        batch_norm=False,
    )
    register(
        f"vgg{_depth}_bn",
        VGG,
        VGGConfig,
        family="imagenet",
        summary=f"VGG-{_depth} with BatchNorm",
        depth=_depth,
        batch_norm=True,
    )
register(
    "vgg_cifar",
    VGGCifar,
    VGGCifarConfig,
    family="small",
    summary="VGG for small images",
)
