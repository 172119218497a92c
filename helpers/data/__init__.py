"""Datasets (CIFAR-10, Fashion-MNIST) as uint8 tensors, and an on-device augmenting loader."""

from .datasets import DATASETS, Dataset, DatasetError, load_dataset, read_idx
from .loader import DeviceLoader, augment_batch

__all__ = ["DATASETS", "Dataset", "DatasetError", "DeviceLoader", "augment_batch", "load_dataset", "read_idx"]
