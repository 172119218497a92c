"""Pre-activation ResNets for small images, He et al. (2016b), "Identity Mappings in Deep
Residual Networks" (ECCV 2016), Fig. 1(b) / Fig. 4(e).

Each unit computes x + F(x) with F = (BN -> ReLU -> conv) twice (basic, depth 6n+2) or three
times with a 1x1-3x3-1x1 bottleneck (depth 9n+2); nothing follows the addition, so the shortcut
path is a clean identity from the first unit to the last. One final BN -> ReLU precedes pooling.
Where the shape changes the shortcut is a 1x1 projection (option B, no BN) applied to the
pre-activated input, as in the authors' code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import (
    FeaturesHeadModel,
    check_choice,
    check_positive_int,
    conv1x1,
    conv3x3,
    init_weights,
    make_shortcut,
    make_stage,
)
from helpers.models.blocks import LesionMixin
from helpers.models.registry import register
from helpers.models.resnet_cifar import check_depth


class PreActBlock(LesionMixin, nn.Module):
    """Pre-activation basic unit: x + conv(ReLU(BN(conv(ReLU(BN(x))))))."""

    expansion = 1
    residual = True

    def __init__(
        self, in_channels: int, planes: int, stride: int = 1, shortcut: str = "B"
    ) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self._remember_shape(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.conv2 = conv3x3(planes, out_channels)
        self.branch_out = nn.Identity()
        self.downsample = make_shortcut(
            shortcut, in_channels, out_channels, stride, batch_norm=False
        )
        self.project_preactivated = isinstance(self.downsample, nn.Conv2d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(x)
        out = self.relu1(out)
        identity = self.downsample(out if self.project_preactivated else x)
        if self.skip_branch:
            return identity
        out = self.conv1(out)
        out = self.bn2(out)
        out = self.relu2(out)
        out = self.conv2(out)
        out = self.branch_out(out)  # F(x)
        out = out + identity  # no ReLU after the addition
        return out

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn2.weight)


class PreActBottleneck(LesionMixin, nn.Module):
    """Pre-activation bottleneck unit: 1x1 (reduce) - 3x3 - 1x1 (expand x4), each after BN-ReLU."""

    expansion = 4
    residual = True

    def __init__(
        self, in_channels: int, planes: int, stride: int = 1, shortcut: str = "B"
    ) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self._remember_shape(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = conv1x1(in_channels, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes)
        self.relu3 = nn.ReLU()
        self.conv3 = conv1x1(planes, out_channels)
        self.branch_out = nn.Identity()
        self.downsample = make_shortcut(
            shortcut, in_channels, out_channels, stride, batch_norm=False
        )
        self.project_preactivated = isinstance(self.downsample, nn.Conv2d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn1(x)
        out = self.relu1(out)
        identity = self.downsample(out if self.project_preactivated else x)
        if self.skip_branch:
            return identity
        out = self.conv1(out)
        out = self.bn2(out)
        out = self.relu2(out)
        out = self.conv2(out)
        out = self.bn3(out)
        out = self.relu3(out)
        out = self.conv3(out)
        out = self.branch_out(out)  # F(x)
        out = out + identity
        return out

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn3.weight)


@dataclass
class PreActResNetConfig:
    """Hyper-parameters of the pre-activation CIFAR ResNet (He et al. 2016b, Sec. 4-5)."""

    depth: int = 110  # 6n+2 (basic) or 9n+2 (bottleneck)
    bottleneck: bool = False
    width: int = 16  # filters of the stem and of the first stage's 3x3 convolutions
    shortcut: str = (
        "B"  # projection where the shape changes; "A" zero-padding; "C" everywhere
    )
    num_classes: int = 10
    in_channels: int = 3
    zero_init_residual: bool = False

    def __post_init__(self) -> None:
        step = 9 if self.bottleneck else 6
        what = (
            "pre-activation bottleneck ResNet"
            if self.bottleneck
            else "pre-activation ResNet"
        )
        self.blocks_per_stage = check_depth(self.depth, step, what)
        check_choice("shortcut", self.shortcut, ("A", "B", "C"))
        check_positive_int("width", self.width)
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)


class PreActResNet(FeaturesHeadModel):
    """Pre-activation ResNet-(6n+2) or bottleneck ResNet-(9n+2) for 28x28 / 32x32 images."""

    def __init__(self, config: PreActResNetConfig) -> None:
        super().__init__()
        self.config = config
        n, w = config.blocks_per_stage, config.width
        block = PreActBottleneck if config.bottleneck else PreActBlock
        e = block.expansion
        self.conv1 = conv3x3(config.in_channels, w)
        self.layer1 = make_stage(block, w, w, n, 1, shortcut=config.shortcut)
        self.layer2 = make_stage(block, w * e, 2 * w, n, 2, shortcut=config.shortcut)
        self.layer3 = make_stage(
            block, 2 * w * e, 4 * w, n, 2, shortcut=config.shortcut
        )
        self.bn_final = nn.BatchNorm2d(4 * w * e)
        self.relu_final = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * w * e, config.num_classes)
        self.num_features = 4 * w * e
        init_weights(self, config.zero_init_residual)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Image -> last (activated) feature maps, (B, C, 32, 32) -> (B, 4 width e, 8, 8)."""
        x = self.conv1(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.bn_final(x)
        x = self.relu_final(x)
        return x


register(
    "preact_resnet_cifar",
    PreActResNet,
    PreActResNetConfig,
    family="small",
    summary="pre-activation CIFAR ResNet (He et al. 2016b)",
)
register(
    "preact_resnet110",
    PreActResNet,
    PreActResNetConfig,
    family="small",
    summary="pre-activation ResNet-110 (basic units)",
    depth=110,
    bottleneck=False,
)
register(
    "preact_resnet164",
    PreActResNet,
    PreActResNetConfig,
    family="small",
    summary="pre-activation ResNet-164 (bottleneck units)",
    depth=164,
    bottleneck=True,
)
register(
    "preact_resnet1001",
    PreActResNet,
    PreActResNetConfig,
    family="small",
    summary="pre-activation ResNet-1001 (bottleneck units)",
    depth=1001,
    bottleneck=True,
)
