"""Image folders in the ImageNet layout, streamed: listing (class folders, ImageNet's devkit
ground truth, torchvision's meta.bin), the paper's and torchvision's augmentation, 10-crop
testing, shards and resumption of the streaming loader, the Imagenette download (from a
local archive the test writes, never the network), the ImageNet profiles and the
``python -m helpers.imagenet`` command line."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import imagenet as cli
from helpers.data import DatasetError, DownloadError
from helpers.data import download as dl
from helpers.data.imagefolder import IMAGENETTE_CLASSES, load_image_folder
from helpers.data.streaming import StreamingLoader
from helpers.data.transforms import Recipe, eval_transform, train_transform
from helpers.experiments.bench_dist import write_jpeg_folder
from helpers.experiments.imagenet import ImageNetJob, job_config
from helpers.experiments.imagenet_profiles import IMAGENET_PROFILES

torch.set_num_threads(1)
SMALL = Recipe(scale=(40, 56), crop=32, resize=40)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("jpegs")
    return write_jpeg_folder(
        root, classes=3, per_class=8, size=(48, 64), val_per_class=2
    )


def test_a_folder_lists_classes_from_train(folder: Path) -> None:
    train = load_image_folder(folder, "train", SMALL)
    val = load_image_folder(folder, "val", SMALL)
    assert train.classes == ["class00", "class01", "class02"] == val.classes
    assert len(train) == 24 and len(val) == 6 and train.name == folder.name
    assert train.labels.tolist() == [0] * 8 + [1] * 8 + [2] * 8
    assert train.input_shape == (3, 32, 32) and train.pixel_mean.shape == (3, 32, 32)
    with pytest.raises(DatasetError, match="ImageNet layout"):
        load_image_folder(folder / "train", "train")


def test_augmentations_and_ten_crops(folder: Path) -> None:
    image = torch.randint(0, 256, (3, 40, 60), dtype=torch.uint8)  # crops centred
    torch.manual_seed(0)
    for recipe in (
        SMALL,
        Recipe("rrc", (40, 56), 32, 40),
        Recipe("center", (40, 56), 32, 40),
    ):
        out = train_transform(recipe)(image)
        assert out.shape == (3, 32, 32) and out.dtype == torch.uint8
    ten = eval_transform(Recipe(scale=(40, 56), crop=32, resize=40, eval_crops=10))(
        image
    )
    assert ten.shape == (10, 3, 32, 32)
    assert torch.equal(ten[9], ten[4].flip(-1))  # the centre crop, mirrored
    with pytest.raises(ValueError, match="crop"):
        Recipe(scale=(200, 480), crop=224)


def test_two_shards_are_the_one_process_batches(folder: Path) -> None:
    data = load_image_folder(folder, "train", SMALL)
    one = list(StreamingLoader(data, 8, device="cpu", seed=1, workers=0))
    shards = [
        list(
            StreamingLoader(
                data, 8, device="cpu", seed=1, rank=r, world_size=2, workers=0
            )
        )
        for r in (0, 1)
    ]
    assert len(one) == 3 and all(x.shape[0] == 4 for x, _ in shards[0])
    for (x, y), (x0, y0), (x1, y1) in zip(one, *shards, strict=True):
        # DistributedSampler deals every other image of the global order to each rank
        assert torch.equal(x[0::2], x0) and torch.equal(x[1::2], x1)
        assert torch.equal(y[0::2], y0) and torch.equal(y[1::2], y1)


def test_a_resumed_epoch_replays_its_crops(folder: Path) -> None:
    data = load_image_folder(folder, "train", SMALL)
    loader = StreamingLoader(data, 8, device="cpu", seed=2, workers=1)
    first = list(loader.iter_epoch())
    second = list(loader.iter_epoch())
    assert not torch.equal(first[0][0], second[0][0])  # a new order and new crops
    again = StreamingLoader(data, 8, device="cpu", seed=2, workers=0)
    again.load_state_dict(loader.state_dict(restart_epoch=True))  # epoch 2, again
    tail = list(again.iter_epoch(start_batch=1))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(second[1:], tail, strict=True))


def test_ten_crop_evaluation_batches(folder: Path) -> None:
    recipe = Recipe(scale=(40, 56), crop=32, resize=40, eval_crops=10)
    val = load_image_folder(folder, "val", recipe)
    shards = [
        StreamingLoader(
            val, 4, train=False, device="cpu", rank=r, world_size=2, workers=0
        )
        for r in (0, 1)
    ]
    seen = [y for s in shards for _, y in s]
    assert sorted(torch.cat(seen).tolist()) == sorted(val.labels.tolist())
    x, y = next(iter(shards[0]))
    assert x.shape == (10 * y.shape[0], 3, 32, 32) and shards[0].crops == 10


def _flat_val(folder: Path, root: Path) -> list[str]:
    """ImageNet's layout: train/<wnid>/ and a flat val/ of ILSVRC2012_val_*.JPEG."""
    wnids = list(IMAGENETTE_CLASSES)[:3]
    for i, name in enumerate(("class00", "class01", "class02")):
        shutil.copytree(folder / "train" / name, root / "train" / wnids[i])
    (root / "val").mkdir()
    truth = [2, 0, 1, 2]
    source = sorted((folder / "val").rglob("*.JPEG"))
    for i in range(4):
        shutil.copy(source[i], root / "val" / f"ILSVRC2012_val_{i + 1:08d}.JPEG")
    return [wnids[t] for t in truth]


def _devkit(root: Path, val_wnids: list[str]) -> None:
    """data/meta.mat (synsets) and the ground truth, as the ILSVRC2012 devkit has them."""
    import scipy.io

    wnids = sorted(set(val_wnids) | set(list(IMAGENETTE_CLASSES)[:3]))
    fields = ["ILSVRC2012_ID", "WNID", "words", "gloss", "num_children"]
    rows = [(i + 1, w, w, "", 0) for i, w in enumerate(wnids)] + [
        (99, "n0", "x", "", 2)
    ]
    synsets = np.array(rows, dtype=[(f, "O") for f in fields])
    data = root / "ILSVRC2012_devkit_t12" / "data"
    data.mkdir(parents=True)
    scipy.io.savemat(data / "meta.mat", {"synsets": synsets})
    ids = {w: i + 1 for i, w in enumerate(wnids)}
    text = "\n".join(str(ids[w]) for w in val_wnids) + "\n"
    (data / "ILSVRC2012_validation_ground_truth.txt").write_text(text)


def test_imagenet_val_labelled_by_the_devkit_or_meta_bin(
    folder: Path, tmp_path
) -> None:
    truth = _flat_val(folder, tmp_path)
    with pytest.raises(DatasetError, match="devkit"):
        load_image_folder(tmp_path, "val")
    _devkit(tmp_path, truth)
    val = load_image_folder(tmp_path, "val")
    assert [val.folders[i] for i in val.labels] == truth
    assert val.classes[0] == "tench"  # Imagenette's WordNet ids get their names
    with tarfile.open(tmp_path / "ILSVRC2012_devkit_t12.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "ILSVRC2012_devkit_t12", "ILSVRC2012_devkit_t12")
    shutil.rmtree(tmp_path / "ILSVRC2012_devkit_t12")
    assert load_image_folder(tmp_path, "val").labels.tolist() == val.labels.tolist()
    (tmp_path / "ILSVRC2012_devkit_t12.tar.gz").unlink()
    torch.save(({}, list(reversed(truth))), tmp_path / "meta.bin")  # torchvision's
    flipped = load_image_folder(tmp_path, "val")
    assert [flipped.folders[i] for i in flipped.labels] == list(reversed(truth))


def _imagenette_archive(folder: Path, tmp: Path) -> tuple[str, str]:
    """imagenette2-160.tgz with the test's JPEGs: (file:// URL, MD5)."""
    staged = tmp / "staged" / "imagenette2-160"
    for split in ("train", "val"):
        for i, wnid in enumerate(list(IMAGENETTE_CLASSES)[:2]):
            shutil.copytree(folder / split / f"class{i:02d}", staged / split / wnid)
    archive = tmp / "served" / "imagenette2-160.tgz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staged, "imagenette2-160")
    return archive.as_uri(), hashlib.md5(archive.read_bytes()).hexdigest()


def test_imagenette_download_is_checked_and_atomic(
    folder, tmp_path, monkeypatch
) -> None:
    url, md5 = _imagenette_archive(folder, tmp_path)
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)
    monkeypatch.delenv("RESNET_BOOK_NO_DOWNLOAD", raising=False)
    monkeypatch.setitem(dl.IMAGENETTE, "160px", (url, "0" * 32))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        dl.locate_imagenette("160px")
    assert not any((tmp_path / "cache" / "data").iterdir())  # nothing half-written
    monkeypatch.setitem(dl.IMAGENETTE, "160px", (url, md5))
    root = dl.locate_imagenette("160px")
    assert root == (tmp_path / "cache" / "data" / "imagenette2-160").resolve()
    train = load_image_folder(root, "train")
    assert train.classes == ["tench", "English springer"]
    assert dl.locate_imagenette("160px", download=False) == root  # found, not fetched
    with pytest.raises(ValueError, match="sizes"):
        dl.locate_imagenette("64px")


def test_imagenet_profiles_are_the_papers() -> None:
    paper = IMAGENET_PROFILES["paper"]
    assert (paper.batch_size, paper.lr, paper.epochs, paper.milestones) == (
        256,
        0.1,
        90,
        (30, 60),
    )
    assert (paper.weight_decay, paper.momentum, paper.recipe.scale) == (
        1e-4,
        0.9,
        (256, 480),
    )
    assert paper.recipe.eval_crops == 10 and paper.normalize == "pixel"
    config = job_config(ImageNetJob(profile="paper"), train_images=1_281_167)
    assert config.milestones == (30 * 5004, 60 * 5004) and config.batch_size == 256
    large = job_config(ImageNetJob(profile="large-batch"), train_images=1_281_167)
    assert large.lr_scaling == "linear" and large.warmup_iters == 5 * 156


def test_imagenette_t4_profile_fits_a_colab_sitting() -> None:
    """Estimate from multiply-adds (helpers.experiments.budget's assumed 3 TFLOP/s on a
    T4) plus JPEG decoding at an assumed 300 images/s on Colab's 2 vCPUs."""
    from helpers.analysis.complexity import count_macs
    from helpers.experiments.budget import estimate_minutes
    from helpers.models import create_model

    p = IMAGENET_PROFILES["imagenette-t4"]
    macs = count_macs(
        create_model(p.arch, num_classes=10), (1, 3, p.recipe.crop, p.recipe.crop)
    )
    train, val = 9469, 3925  # Imagenette v2
    compute = estimate_minutes([(macs, 1)], train, val, p.epochs)
    decode = p.epochs * (train + val) / 300 / 60
    assert compute + decode + 1.0 <= 7, (compute, decode)  # + download and unpacking


def test_the_command_line_trains_resumes_and_refuses(folder, tmp_path, capsys) -> None:
    args = ["--data", str(folder), "--arch", "resnet18", "--epochs", "1"]
    args += ["--batch-size", "8", "--crop", "32", "--device", "cpu", "--workers", "0"]
    args += ["--out", str(tmp_path), "--eval-crops", "1"]
    assert cli.main(args) == 0
    run = tmp_path / "resnet18-paper"
    history = json.loads((run / "history.json").read_text())
    assert len(history["epochs"]) == 1 and (run / "model.pt").exists()
    assert history["meta"]["world_size"] == 1
    assert cli.main(args) == 0  # finished: resumed from the checkpoint, nothing to do
    capsys.readouterr()
    for bad, text in (
        (["--batch-size", "0"], "--batch-size"),
        (["--profile", "huge"], "--profile"),
        (["--data", str(tmp_path / "nothing")], "no train"),
        (["--arch", "resnet20"], "--arch"),
    ):
        with pytest.raises(SystemExit) as stop:
            cli.main([*args, *bad])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert text in err and len(err.strip().splitlines()) == 1


def test_the_imagenette_profile_downloads_and_trains(folder, tmp_path, monkeypatch):
    """What the Colab edition of chapter 5 runs, on the CPU and with 32-pixel crops:
    ``--profile imagenette-t4`` without ``--data`` fetches Imagenette (here from a local
    archive) and trains ResNet-18 on it."""
    url, md5 = _imagenette_archive(folder, tmp_path)
    monkeypatch.setitem(dl.IMAGENETTE, "160px", (url, md5))
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path / "data"))
    args = ["--profile", "imagenette-t4", "--epochs", "1", "--batch-size", "8"]
    args += [
        "--crop",
        "32",
        "--device",
        "cpu",
        "--workers",
        "0",
        "--out",
        str(tmp_path),
    ]
    assert cli.main(args) == 0
    history = json.loads(
        (tmp_path / "resnet18-imagenette-t4" / "history.json").read_text()
    )
    assert history["meta"]["classes"] == ["tench", "English springer"]
    assert (tmp_path / "data" / "imagenette2-160" / "train").is_dir()
