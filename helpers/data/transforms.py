"""How an ImageNet photo becomes a network input: decoding, the training augmentation and
the evaluation crops, built from ``torchvision.io`` and ``torchvision.transforms.v2``.

Training, two recipes (:class:`Recipe` ``train``):

* ``"paper"``: the shorter side is resized to a length drawn uniformly from [256, 480],
  a random 224x224 crop is taken and flipped left-right with probability 1/2 (He et al.
  2016, Sec. 3.4, after Simonyan & Zisserman 2015). The paper's colour augmentation
  (Krizhevsky et al. 2012) is left out, as torchvision's recipe leaves it out.
* ``"rrc"``: a random crop of 8-100 % of the area and aspect ratio 3/4-4/3, resized to
  224x224, and the flip (Szegedy et al. 2015; torchvision's reference recipe).

Evaluation: the shorter side resized to 256, then the centre 224x224 crop, or ten crops
(the four corners and the centre, and their mirror images; "10-crop testing", He et al.
2016, Table 3). Everything stays uint8 until it is on the training device, where the
per-pixel or per-channel mean is subtracted (:class:`helpers.data.loader.Normalization`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.io import ImageReadMode, decode_image, decode_jpeg, read_file
from torchvision.transforms import v2

__all__ = ["Recipe", "RECIPES", "read_image", "train_transform", "eval_transform"]

RECIPES = ("paper", "rrc", "center")
# torchvision 0.29 deprecates its decoders in favour of TorchCodec; they still work, and
# they are what PyTorch users have: the warning is silenced where we decode.
TORCHCODEC = "The image decoding and encoding capabilities of TorchVision"


@dataclass(frozen=True)
class Recipe:
    """Sizes in pixels; the defaults are the paper's ImageNet recipe."""

    train: str = "paper"  # "paper" (scale augmentation) | "rrc" | "center" (none)
    scale: tuple[int, int] = (256, 480)  # "paper": range of the shorter side
    crop: int = 224  # side of the square the network sees
    resize: int = 256  # evaluation: shorter side before the crop(s)
    eval_crops: int = 1  # 1: the centre crop; 10: corners + centre, and mirrored

    def __post_init__(self) -> None:
        if self.train not in RECIPES:
            raise ValueError(f"recipe must be one of {RECIPES}; got {self.train!r}")
        if self.eval_crops not in (1, 10):
            raise ValueError(f"eval_crops must be 1 or 10; got {self.eval_crops!r}")
        low, high = self.scale
        if not (0 < low <= high) or self.crop > low or self.crop > self.resize:
            raise ValueError(
                f"the crop ({self.crop}) must fit the scaled image: need crop <= "
                f"scale[0] <= scale[1] and crop <= resize; got scale={self.scale}, "
                f"resize={self.resize}"
            )


def read_image(path: str | Path) -> torch.Tensor:
    """The image file at ``path`` as uint8 RGB (3, H, W): JPEGs with ``decode_jpeg``,
    anything else (and the few ImageNet "JPEGs" that are PNG or CMYK) with
    ``decode_image``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", TORCHCODEC, DeprecationWarning)
        data = read_file(str(path))
        if Path(path).suffix.lower() in (".jpg", ".jpeg"):
            try:
                return decode_jpeg(data, mode=ImageReadMode.RGB)
            except RuntimeError:
                pass
        return decode_image(data, mode=ImageReadMode.RGB)


def train_transform(recipe: Recipe) -> v2.Transform:
    """uint8 (3, H, W) -> uint8 (3, crop, crop), randomly (torch's global RNG)."""
    if recipe.train == "center":
        return _center(recipe)
    flip = v2.RandomHorizontalFlip(p=0.5)
    if recipe.train == "rrc":
        return v2.Compose([v2.RandomResizedCrop(recipe.crop, antialias=True), flip])
    low, high = recipe.scale
    sides = list(range(low, high + 1))  # one of these, uniformly: the shorter side
    return v2.Compose(
        [
            v2.RandomShortestSize(min_size=sides, antialias=True),
            v2.RandomCrop(recipe.crop),
            flip,
        ]
    )


def _center(recipe: Recipe) -> v2.Transform:
    return v2.Compose(
        [v2.Resize(recipe.resize, antialias=True), v2.CenterCrop(recipe.crop)]
    )


class _TenCrops:
    """uint8 (3, H, W) -> (10, 3, crop, crop): corners, centre, and their mirrors."""

    def __init__(self, recipe: Recipe) -> None:
        self.resize = v2.Resize(recipe.resize, antialias=True)
        self.ten = v2.TenCrop(recipe.crop)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return torch.stack(self.ten(self.resize(image)))


def eval_transform(recipe: Recipe):
    """uint8 (3, H, W) -> (3, crop, crop), or (10, 3, crop, crop) for 10-crop testing."""
    return _TenCrops(recipe) if recipe.eval_crops == 10 else _center(recipe)
