"""A data loader that keeps the whole dataset on the training device and augments whole batches.

The paper's CIFAR-10 augmentation (He et al., 2016, Sec. 4.2): pad 4 pixels on each side, take a
random crop of the original size, flip horizontally with probability 1/2. Here the crop and the
flip of every image in a batch are ONE gather with per-sample row/column indices, so there is no
per-image Python on the hot path (the airbench idea).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

from .datasets import Dataset

__all__ = ["DeviceLoader", "augment_batch", "NORMALIZATIONS"]

NORMALIZATIONS = ("channel", "pixel", "none")


def augment_batch(
    images: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, flip: torch.Tensor, pad: int = 4
) -> torch.Tensor:
    """Pad-and-crop plus horizontal flip for a batch, as one index gather.

    images: (B, C, H, W); dy, dx: (B,) crop offsets in [0, 2*pad]; flip: (B,) bool.
    Sample b becomes padded[b, :, dy:dy+H, dx:dx+W], mirrored left-right where flip[b].
    """
    b, c, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad))  # (B, C, H, W) -> (B, C, H+2p, W+2p), zeros
    ar_h = torch.arange(h, device=images.device)
    ar_w = torch.arange(w, device=images.device)
    rows = dy[:, None] + ar_h  # (B, H)
    cols = dx[:, None] + torch.where(flip[:, None], w - 1 - ar_w, ar_w)  # (B, W)
    bi = torch.arange(b, device=images.device)[:, None, None, None]
    ci = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]  # (B, C, H, W)


class DeviceLoader:
    """Iterate over (x float32 normalised, y int64) batches of a :class:`Dataset`.

    ``train=True`` shuffles every epoch and (with ``augment``) applies pad-4 random crops and
    horizontal flips. ``normalize`` is "channel" (per-channel mean/std), "pixel" (subtract the
    per-pixel mean image, as in the paper) or "none". Randomness comes from a private
    ``torch.Generator`` seeded with ``seed``, so a run is reproducible and resumable.
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
        normalize: str = "channel",
        channels_last: bool = False,
        drop_last: bool | None = None,
        pad: int = 4,
    ) -> None:
        if normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if len(dataset) == 0:
            raise ValueError(f"dataset {dataset.name}/{dataset.split} is empty")
        self.device = torch.device(device) if device is not None else _default_device()
        self.dataset = dataset
        self.batch_size = batch_size
        self.train = train
        self.augment = augment and train
        self.channels_last = channels_last
        self.drop_last = train if drop_last is None else drop_last
        self.pad = pad
        self.images = dataset.images.to(self.device)  # uint8 stays uint8 on the device
        self.labels = dataset.labels.to(self.device)
        self.scale, self.shift = self._normalizer(dataset, normalize)
        self.generator = torch.Generator().manual_seed(seed)
        self._epoch_state = self.generator.get_state()

    def _normalizer(self, ds: Dataset, normalize: str) -> tuple[torch.Tensor, torch.Tensor]:
        """x_norm = x_uint8 * scale - shift, with scale/shift broadcastable to (C, H, W)."""
        c = ds.in_channels
        if normalize == "channel":
            std = torch.tensor(ds.std, dtype=torch.float32).view(c, 1, 1)
            mean = torch.tensor(ds.mean, dtype=torch.float32).view(c, 1, 1)
            scale, shift = 1.0 / (255.0 * std), mean / std
        elif normalize == "pixel":
            mean = ds.pixel_mean if ds.pixel_mean is not None else ds.images.float().mean(0) / 255
            scale, shift = torch.full((c, 1, 1), 1 / 255.0), mean.float()
        else:
            scale, shift = torch.full((c, 1, 1), 1 / 255.0), torch.zeros(c, 1, 1)
        return scale.to(self.device), shift.to(self.device)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

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

    def iter_epoch(self, start_batch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass over the data; ``start_batch`` skips batches (used to resume mid-epoch)."""
        self._epoch_state = self.generator.get_state()
        plan = self._epoch_plan()
        for i in range(start_batch, len(self)):
            sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
            idx = plan[0][sl]
            x = self.images[idx]
            if self.augment:
                x = augment_batch(x, plan[1][sl], plan[2][sl], plan[3][sl], self.pad)
            x = x.float().mul_(self.scale).sub_(self.shift)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, self.labels[idx]


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
