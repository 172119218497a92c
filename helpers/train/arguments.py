"""What ``fit`` checks before it trains: every argument error, raised at once."""

from __future__ import annotations

from torch import nn

from helpers.data import Dataset
from helpers.train.config import TrainConfig

__all__ = ["check_fit_arguments"]


def check_fit_arguments(model, train, config, val, resume, on_nan) -> None:
    """Every argument error, raised before anything is trained."""
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan must be 'raise' or 'stop', got {on_nan!r}")
    if not isinstance(config, TrainConfig):
        raise TypeError(
            f"config must be a helpers.train.TrainConfig, got {type(config).__name__}"
        )
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, data in (("train", train), ("val", val)):
        if data is not None and not _is_data(data):
            raise TypeError(
                f"{name} must be a helpers.data.Dataset (uint8 images kept on the device and "
                f"augmented in batches) or an image folder, got {type(data).__name__}; load "
                "one with helpers.data.load_dataset(...), wrap uint8 tensors in "
                "helpers.data.Dataset(...) or list a folder with "
                "helpers.data.imagefolder.load_image_folder(...)"
            )
    if val is not None and (
        val.num_classes != train.num_classes or _shape(val) != _shape(train)
    ):
        raise ValueError(
            f"val ({val.name}) does not match train ({train.name}): other classes or image shape"
        )
    if len(train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the training set ({len(train)} images)"
        )
    if resume and config.checkpoint_path is None:
        raise ValueError(
            "resume=True needs config.checkpoint_path (the file to continue from)"
        )


def _is_data(data) -> bool:
    from helpers.data.imagefolder import ImageFolderData

    return isinstance(data, (Dataset, ImageFolderData))


def _shape(data) -> tuple[int, ...]:
    return tuple(
        data.images.shape[1:] if isinstance(data, Dataset) else data.input_shape
    )
