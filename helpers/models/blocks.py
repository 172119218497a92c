"""Residual and plain building blocks shared by the CIFAR and ImageNet ResNets.

He et al. (2016), "Deep Residual Learning for Image Recognition": the basic block (Fig. 2,
Fig. 5 left), the bottleneck block (Fig. 5 right) and the plain counterparts used in Sec. 4.1/4.2.

Every block exposes the same small interface that the chapters rely on:

* ``residual`` (bool): does the block add a shortcut?
* ``branch_out``: an ``nn.Identity`` applied to the branch output F(x) right before the add
  (for a plain block: to the stacked output before its last ReLU) so forward hooks see F(x).
* ``skip_branch`` (bool): lesion switch (Veit et al. 2016). A residual block then returns its
  shortcut path only; a plain block whose shape does not change becomes the identity.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.models._common import (
    STRIDE_AT_OPTIONS,
    check_choice,
    conv1x1,
    conv3x3,
    make_shortcut,
)


class LesionMixin:
    """The ``skip_branch`` switch, with a clear error where skipping is undefined."""

    residual: bool = True
    _skip_branch: bool = False

    @property
    def skip_branch(self) -> bool:
        return self._skip_branch

    @skip_branch.setter
    def skip_branch(self, value: bool) -> None:
        if value and not self.residual and self.changes_shape:
            raise ValueError(
                f"cannot skip this plain block: it maps {self.in_channels} channels to "
                f"{self.out_channels} with stride {self.stride}, so without the block the shapes "
                "no longer fit. Only plain blocks whose input and output shapes agree can be "
                "skipped; residual blocks can always be skipped (their shortcut remains)."
            )
        self._skip_branch = bool(value)

    def _remember_shape(self, in_channels: int, out_channels: int, stride: int) -> None:
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.changes_shape = stride != 1 or in_channels != out_channels

    @property
    def shortcut(self) -> nn.Module:
        """The shortcut path (torchvision calls it ``downsample``)."""
        return self.downsample


class _TwoConvLayers(LesionMixin, nn.Module):
    """The two stacked 3x3 conv-BN layers shared by the basic block and its plain twin."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self._remember_shape(in_channels, out_channels, stride)
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = conv3x3(planes, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.branch_out = nn.Identity()
        self.relu2 = nn.ReLU()

    def stacked(self, x: torch.Tensor) -> torch.Tensor:
        """BN(conv(ReLU(BN(conv(x))))): F(x) of the paper's Fig. 2, seen by ``branch_out``."""
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu1(out)
        out = self.conv2(out)
        out = self.bn2(out)
        return self.branch_out(out)


class BasicBlock(_TwoConvLayers):
    """Two 3x3 conv-BN layers plus a shortcut: y = ReLU(F(x) + shortcut(x)) (Fig. 2)."""

    residual = True

    def __init__(
        self, in_channels: int, planes: int, stride: int = 1, shortcut: str = "B"
    ) -> None:
        super().__init__(in_channels, planes, stride)
        self.downsample = make_shortcut(
            shortcut, in_channels, self.out_channels, stride
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.downsample(x)
        if self.skip_branch:
            return self.relu2(identity)
        out = self.stacked(x)  # F(x)
        out = out + identity
        out = self.relu2(out)
        return out

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn2.weight)


class PlainBlock(_TwoConvLayers):
    """The basic block without its shortcut: y = ReLU(BN(conv(ReLU(BN(conv(x)))))) (Sec. 4.1)."""

    residual = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.skip_branch:
            return x
        out = self.stacked(x)  # the stacked layers' output; no shortcut is added
        out = self.relu2(out)
        return out

    @property
    def shortcut(self) -> None:
        return None


class Bottleneck(LesionMixin, nn.Module):
    """1x1 (reduce) - 3x3 - 1x1 (expand x4) residual block (Fig. 5 right), for ResNet-50/101/152.

    ``stride_at="1x1"`` puts the stride-2 on the first 1x1 convolution as in the paper;
    ``"3x3"`` puts it on the 3x3 convolution as torchvision does ("ResNet v1.5").
    """

    expansion = 4
    residual = True

    def __init__(
        self,
        in_channels: int,
        planes: int,
        stride: int = 1,
        shortcut: str = "B",
        stride_at: str = "1x1",
    ) -> None:
        super().__init__()
        check_choice("stride_at", stride_at, STRIDE_AT_OPTIONS)
        out_channels = planes * self.expansion
        self._remember_shape(in_channels, out_channels, stride)
        stride_1x1, stride_3x3 = (stride, 1) if stride_at == "1x1" else (1, stride)
        self.conv1 = conv1x1(in_channels, planes, stride_1x1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = conv3x3(planes, planes, stride_3x3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.conv3 = conv1x1(planes, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.branch_out = nn.Identity()
        self.downsample = make_shortcut(shortcut, in_channels, out_channels, stride)
        self.relu3 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.downsample(x)
        if self.skip_branch:
            return self.relu3(identity)
        out = self.conv1(x)  # (B, C, H, W) -> (B, planes, ., .)
        out = self.bn1(out)
        out = self.relu1(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu2(out)
        out = self.conv3(out)  # -> (B, 4 planes, ., .)
        out = self.bn3(out)
        out = self.branch_out(out)  # F(x)
        out = out + identity
        out = self.relu3(out)
        return out

    def zero_init_last_bn(self) -> None:
        nn.init.zeros_(self.bn3.weight)
