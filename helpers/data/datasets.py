"""Reading CIFAR-10 and Fashion-MNIST from their original on-disk formats.

The files are parsed with numpy (IDX for Fashion-MNIST, python pickles for CIFAR-10), decoded
arrays are cached in-process, and a split/subset is returned as a :class:`Dataset` of uint8
images. CIFAR-10 is the dataset of the ResNet paper's Section 4.2 (He et al., 2016);
Fashion-MNIST (Xiao et al., 2017) is the small stand-in the book uses on CPU.
"""

from __future__ import annotations

import functools
import gzip
import numbers
import os
import pickle
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "Dataset",
    "DatasetError",
    "DownloadError",
    "DATASETS",
    "load_dataset",
    "dataset_search_path",
]

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
SPLITS = ("train", "val", "test")


class DatasetError(RuntimeError):
    """The data files are missing or unreadable; the message says how to fix it."""


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
# File formats
# ---------------------------------------------------------------------------------------------

_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not), the format of (Fashion-)MNIST."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DatasetError(
            f"{path}: cannot read/decompress ({e}); delete it and fetch it again"
        ) from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError(
            f"{path}: not an IDX file (bad magic number); delete it and fetch it again"
        )
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_DTYPES or not 1 <= ndim <= 4:
        raise DatasetError(
            f"{path}: unsupported IDX header (type 0x{dtype_code:02x}, {ndim} dims)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path}: IDX file is truncated or has trailing bytes "
            f"(header says {dims} = {expected} values, found {len(raw) - header})"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="bytes")
    except (
        OSError,
        EOFError,
        pickle.UnpicklingError,
        ValueError,
        TypeError,
        AttributeError,
    ) as e:
        raise DatasetError(
            f"{path}: not a readable CIFAR-10 pickle ({e}); delete it and fetch it again"
        ) from e


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    d = _unpickle(path)
    if not isinstance(d, dict):
        raise DatasetError(
            f"{path}: expected a dict in the CIFAR-10 pickle, got {type(d).__name__}"
        )
    d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in d.items()}
    if "data" not in d or "labels" not in d:
        raise DatasetError(
            f"{path}: CIFAR-10 batch lacks 'data'/'labels' (keys: {sorted(d)})"
        )
    data = np.asarray(d["data"], dtype=np.uint8)
    labels = np.asarray(d["labels"], dtype=np.int64)
    if (
        data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
        or data.shape[0] != labels.shape[0]
    ):
        raise DatasetError(
            f"{path}: wrong sizes (data {data.shape}, labels {labels.shape}; "
            f"expected (N, 3072) and (N,))"
        )
    return data.reshape(-1, 3, 32, 32), labels


def _check_pair(
    name: str, images: np.ndarray, labels: np.ndarray, files: tuple[Path, Path]
) -> None:
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


# ---------------------------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------------------------

_FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_FMNIST_SUBDIRS = ("", "fashion-mnist", "FashionMNIST/raw", "fashion_mnist")
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def dataset_search_path(root: str | Path | None = None) -> list[Path]:
    """Directories searched for data, in order: root (alone, if given), $RESNET_BOOK_DATA,
    ``<cache>/data`` (see :func:`helpers.core.paths.cache_root`), Debian's dataset directory.
    Never the working directory: a notebook finds the same data wherever it runs."""
    from helpers.core.paths import data_dir

    if root is not None:
        return [Path(root).expanduser()]
    dirs: list[Path] = []
    if os.environ.get("RESNET_BOOK_DATA"):
        dirs.append(Path(os.environ["RESNET_BOOK_DATA"]).expanduser())
    dirs.append(data_dir())
    dirs.append(DEBIAN_FASHION_MNIST)
    return dirs


def _find_fmnist(base: Path) -> Path | None:
    for sub in _FMNIST_SUBDIRS:
        d = base / sub if sub else base
        if all(
            _idx_file(d, f) is not None for pair in _FMNIST_FILES.values() for f in pair
        ):
            return d
    return None


def _idx_file(d: Path, stem: str) -> Path | None:
    for candidate in (d / f"{stem}.gz", d / stem):
        if candidate.is_file():
            return candidate
    return None


def _find_cifar(base: Path) -> Path | None:
    for d in (base / "cifar-10-batches-py", base):
        if all((d / f).is_file() for f in _CIFAR_FILES):
            return d
    return None


# Where the original files are published, and their MD5 checksums (as torchvision checks them).
FMNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FMNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"


class DownloadError(DatasetError):
    """A download failed; the message names the URL, the error and how to place the files."""


def _fetch(url: str, target: Path, md5: str) -> None:
    """Download ``url`` to ``target``: into a temporary file next to it, check the MD5, then
    rename. A failure raises :class:`DownloadError` and leaves no partial file behind."""
    import hashlib
    import tempfile
    import urllib.request

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    tmp = Path(tmp_name)
    try:
        digest = hashlib.md5()
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=60) as response,
        ):
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DownloadError(
                f"{url}: checksum mismatch (MD5 {digest.hexdigest()}, expected {md5})"
            )
        os.replace(tmp, target)
    except DownloadError:
        raise
    except (
        OSError,
        ValueError,
    ) as e:  # URLError, HTTPError, timeouts and disk errors are OSErrors
        raise DownloadError(f"{url}: {type(e).__name__}: {e}") from e
    finally:
        tmp.unlink(missing_ok=True)


def _download(name: str, target: Path) -> Path:
    """Download ``name`` into ``target`` (a fresh subfolder appears only when complete)."""
    import shutil
    import tarfile
    import tempfile

    target.mkdir(parents=True, exist_ok=True)
    if name == "fashion-mnist":
        final = target / "fashion-mnist"
        staging = Path(tempfile.mkdtemp(prefix=".fashion-mnist.", dir=target))
        try:
            for filename, md5 in FMNIST_MD5.items():
                _fetch(FMNIST_URL + filename, staging / filename, md5)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return final
    archive = target / "cifar-10-python.tar.gz"
    staging = Path(tempfile.mkdtemp(prefix=".cifar-10.", dir=target))
    try:
        if not archive.exists():
            _fetch(CIFAR_URL, archive, CIFAR_MD5)
        try:
            with tarfile.open(archive) as tar:
                safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(staging, **safe)
        except (OSError, tarfile.TarError) as e:
            archive.unlink(missing_ok=True)
            raise DownloadError(
                f"{archive}: cannot unpack ({e}); deleted, run again"
            ) from e
        final = target / "cifar-10-batches-py"
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging / "cifar-10-batches-py", final)
        archive.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _manual_steps(name: str, target: Path) -> str:
    if name == "fashion-mnist":
        return (
            f"download the 4 files {', '.join(FMNIST_MD5)} from {FMNIST_URL} (or from "
            "https://github.com/zalandoresearch/fashion-mnist, folder data/fashion) into "
            f"{target / 'fashion-mnist'}/, or on Debian/Ubuntu "
            "`sudo apt-get install dataset-fashion-mnist`"
        )
    return (
        f"download {CIFAR_URL} and unpack it into {target}, so that "
        f"{target / 'cifar-10-batches-py' / 'data_batch_1'} exists"
    )


def _missing_message(name: str, dirs: list[Path], error: str | None = None) -> str:
    searched = ", ".join(str(d) for d in dirs)
    target = next(d for d in dirs if d != DEBIAN_FASHION_MNIST)
    why = f"the download failed ({error})" if error else "downloading is disabled"
    return (
        f"{DATASETS[name].title} not found (searched: {searched}) and {why}. To place the files "
        f"by hand, {_manual_steps(name, target)}; or set RESNET_BOOK_DATA to a directory that "
        "holds them."
    )


def locate(name: str, root: str | Path | None = None, download: bool = True) -> Path:
    """Return the directory holding ``name``'s files, downloading it if allowed and needed."""
    dirs = dataset_search_path(root)
    finder = _find_cifar if name == "cifar10" else _find_fmnist
    for d in dirs:
        found = finder(d)
        if found is not None:
            return found.resolve()
    if download and os.environ.get("RESNET_BOOK_NO_DOWNLOAD", "") in ("", "0"):
        target = next(d for d in dirs if d != DEBIAN_FASHION_MNIST)
        try:
            found = finder(_download(name, target))
        except DownloadError as e:
            raise DownloadError(_missing_message(name, dirs, str(e))) from e
        if found is not None:
            return found.resolve()
    raise DatasetError(_missing_message(name, dirs))


# ---------------------------------------------------------------------------------------------
# Decoding (cached) and splitting
# ---------------------------------------------------------------------------------------------


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
    d = Path(directory)
    out: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    if name == "fashion-mnist":
        for split, (img_stem, lbl_stem) in _FMNIST_FILES.items():
            files = (_idx_file(d, img_stem), _idx_file(d, lbl_stem))
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
        parts = [_cifar_batch(d / f"data_batch_{i}") for i in range(1, 6)]
        train = (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
        )
        test = _cifar_batch(d / "test_batch")
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
    d = locate(key, root, download)
    arrays = _decode(key, str(d), _stat_key(d))
    train_images, train_labels = arrays["train"]
    if split == "test":
        images, labels = arrays["test"]
        keep = None
    else:
        if val_size >= len(train_labels):
            raise ValueError(
                f"val_size={val_size} would hold out all {len(train_labels)} training images of {d}; "
                "pass a smaller val_size (val_size=0 = no hold-out)"
            )
        held_out = (
            _val_indices(train_labels, val_size, seed)
            if val_size > 0
            else torch.zeros(0, dtype=torch.long)
        )
        if split == "val":
            keep = held_out
        else:
            mask = torch.ones(train_labels.shape[0], dtype=torch.bool)
            mask[held_out] = False
            keep = mask.nonzero().squeeze(1)
        images, labels = train_images, train_labels
    if keep is not None:
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


@functools.lru_cache(maxsize=4)
def _pixel_mean(name: str, directory: str, key: tuple) -> torch.Tensor:
    """Mean image (C, H, W) in [0, 1] over the full training set: the paper's 'per-pixel mean'."""
    images = _decode(name, directory, key)["train"][0]
    return images.float().mean(0).div_(255)
