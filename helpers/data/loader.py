"""A data loader that keeps the whole dataset on the training device and augments whole batches.

The paper's CIFAR-10 augmentation (He et al., 2016, Sec. 4.2): pad 4 pixels on each side, take a
random crop of the original size, flip horizontally with probability 1/2. Here the crop and the
flip of every image in a batch are ONE gather with per-sample row/column indices, so there is no
per-image Python on the hot path (the airbench idea).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.device import resolve_device
from helpers.data.datasets import Dataset

__all__ = [
    "DeviceLoader",
    "Normalization",
    "augment_batch",
    "NORMALIZATIONS",
    "check_normalize",
    "normalization_of",
    "set_normalization",
]

NORMALIZATIONS = ("channel", "pixel", "none")
ATTRIBUTE = "input_normalization"  # where a trained model carries its Normalization


def check_normalize(normalize: object) -> str:
    """Return ``normalize`` if it names a known normalisation, else raise a ValueError."""
    if normalize not in NORMALIZATIONS:
        raise ValueError(
            f"normalize must be one of {NORMALIZATIONS} ('channel': per-channel mean/std, "
            f"'pixel': subtract the per-pixel mean image as in the paper); got {normalize!r}"
        )
    return normalize


@dataclass(frozen=True)
class Normalization:
    """How uint8 images become network inputs: ``x = (pixels / 255 - mean) / std``.

    ``mean`` is (C, 1, 1) per channel or (C, H, W) per pixel (the paper's "per-pixel mean
    subtracted", He et al. 2016, Sec. 4.2); ``std`` is (C, 1, 1). A trained model carries the
    Normalization it was trained with (see :func:`normalization_of`), like torchvision's
    ``weights.transforms()`` or timm's ``pretrained_cfg``, so evaluation uses the same numbers.
    """

    kind: str  # "channel" | "pixel" | "none"
    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def of(cls, kind: str, data: Dataset) -> Normalization:
        """The ``kind`` normalisation with the statistics of ``data`` (the training set)."""
        c = data.in_channels
        if check_normalize(kind) == "channel":
            mean = torch.tensor(data.mean, dtype=torch.float32).view(c, 1, 1)
            std = torch.tensor(data.std, dtype=torch.float32).view(c, 1, 1)
            return cls(kind, mean, std)
        if kind == "pixel":
            pixel_mean = data.pixel_mean
            if pixel_mean is None:
                pixel_mean = data.images.float().mean(0) / 255
            return cls(kind, pixel_mean.float().cpu(), torch.ones(c, 1, 1))
        return cls(kind, torch.zeros(c, 1, 1), torch.ones(c, 1, 1))

    @property
    def channels(self) -> int:
        return int(self.mean.shape[0])

    def scale_shift(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) with ``x = pixels * scale - shift``: one multiply-subtract per batch."""
        scale = 1.0 / (255.0 * self.std)
        return scale.to(device), (self.mean / self.std).to(device)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images (B, C, H, W) -> normalised float32 inputs."""
        scale, shift = self.scale_shift(images.device)
        return images.float().mul_(scale).sub_(shift)

    def unnormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Network inputs -> pixel values in [0, 1] (for display)."""
        return x * self.std.to(x.device) + self.mean.to(x.device)

    def black(self, like: torch.Tensor) -> torch.Tensor:
        """An all-black image in input space, shaped like ``like`` (an attribution baseline)."""
        zero = torch.zeros_like(like)
        return (zero - self.mean.to(like.device)) / self.std.to(like.device)

    def state_dict(self) -> dict:
        """Tensors and a string: loads with ``torch.load(weights_only=True)``."""
        return {"kind": self.kind, "mean": self.mean.cpu(), "std": self.std.cpu()}

    @classmethod
    def from_state_dict(cls, state: dict) -> Normalization:
        return cls(
            check_normalize(state["kind"]), state["mean"].float(), state["std"].float()
        )

    def same_as(self, other: Normalization) -> bool:
        return (
            self.kind == other.kind
            and torch.equal(self.mean, other.mean)
            and torch.equal(self.std, other.std)
        )


def normalization_of(model: nn.Module) -> Normalization | None:
    """The Normalization ``model`` was trained with (set by ``helpers.train.fit``), or None."""
    return getattr(model, ATTRIBUTE, None)


def set_normalization(model: nn.Module, normalization: Normalization) -> None:
    """Record on ``model`` the input normalisation it is trained with."""
    setattr(model, ATTRIBUTE, normalization)


def augment_batch(
    images: torch.Tensor,
    dy: torch.Tensor,
    dx: torch.Tensor,
    flip: torch.Tensor,
    pad: int = 4,
) -> torch.Tensor:
    """Pad-and-crop plus horizontal flip for a batch, as one index gather.

    images: (B, C, H, W); dy, dx: (B,) crop offsets in [0, 2*pad]; flip: (B,) bool.
    Sample b becomes padded[b, :, dy:dy+H, dx:dx+W], mirrored left-right where flip[b].
    """
    b, c, h, w = images.shape
    padded = F.pad(
        images, (pad, pad, pad, pad)
    )  # (B, C, H, W) -> (B, C, H+2p, W+2p), zeros
    ar_h = torch.arange(h, device=images.device)
    ar_w = torch.arange(w, device=images.device)
    rows = dy[:, None] + ar_h  # (B, H)
    cols = dx[:, None] + torch.where(flip[:, None], w - 1 - ar_w, ar_w)  # (B, W)
    bi = torch.arange(b, device=images.device)[:, None, None, None]
    ci = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[
        bi, ci, rows[:, None, :, None], cols[:, None, None, :]
    ]  # (B, C, H, W)


class DeviceLoader:
    """Iterate over (x float32 normalised, y int64) batches of a :class:`Dataset`.

    ``train=True`` shuffles every epoch and (with ``augment``) applies pad-4 random crops and
    horizontal flips. ``normalize`` is a :class:`Normalization` (e.g. a trained model's) or its
    kind: "channel" (per-channel mean/std), "pixel" (subtract the per-pixel mean image, as in
    the paper) or "none", with the statistics of ``dataset``. Randomness comes from a private
    ``torch.Generator`` seeded with ``seed``, so a run is reproducible and resumable.

    Under ``torchrun``, every process holds the whole (small) dataset and draws the same
    epoch plan; process ``rank`` of ``world_size`` takes its ``batch_size / world_size``
    images of each global batch of ``batch_size`` (``len`` counts global batches), so the
    processes together see exactly what one process would.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        *,
        train: bool = True,
        augment: bool = True,
        device: str | torch.device | None = None,
        seed: int = 0,
        normalize: str | Normalization = "channel",
        channels_last: bool = False,
        drop_last: bool | None = None,
        pad: int = 4,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not isinstance(normalize, Normalization):
            normalize = Normalization.of(normalize, dataset)
        if normalize.channels != dataset.in_channels:
            raise ValueError(
                f"the normalisation has {normalize.channels} channels but the images of "
                f"{dataset.name}/{dataset.split} have {dataset.in_channels}"
            )
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int)
            or batch_size <= 0
        ):
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if len(dataset) == 0:
            raise ValueError(f"dataset {dataset.name}/{dataset.split} is empty")
        self.shard = rank * (batch_size // world_size), batch_size // world_size
        if batch_size % world_size or not 0 <= rank < world_size:
            raise ValueError(
                f"process {rank} of {world_size} cannot take an equal share of a batch "
                f"of {batch_size} images"
            )
        self.device = resolve_device(device)
        self.dataset = dataset
        self.batch_size = batch_size
        self.train = train
        self.augment = augment and train
        self.channels_last = channels_last
        self.drop_last = train if drop_last is None else drop_last
        self.pad = pad
        self.images = dataset.images.to(self.device)  # uint8 stays uint8 on the device
        self.labels = dataset.labels.to(self.device)
        self.normalization = normalize
        self.scale, self.shift = normalize.scale_shift(self.device)
        self.generator = torch.Generator().manual_seed(seed)
        self._epoch_state = self.generator.get_state()

    def __len__(self) -> int:
        n = len(self.dataset)
        return (
            n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        )

    # -- resumable randomness ------------------------------------------------------------------
    def state_dict(self, *, restart_epoch: bool = False) -> dict:
        """The RNG state the next epoch starts from; with ``restart_epoch``, the state the
        current epoch started from (to replay it and skip the batches already done)."""
        state = self._epoch_state if restart_epoch else self.generator.get_state()
        return {"rng": state.clone()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["rng"])
        self._epoch_state = state["rng"].clone()

    def _epoch_plan(self) -> tuple[torch.Tensor, ...]:
        """Draw the whole epoch's order, crop offsets and flips at once (one host->device copy)."""
        n, g = len(self.dataset), self.generator
        if not self.train:
            return (torch.arange(n, device=self.device),)
        order = torch.randperm(n, generator=g)
        if not self.augment:
            return (order.to(self.device),)
        offsets = torch.randint(0, 2 * self.pad + 1, (2, n), generator=g)
        flips = torch.rand(n, generator=g) < 0.5
        plan = torch.cat([order[None], offsets, flips[None].long()]).to(self.device)
        return plan[0], plan[1], plan[2], plan[3].bool()

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.iter_epoch()

    def iter_epoch(
        self, start_batch: int = 0
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass over the data; ``start_batch`` skips batches (used to resume mid-epoch)."""
        self._epoch_state = self.generator.get_state()
        plan = self._epoch_plan()
        first, size = self.shard  # this process's part of each global batch
        for i in range(start_batch, len(self)):
            start = i * self.batch_size + first
            sl = slice(start, min(start + size, len(self.dataset)))
            idx = plan[0][sl]
            x = self.images[idx]
            if self.augment:
                x = augment_batch(x, plan[1][sl], plan[2][sl], plan[3][sl], self.pad)
            x = x.float().mul_(self.scale).sub_(self.shift)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, self.labels[idx]
