"""The dataset registry and :func:`load_dataset`: one split of CIFAR-10 or Fashion-MNIST.

The files are found (or downloaded) by :mod:`helpers.data.download` and parsed by
:mod:`helpers.data.formats` (IDX for Fashion-MNIST, python pickles for CIFAR-10); decoded
arrays are cached in-process, and a split/subset is returned as a :class:`Dataset` of uint8
images. CIFAR-10 is the dataset of the ResNet paper's Section 4.2 (He et al., 2016);
Fashion-MNIST (Xiao et al., 2017) is the small stand-in the book uses on CPU.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from helpers.data.download import DownloadError, locate
from helpers.data.formats import (
    FMNIST_FILES,
    DatasetError,
    cifar_batch,
    idx_file,
    read_idx,
)

__all__ = [
    "Dataset",
    "DatasetError",
    "DownloadError",
    "DATASETS",
    "load_dataset",
    "read_idx",
]

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class DatasetInfo:
    """Static facts about a dataset: classes, image shape, normalisation constants."""

    title: str
    classes: tuple[str, ...]
    shape: tuple[int, int, int]  # (C, H, W)
    n_train: int
    n_test: int
    mean: tuple[float, ...]  # per channel, pixel values scaled to [0, 1]
    std: tuple[float, ...]


DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo(
        "CIFAR-10",
        (
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        (3, 32, 32),
        50_000,
        10_000,
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
    ),
    "fashion-mnist": DatasetInfo(
        "Fashion-MNIST",
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        (1, 28, 28),
        60_000,
        10_000,
        (0.2860,),
        (0.3530,),
    ),
}


@dataclass
class Dataset:
    """One split of a dataset, held as uint8 images (N, C, H, W) and int64 labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    name: str
    split: str
    source: str
    # Per-pixel mean (C, H, W) in [0, 1] of the training images: the paper's normalisation.
    pixel_mean: torch.Tensor | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def title(self) -> str:
        info = DATASETS.get(self.name)
        return info.title if info else self.name


# ---------------------------------------------------------------------------------------------
# Decoding (cached) and splitting
# ---------------------------------------------------------------------------------------------


def _check_pair(
    name: str, images: np.ndarray, labels: np.ndarray, files: tuple[Path, Path]
) -> None:
    """Raise a DatasetError naming the file when decoded arrays do not fit the registry."""
    info = DATASETS[name]
    if images.ndim == 3:
        images = images[:, None]
    if images.shape[1:] != info.shape:
        raise DatasetError(
            f"{files[0]}: images have shape {images.shape[1:]}, expected {info.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise DatasetError(
            f"{files[0]} / {files[1]}: {images.shape[0]} images but {labels.shape[0]} labels"
        )
    if labels.size and labels.max() >= len(info.classes):
        raise DatasetError(
            f"{files[1]}: label {int(labels.max())} out of range 0..{len(info.classes) - 1}"
        )


def _stat_key(d: Path) -> tuple:
    """Key the cache on file sizes and mtimes, so a replaced file is re-read."""
    return tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(d.iterdir())
        if p.is_file()
    )


@functools.lru_cache(maxsize=4)
def _decode(
    name: str, directory: str, _key: tuple
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """{"train"/"test": (uint8 images (N, C, H, W), int64 labels)} of the files in
    ``directory``; ``_key`` (:func:`_stat_key`) makes a replaced file be read again."""
    d = Path(directory)
    out: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    if name == "fashion-mnist":
        for split, (img_stem, lbl_stem) in FMNIST_FILES.items():
            files = (idx_file(d, img_stem), idx_file(d, lbl_stem))
            images, labels = read_idx(files[0]), read_idx(files[1]).astype(np.int64)
            if images.ndim != 3 or labels.ndim != 1:
                raise DatasetError(
                    f"{files[0]}: expected (N, 28, 28) images and (N,) labels"
                )
            _check_pair(name, images, labels, files)
            out[split] = (
                torch.from_numpy(images.copy()).unsqueeze(1),
                torch.from_numpy(labels),
            )
    else:
        parts = [cifar_batch(d / f"data_batch_{i}") for i in range(1, 6)]
        train = (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
        )
        test = cifar_batch(d / "test_batch")
        for split, (images, labels) in (("train", train), ("test", test)):
            _check_pair(name, images, labels, (d / "data_batch_1", d / "data_batch_1"))
            out[split] = (
                torch.from_numpy(np.ascontiguousarray(images)),
                torch.from_numpy(labels),
            )
    return out


def _val_indices(labels: torch.Tensor, val_size: int, seed: int) -> torch.Tensor:
    """A class-balanced hold-out of ``val_size`` training images, fixed by ``seed``."""
    return _balanced_subset(labels, val_size, seed + 7919)


def _balanced_subset(labels: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """Indices of ``size`` images, as equal per class as possible, in a seeded random order."""
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(labels.shape[0], generator=g)
    classes = torch.unique(labels)
    per_class = [order[labels[order] == c] for c in classes]  # each in random order
    quota = torch.full((len(classes),), size // len(classes), dtype=torch.long)
    quota[: size % len(classes)] += 1
    counts = torch.tensor([len(p) for p in per_class])
    if (quota > counts).any():
        raise ValueError(
            f"subset={size} is larger than the split allows (class sizes {counts.tolist()})"
        )
    chosen = torch.cat([p[:q] for p, q in zip(per_class, quota.tolist(), strict=False)])
    return chosen[torch.randperm(chosen.shape[0], generator=g)]


def _is_count(value: object) -> bool:
    """A whole number that is not a bool (True would silently mean 1 image)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_arguments(
    name: object, split: object, subset: object, val_size: object
) -> str:
    """Validate load_dataset's arguments before any file is read; return the dataset key."""
    if not isinstance(name, str):
        raise ValueError(
            f"dataset name must be a string, one of {sorted(DATASETS)}; got {name!r}"
        )
    key = name.lower().replace("_", "-")
    key = {
        "cifar-10": "cifar10",
        "fashionmnist": "fashion-mnist",
        "fmnist": "fashion-mnist",
    }.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {sorted(DATASETS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {list(SPLITS)}")
    if subset is not None and (not _is_count(subset) or subset <= 0):
        raise ValueError(
            f"subset must be a positive whole number of images (or None for the whole split); "
            f"got {subset!r}"
        )
    if not _is_count(val_size) or val_size < 0:
        raise ValueError(
            f"val_size must be a whole number of held-out training images >= 0 (0 = no "
            f"hold-out, 5000 = the paper's 45k/5k split); got {val_size!r}"
        )
    if split == "val" and val_size == 0:
        raise ValueError(
            "split='val' needs val_size > 0 (e.g. val_size=5000, the paper's 45k/5k split)"
        )
    return key


def load_dataset(
    name: str,
    split: str,
    *,
    root: str | Path | None = None,
    subset: int | None = None,
    val_size: int = 5000,
    seed: int = 0,
    download: bool = True,
) -> Dataset:
    """Load one split of "cifar10" or "fashion-mnist" as uint8 (N, C, H, W) images.

    "train" is the official training set minus a class-balanced hold-out of ``val_size`` images
    ("val"), chosen by ``seed`` (the paper tuned on a 45k/5k split, Sec. 4.2); ``val_size=0``
    keeps the whole training set. ``subset`` draws a class-balanced random subset of that many
    images from the split, for cheap runs.
    """
    key = _check_arguments(name, split, subset, val_size)
    info = DATASETS[key]
    d = locate(key, info.title, root, download)
    arrays = _decode(key, str(d), _stat_key(d))
    if split == "test":
        images, labels = arrays["test"]
    else:
        images, labels = arrays["train"]
        keep = _train_or_val(labels, split, val_size, seed, d)
        images, labels = images[keep], labels[keep]
    if subset is not None:
        if subset > len(labels):
            raise ValueError(
                f"subset={subset:,} is larger than the {split!r} split of {info.title} "
                f"({len(labels):,} images); pass subset=None for the whole split"
            )
        if subset < len(labels):
            idx = _balanced_subset(labels, subset, seed)
            images, labels = images[idx], labels[idx]
    return Dataset(
        images=images.contiguous(),
        labels=labels.contiguous(),
        classes=list(info.classes),
        mean=info.mean,
        std=info.std,
        name=key,
        split=split,
        source=str(d),
        pixel_mean=_pixel_mean(key, str(d), _stat_key(d)),
    )


def _train_or_val(
    labels: torch.Tensor, split: str, val_size: int, seed: int, d: Path
) -> torch.Tensor:
    """Indices into the official training set: the ``val_size`` held-out images ("val") or
    the rest ("train")."""
    if val_size >= len(labels):
        raise ValueError(
            f"val_size={val_size} would hold out all {len(labels)} training images of {d}; "
            "pass a smaller val_size (val_size=0 = no hold-out)"
        )
    held_out = (
        _val_indices(labels, val_size, seed)
        if val_size > 0
        else torch.zeros(0, dtype=torch.long)
    )
    if split == "val":
        return held_out
    mask = torch.ones(labels.shape[0], dtype=torch.bool)
    mask[held_out] = False
    return mask.nonzero().squeeze(1)


@functools.lru_cache(maxsize=4)
def _pixel_mean(name: str, directory: str, key: tuple) -> torch.Tensor:
    """Mean image (C, H, W) in [0, 1] over the full training set: the paper's 'per-pixel mean'."""
    images = _decode(name, directory, key)["train"][0]
    return images.float().mean(0).div_(255)
