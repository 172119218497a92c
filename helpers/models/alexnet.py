"""AlexNet, Krizhevsky, Sutskever and Hinton (2012), in torchvision's single-GPU form.

Five convolutions (11x11 stride 4, 5x5, three 3x3) with overlapping 3x3/2 max-pooling and three
fully connected layers with dropout. As in torchvision (and unlike the paper) there is no local
response normalisation, no two-GPU split, and the first layers have 64/192 filters; the names
(``features``, ``avgpool``, ``classifier``) match torchvision's, so its checkpoints load.
Needs inputs of at least 63x63 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models._common import FeaturesHeadModel, check_positive_int, init_weights
from helpers.models.registry import register


@dataclass
class AlexNetConfig:
    num_classes: int = 1000
    in_channels: int = 3
    dropout: float = 0.5  # in the first two fully connected layers

    def __post_init__(self) -> None:
        check_positive_int("num_classes", self.num_classes)
        check_positive_int("in_channels", self.in_channels)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout}")


class AlexNet(FeaturesHeadModel):
    """AlexNet (Krizhevsky et al. 2012): 5 conv + 3 fully connected layers, 61.1M parameters."""

    head_layers = ("flatten", "classifier")

    def __init__(self, config: AlexNetConfig) -> None:
        super().__init__()
        self.config = config
        self.features = nn.Sequential(
            nn.Conv2d(
                config.in_channels, 64, kernel_size=11, stride=4, padding=2
            ),  # 224 -> 55
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # -> 27 (overlapping pooling)
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # -> 13
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # -> 6
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, config.num_classes),
        )
        self.num_features = 256
        init_weights(self)
        for m in self.classifier.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 224, 224) -> (B, 256, 6, 6)."""
        x = self.features(x)
        return self.avgpool(x)


register(
    "alexnet",
    AlexNet,
    AlexNetConfig,
    family="imagenet",
    summary="AlexNet (2012), torchvision form",
)
