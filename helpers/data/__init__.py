"""Datasets (CIFAR-10, Fashion-MNIST) as uint8 tensors, and an on-device augmenting loader."""

from helpers.data.datasets import (
    DATASETS,
    Dataset,
    DatasetError,
    DownloadError,
    load_dataset,
    read_idx,
)
from helpers.data.loader import (
    DeviceLoader,
    Normalization,
    augment_batch,
    normalization_of,
    set_normalization,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DeviceLoader",
    "DownloadError",
    "Normalization",
    "augment_batch",
    "load_dataset",
    "normalization_of",
    "read_idx",
    "set_normalization",
]
