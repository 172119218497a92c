"""Finding a dataset's files, and downloading them when they are missing.

The search path (:func:`dataset_search_path`) never includes the working directory, so a
notebook finds the same data wherever it runs. A download goes into the first folder of that
path that is not Debian's: each file is checked against its published MD5 before it is kept,
and a dataset's folder appears only when it is complete (:mod:`helpers.core.atomic`), so an
interrupted download leaves nothing half-written. When a download fails or is disabled, the
error names the URL, the error and the steps to place the files by hand. Under torchrun only
rank 0 downloads; the other processes wait at a barrier, then find the files
(:func:`helpers.core.dist.main_first`).

Imagenette (fast.ai's 10 easy ImageNet classes, in the ImageNet folder layout) comes as a
tar archive in three sizes; :func:`locate_imagenette` finds or downloads one.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from helpers.core import dist
from helpers.core.atomic import atomic_path
from helpers.data.formats import DatasetError, find_cifar, find_fmnist

__all__ = [
    "DownloadError",
    "DEBIAN_FASHION_MNIST",
    "dataset_search_path",
    "locate",
    "fetch",
    "download_dataset",
    "locate_imagenette",
    "IMAGENETTE",
]

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

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
# Imagenette v2 (https://github.com/fastai/imagenette): size -> (archive URL, MD5), the
# checksums torchvision.datasets.Imagenette checks; "160px"/"320px": shorter side resized.
_FASTAI = "https://s3.amazonaws.com/fast-ai-imageclas/"
IMAGENETTE = {
    "160px": (_FASTAI + "imagenette2-160.tgz", "e793b78cc4c9e9a4ccc0c1155377a412"),
    "320px": (_FASTAI + "imagenette2-320.tgz", "3df6f0d01a2c9592104656642f5e78a3"),
    "full": (_FASTAI + "imagenette2.tgz", "fe2fc210e6bb7c5664d602c3cd71e612"),
}


class DownloadError(DatasetError):
    """A download failed; the message names the URL, the error and how to place the files."""


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


def locate(
    name: str, title: str, root: str | Path | None = None, download: bool = True
) -> Path:
    """The directory holding dataset ``name``'s files (``title`` names it in errors),
    downloaded into the cache if allowed and needed (under torchrun: by rank 0)."""
    with dist.main_first():
        return _locate(name, title, root, download)


def _locate(name: str, title: str, root: str | Path | None, download: bool) -> Path:
    dirs = dataset_search_path(root)
    finder = find_cifar if name == "cifar10" else find_fmnist
    for d in dirs:
        found = finder(d)
        if found is not None:
            return found.resolve()
    if download and os.environ.get("RESNET_BOOK_NO_DOWNLOAD", "") in ("", "0"):
        target = _download_target(dirs)
        try:
            found = finder(download_dataset(name, target))
        except DownloadError as e:
            raise DownloadError(_missing_message(name, title, dirs, str(e))) from e
        if found is not None:
            return found.resolve()
    raise DatasetError(_missing_message(name, title, dirs))


def locate_imagenette(
    size: str = "160px", root: str | Path | None = None, download: bool = True
) -> Path:
    """The ``imagenette2[-160|-320]`` folder (train/ and val/ inside): found on the
    search path or downloaded (MD5-checked, unpacked atomically; under torchrun by rank
    0 while the others wait)."""
    if size not in IMAGENETTE:
        raise ValueError(f"Imagenette comes in sizes {list(IMAGENETTE)}; got {size!r}")
    url, md5 = IMAGENETTE[size]
    folder = Path(url).name.removesuffix(".tgz")
    with dist.main_first():
        dirs = dataset_search_path(root)
        for d in dirs:
            if (d / folder / "train").is_dir() and (d / folder / "val").is_dir():
                return (d / folder).resolve()
        if not download or os.environ.get("RESNET_BOOK_NO_DOWNLOAD", "") not in (
            "",
            "0",
        ):
            raise DatasetError(_imagenette_missing(url, folder, dirs))
        try:
            return _download_imagenette(url, md5, folder, _download_target(dirs))
        except DownloadError as e:
            raise DownloadError(_imagenette_missing(url, folder, dirs, str(e))) from e


def _download_imagenette(url: str, md5: str, folder: str, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    archive = target / Path(url).name
    if not archive.exists():
        fetch(url, archive, md5)
    final = target / folder
    with (
        atomic_path(final) as staging,
        tempfile.TemporaryDirectory(prefix=".imagenette.", dir=target) as unpacked,
    ):
        _unpack(archive, Path(unpacked))
        os.replace(Path(unpacked) / folder, staging)  # the archive holds one folder
    archive.unlink()
    return final.resolve()


def _imagenette_missing(
    url: str, folder: str, dirs: list[Path], error: str | None = None
) -> str:
    why = f"the download failed ({error})" if error else "downloading is disabled"
    target = _download_target(dirs)
    return (
        f"Imagenette ({folder}) not found (searched: {', '.join(map(str, dirs))}) and "
        f"{why}. Download {url} and unpack it into {target}, so that "
        f"{target / folder / 'train'} exists; or set RESNET_BOOK_DATA to the folder "
        "that holds it."
    )


def _download_target(dirs: list[Path]) -> Path:
    """Where a download goes: the first searched folder that is not Debian's (read-only)."""
    return next(d for d in dirs if d != DEBIAN_FASHION_MNIST)


def fetch(url: str, target: Path, checksum: str | None, algorithm: str = "md5") -> None:
    """Download ``url`` to ``target``: into a temporary file next to it, check its digest
    (``algorithm``, e.g. "md5" or "sha256"; None: no check), then rename. A failure raises
    :class:`DownloadError` and leaves no partial file behind."""
    try:
        with (
            atomic_path(target) as tmp,
            urllib.request.urlopen(url, timeout=60) as response,
        ):
            digest = hashlib.new(algorithm)
            with open(tmp, "wb") as out:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
            if checksum is not None and digest.hexdigest() != checksum:
                raise DownloadError(
                    f"{url}: checksum mismatch ({algorithm.upper()} "
                    f"{digest.hexdigest()}, expected {checksum})"
                )
    except DownloadError:
        raise
    except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts, disk errors
        raise DownloadError(f"{url}: {type(e).__name__}: {e}") from e


def download_dataset(name: str, target: Path) -> Path:
    """Download dataset ``name`` into ``target``; returns the dataset's new folder there,
    which appears only when complete."""
    target.mkdir(parents=True, exist_ok=True)
    if name == "fashion-mnist":
        final = target / "fashion-mnist"
        with atomic_path(final) as staging:
            staging.mkdir()
            for filename, md5 in FMNIST_MD5.items():
                fetch(FMNIST_URL + filename, staging / filename, md5)
        return final
    archive = target / "cifar-10-python.tar.gz"
    if not archive.exists():
        fetch(CIFAR_URL, archive, CIFAR_MD5)
    final = target / "cifar-10-batches-py"
    with (
        atomic_path(final) as staging,
        tempfile.TemporaryDirectory(prefix=".cifar-10.", dir=target) as unpacked,
    ):
        _unpack(archive, Path(unpacked))
        # the archive holds one folder, cifar-10-batches-py: it becomes the new folder
        os.replace(Path(unpacked) / "cifar-10-batches-py", staging)
    archive.unlink()
    return final


def _unpack(archive: Path, into: Path) -> None:
    """Extract ``archive`` into ``into``; a damaged archive is deleted, so a rerun fetches it
    again."""
    try:
        with tarfile.open(archive) as tar:
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(into, **safe)
    except (OSError, tarfile.TarError) as e:
        archive.unlink(missing_ok=True)
        raise DownloadError(
            f"{archive}: cannot unpack ({e}); deleted, run again"
        ) from e


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


def _missing_message(
    name: str, title: str, dirs: list[Path], error: str | None = None
) -> str:
    searched = ", ".join(str(d) for d in dirs)
    why = f"the download failed ({error})" if error else "downloading is disabled"
    return (
        f"{title} not found (searched: {searched}) and {why}. To place the files "
        f"by hand, {_manual_steps(name, _download_target(dirs))}; or set RESNET_BOOK_DATA "
        "to a directory that holds them."
    )
