"""A loader for data that does not fit in memory: JPEGs decoded by worker processes.

Built from what PyTorch provides: ``DataLoader`` (worker processes, pinned memory,
prefetching) over torch's ``DistributedSampler`` (every process draws the same shuffled
order from the seed and the epoch, ``set_epoch``, and takes every N-th image of it), with
``torchvision.io`` decoding and ``torchvision.transforms.v2`` augmentation in the workers
(:mod:`helpers.data.transforms`). The batch travels as uint8 and is normalised on the
training device, like :class:`helpers.data.loader.DeviceLoader`, whose interface it has
(``len``, ``iter_epoch(start_batch)``, ``state_dict``), so ``fit`` trains on either.

The random augmentation of an image depends only on (seed, epoch, image index), not on
which worker or process decodes it: so N processes x B/N images see exactly the images
and crops of one process x B, and a resumed epoch replays the crops it would have drawn.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from helpers.core.device import resolve_device
from helpers.data.imagefolder import ImageFolderData
from helpers.data.loader import Normalization
from helpers.data.transforms import eval_transform, read_image, train_transform

__all__ = ["StreamingLoader", "sample_seed", "default_workers"]


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of image ``index``'s augmentation in ``epoch`` (distinct for
    index < 2**28, epoch < 2**12)."""
    return (seed * 2**40 + epoch * 2**28 + index) % 2**63


def default_workers(local_world_size: int = 1) -> int:
    """Decoding processes per training process: the CPU cores of this machine shared
    among its training processes, at most 8; none (decode in-process) below 2 each."""
    per_process = (os.cpu_count() or 1) // max(1, local_world_size)
    return 0 if per_process < 2 else min(8, per_process)


class _Images(torch.utils.data.Dataset):
    """(index, seed) -> (uint8 image, label): read, decode, transform with that seed."""

    def __init__(self, data: ImageFolderData, transform) -> None:
        self.files, self.labels, self.transform = data.files, data.labels, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = key
        image = read_image(self.files[index])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.transform(image), self.labels[index]


class _Shard(Sampler):
    """This process's image indices of one epoch, each with its augmentation seed.

    Training: ``DistributedSampler`` (shuffled by seed + epoch, the last images that do
    not fill a global batch dropped), after ``skip`` images (a resumed epoch).
    Evaluation: images rank, rank + N, ... in order, none repeated or dropped."""

    def __init__(self, n: int, rank: int, world: int, seed: int, train: bool) -> None:
        self.n, self.rank, self.world, self.seed, self.train = (
            n,
            rank,
            world,
            seed,
            train,
        )
        self.inner = DistributedSampler(
            range(n), world, rank, shuffle=True, seed=seed, drop_last=True
        )
        self.epoch, self.skip = 0, 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.epoch, self.skip = epoch, skip
        self.inner.set_epoch(epoch)

    def _indices(self) -> list[int]:
        if self.train:
            return list(self.inner)[self.skip :]
        return list(range(self.rank, self.n, self.world))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for i in self._indices():
            yield i, sample_seed(self.seed, self.epoch, i)

    def __len__(self) -> int:
        if self.train:
            return max(0, self.inner.num_samples - self.skip)
        return len(range(self.rank, self.n, self.world))


class StreamingLoader:
    """(x float normalised, y int64) batches of an :class:`ImageFolderData`.

    ``batch_size`` is the global batch; process ``rank`` of ``world_size`` gets
    ``batch_size / world_size`` images per step. ``train``: shuffled, augmented by the
    data's recipe (``augment=False``: the evaluation crop), incomplete batches dropped;
    else every image once, in order, with 10 crops flattened into the batch
    (``crops`` = 10: ``x`` is (10 B, 3, H, W), crops of an image adjacent).
    ``wait_s`` adds up the time spent waiting for batches (a data-loading stall)."""

    def __init__(
        self,
        data: ImageFolderData,
        batch_size: int,
        *,
        train: bool = True,
        augment: bool = True,
        device: str | torch.device | None = None,
        seed: int = 0,
        normalize: str | Normalization = "channel",
        channels_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
        workers: int | None = None,
    ) -> None:
        if batch_size % world_size or batch_size < world_size:
            raise ValueError(
                f"a batch of {batch_size} images cannot be shared by {world_size} processes"
            )
        if not isinstance(normalize, Normalization):
            normalize = Normalization.of(normalize, data)
        self.data, self.batch_size, self.train = data, batch_size, train
        self.device = resolve_device(device)
        self.channels_last, self.normalization = channels_last, normalize
        self.scale, self.shift = normalize.scale_shift(self.device)
        augmenting = train and augment
        transform = (
            train_transform(data.recipe) if augmenting else eval_transform(data.recipe)
        )
        self.crops = 1 if train else data.recipe.eval_crops
        self.sampler = _Shard(len(data), rank, world_size, seed, train)
        workers = default_workers() if workers is None else workers
        self.loader = DataLoader(
            _Images(data, transform),
            batch_size=batch_size // world_size,
            sampler=self.sampler,
            num_workers=workers,
            pin_memory=self.device.type == "cuda",
            drop_last=train,
            persistent_workers=workers > 0,
            prefetch_factor=4 if workers > 0 else None,
        )
        self.epoch, self._current, self.wait_s = 0, 0, 0.0

    def __len__(self) -> int:
        if self.train:
            return len(self.data) // self.batch_size
        return math.ceil(len(self.sampler) / self.loader.batch_size)

    def state_dict(self, *, restart_epoch: bool = False) -> dict:
        """The epoch to continue with; with ``restart_epoch`` the current one (whose
        batches already done are then skipped)."""
        return {"epoch": self._current if restart_epoch else self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = self._current = int(state["epoch"])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.iter_epoch()

    def iter_epoch(
        self, start_batch: int = 0
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass; ``start_batch`` skips the global batches already done."""
        self._current, self.epoch = self.epoch, self.epoch + 1
        self.sampler.set_epoch(self._current, start_batch * self.loader.batch_size)
        batches = iter(self.loader)
        while True:
            t0 = time.perf_counter()
            try:
                x, y = next(batches)
            except StopIteration:
                return
            self.wait_s += time.perf_counter() - t0
            yield self._to_device(x, y)

    def _to_device(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.to(
            self.device, non_blocking=True
        )  # uint8 (B, 3, H, W) or (B, 10, 3, H, W)
        x = x.flatten(0, 1) if x.ndim == 5 else x
        x = x.float().mul_(self.scale).sub_(self.shift)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)
