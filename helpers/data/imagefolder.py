"""Image folders in the ImageNet layout, listed but not loaded: ImageNet, Imagenette, or
any folder of a reader's own classes.

    <root>/train/<class>/*.JPEG   one folder per class: a WordNet id (n01440764) or any name
    <root>/val/<class>/*.JPEG     the same classes; or the 50,000 files of ImageNet's val/
                                  directly, labelled by the devkit (ILSVRC2012_devkit_t12,
                                  unpacked or .tar.gz, read as torchvision reads it) or by
                                  torchvision's meta.bin, next to train/ and val/

The training split defines the classes (sorted folder names, torchvision's
``ImageFolder`` convention), so the labels of val/ index the same list. Images are decoded
only when a batch needs them (:mod:`helpers.data.streaming`).
"""

from __future__ import annotations

import functools
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from helpers.data.formats import DatasetError
from helpers.data.transforms import Recipe, eval_transform, read_image

__all__ = [
    "ImageFolderData",
    "load_image_folder",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "IMAGENETTE_CLASSES",
]

SUFFIXES = (".jpeg", ".jpg", ".png", ".webp")
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # per channel, pixels in [0, 1] (torchvision)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEVKIT = "ILSVRC2012_devkit_t12"
PIXEL_MEAN_IMAGES = 500  # training images the per-pixel mean is estimated from
# Imagenette (fast.ai): 10 easy ImageNet classes; folder names are their WordNet ids.
IMAGENETTE_CLASSES = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888605": "parachute",
}


@dataclass
class ImageFolderData:
    """One split of an image folder: file paths and labels, decoded batch by batch.

    Has what the training loop asks of a dataset (``len``, ``classes``, ``name``,
    ``mean``/``std``, ``pixel_mean``), plus the :class:`Recipe` its images follow."""

    files: list[Path]
    labels: torch.Tensor  # int64 (N,)
    classes: list[str]  # display names, in label order
    folders: list[str]  # class folder names (WordNet ids), in label order
    name: str  # "imagenet", "imagenette" or the folder's name
    split: str
    source: str
    recipe: Recipe = field(default_factory=Recipe)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD

    def __len__(self) -> int:
        return len(self.files)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return 3

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (3, self.recipe.crop, self.recipe.crop)

    @functools.cached_property
    def pixel_mean(self) -> torch.Tensor:
        """Mean image (3, crop, crop) in [0, 1] of up to 500 evenly spaced training
        images' centre crops: the paper's "per-pixel mean" (Krizhevsky et al. 2012 took it
        over all 256x256 images; a sample gives it to about 1 % of the pixel range)."""
        step = max(1, len(self.files) // PIXEL_MEAN_IMAGES)
        crop = eval_transform(Recipe(crop=self.recipe.crop, resize=self.recipe.resize))
        total = torch.zeros(self.input_shape, dtype=torch.float64)
        picked = self.files[::step][:PIXEL_MEAN_IMAGES]
        for path in picked:
            total += crop(read_image(path)).double()
        return (total / (255.0 * len(picked))).float()


def _images(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
    )


def _class_folders(split_dir: Path) -> list[Path]:
    return sorted(p for p in split_dir.iterdir() if p.is_dir())


def load_image_folder(
    root: str | Path, split: str = "train", recipe: Recipe | None = None
) -> ImageFolderData:
    """List ``root/split`` (see the module docstring); ``recipe``: how its images become
    tensors (default: the paper's). Raises :class:`DatasetError` naming what is missing."""
    root = Path(root).expanduser()
    train_dir, split_dir = root / "train", root / split
    if not train_dir.is_dir() or not split_dir.is_dir():
        raise DatasetError(
            f"{root} is not an image folder in the ImageNet layout: expected "
            f"{train_dir}/<class>/*.JPEG and {split_dir}/ (one folder per class)"
        )
    folders = [p.name for p in _class_folders(train_dir)]
    if not folders:
        raise DatasetError(f"{train_dir} has no class folders (<class>/*.JPEG)")
    index = {name: i for i, name in enumerate(folders)}
    if _class_folders(split_dir):
        files, labels = _labelled_by_folder(split_dir, index)
    else:
        files, labels = _labelled_by_devkit(root, split_dir, index)
    if not files:
        raise DatasetError(f"{split_dir} holds no images ({', '.join(SUFFIXES)})")
    imagenette = set(folders) == set(IMAGENETTE_CLASSES)
    return ImageFolderData(
        files=files,
        labels=torch.tensor(labels, dtype=torch.long),
        classes=[IMAGENETTE_CLASSES.get(f, f) for f in folders],
        folders=folders,
        name="imagenette"
        if imagenette
        else "imagenet"
        if len(folders) == 1000
        else root.name,
        split=split,
        source=str(root),
        recipe=recipe or Recipe(),
    )


def _labelled_by_folder(
    split_dir: Path, index: dict[str, int]
) -> tuple[list[Path], list[int]]:
    files, labels = [], []
    for folder in _class_folders(split_dir):
        if folder.name not in index:
            raise DatasetError(
                f"{folder} is a class that train/ does not have; the training split "
                "defines the classes"
            )
        images = _images(folder)
        files += images
        labels += [index[folder.name]] * len(images)
    return files, labels


def _labelled_by_devkit(
    root: Path, split_dir: Path, index: dict[str, int]
) -> tuple[list[Path], list[int]]:
    """ImageNet's flat val/: file i (sorted) has the class of line i of the devkit's
    ground truth (ILSVRC2012 ids, mapped to WordNet ids by its meta.mat)."""
    files = _images(split_dir)
    wnids = _val_wnids(root)
    if len(wnids) != len(files):
        raise DatasetError(
            f"{split_dir} holds {len(files)} images but the ground truth lists "
            f"{len(wnids)}; is val/ complete?"
        )
    unknown = sorted(set(wnids) - set(index))[:3]
    if unknown:
        raise DatasetError(f"the ground truth names classes train/ lacks: {unknown}")
    return files, [index[w] for w in wnids]


def _val_wnids(root: Path) -> list[str]:
    if (root / "meta.bin").is_file():  # written by torchvision.datasets.ImageNet
        _, wnids = torch.load(root / "meta.bin", weights_only=True)
        return list(wnids)
    if (root / DEVKIT).is_dir():
        return _parse_devkit(root / DEVKIT)
    archive = root / f"{DEVKIT}.tar.gz"
    if archive.is_file():
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(tmp, **safe)
            return _parse_devkit(Path(tmp) / DEVKIT)
    raise DatasetError(
        f"{root / 'val'} has no class folders, and neither {root / DEVKIT}(.tar.gz) nor "
        f"{root / 'meta.bin'} labels its images; put the devkit next to val/ or sort "
        "val/ into class folders"
    )


def _parse_devkit(devkit: Path) -> list[str]:
    """WordNet id of every validation image, from data/meta.mat and
    data/ILSVRC2012_validation_ground_truth.txt (torchvision's parse_devkit_archive)."""
    import scipy.io

    meta = scipy.io.loadmat(devkit / "data" / "meta.mat", squeeze_me=True)["synsets"]
    leaves = [row for row in meta if int(row[4]) == 0]  # num_children == 0: a class
    id_to_wnid = {int(row[0]): str(row[1]) for row in leaves}
    truth = devkit / "data" / "ILSVRC2012_validation_ground_truth.txt"
    return [id_to_wnid[int(line)] for line in truth.read_text().split()]
