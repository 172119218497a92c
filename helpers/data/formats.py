"""The original on-disk formats of the book's datasets, read with numpy.

Fashion-MNIST (Xiao et al., 2017) ships as IDX files (gzip-compressed or not), the format of
MNIST; CIFAR-10 (Krizhevsky, 2009), the dataset of the ResNet paper's Section 4.2, as python
pickles (``cifar-10-python.tar.gz``). This module knows the file names, finds them in a folder
and decodes them; :mod:`helpers.data.download` fetches them, :mod:`helpers.data.datasets`
turns them into splits.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetError",
    "read_idx",
    "cifar_batch",
    "idx_file",
    "find_fmnist",
    "find_cifar",
    "FMNIST_FILES",
    "CIFAR_FILES",
]


class DatasetError(RuntimeError):
    """The data files are missing or unreadable; the message says how to fix it."""


# (images, labels) file stems per split; each may be gzip-compressed (".gz") or not.
FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# Where the files sit below a data folder: torchvision, Debian and the Zalando repository differ.
FMNIST_SUBDIRS = ("", "fashion-mnist", "FashionMNIST/raw", "fashion_mnist")
CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

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


def cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch file: uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
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


def idx_file(d: Path, stem: str) -> Path | None:
    """``d/<stem>.gz`` or ``d/<stem>``, whichever exists (the compressed one first)."""
    for candidate in (d / f"{stem}.gz", d / stem):
        if candidate.is_file():
            return candidate
    return None


def find_fmnist(base: Path) -> Path | None:
    """The folder at or below ``base`` that holds all four Fashion-MNIST files, if any."""
    for sub in FMNIST_SUBDIRS:
        d = base / sub if sub else base
        if all(
            idx_file(d, f) is not None for pair in FMNIST_FILES.values() for f in pair
        ):
            return d
    return None


def find_cifar(base: Path) -> Path | None:
    """The folder at or below ``base`` that holds all six CIFAR-10 batch files, if any."""
    for d in (base / "cifar-10-batches-py", base):
        if all((d / f).is_file() for f in CIFAR_FILES):
            return d
    return None
