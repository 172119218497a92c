"""helpers.data: real parsing of original-format files, splits, subsets, the device loader."""

from __future__ import annotations

import gzip
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_fake_fmnist, write_idx

from helpers.data import DatasetError, DeviceLoader, augment_batch, load_dataset
from helpers.data.download import DEBIAN_FASHION_MNIST

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- loading files
def test_fmnist_from_idx_files(fake_fmnist: Path) -> None:
    ds = load_dataset("fashion-mnist", "test", root=fake_fmnist)
    raw = gzip.open(fake_fmnist / "t10k-images-idx3-ubyte.gz").read()[16:]
    assert ds.images.shape == (200, 1, 28, 28) and ds.images.dtype == torch.uint8
    assert ds.labels.dtype == torch.int64
    assert torch.equal(
        ds.images.flatten(), torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    )
    assert ds.classes[0] == "T-shirt/top" and len(ds.classes) == 10
    assert ds.source == str(fake_fmnist.resolve()) and ds.mean == (0.2860,)


def test_fmnist_uncompressed_and_subdir(tmp_path: Path) -> None:
    d = tmp_path / "data" / "FashionMNIST" / "raw"  # torchvision's layout
    make_fake_fmnist(d)
    for f in d.glob("*.gz"):
        f.with_suffix("").write_bytes(gzip.open(f).read())
        f.unlink()
    ds = load_dataset("fashion-mnist", "train", root=tmp_path / "data", val_size=0)
    assert len(ds) == 600


def test_cifar_from_pickles(fake_cifar: Path) -> None:
    train = load_dataset("cifar10", "train", root=fake_cifar, val_size=0)
    test = load_dataset("cifar10", "test", root=fake_cifar)
    assert train.images.shape == (500, 3, 32, 32) and test.images.shape == (
        100,
        3,
        32,
        32,
    )
    with open(fake_cifar / "cifar-10-batches-py" / "data_batch_2", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    # image 0 of batch 2 is image 100 of the training set, channel-major as in the pickle
    assert torch.equal(train.images[100].flatten(), torch.from_numpy(batch[b"data"][0]))
    assert train.labels[100] == batch[b"labels"][0]
    assert train.classes[3] == "cat" and len(train.mean) == 3


def test_env_var_root(fake_fmnist: Path, monkeypatch) -> None:
    monkeypatch.setenv("RESNET_BOOK_DATA", str(fake_fmnist))
    assert load_dataset("fashion-mnist", "test").source == str(fake_fmnist.resolve())


def test_missing_data_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", "train", root=tmp_path, download=False)
    with pytest.raises(DatasetError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10", "train", root=tmp_path, download=False)


def test_unknown_names() -> None:
    with pytest.raises(ValueError, match="valid"):
        load_dataset("mnist", "train")
    with pytest.raises(ValueError, match="valid"):
        load_dataset("fashion-mnist", "training")


@pytest.mark.parametrize(
    "damage", ["bad_gzip", "bad_magic", "truncated", "count_mismatch"]
)
def test_corrupt_idx_names_the_file(fake_fmnist: Path, damage: str) -> None:
    target = fake_fmnist / "t10k-images-idx3-ubyte.gz"
    if damage == "bad_gzip":
        target.write_bytes(b"this is not gzip")
    elif damage == "bad_magic":
        write_idx(target, np.zeros((200, 28, 28), np.uint8))
        raw = bytearray(gzip.open(target).read())
        raw[0] = 7
        target.write_bytes(gzip.compress(bytes(raw)))
    elif damage == "truncated":
        raw = gzip.open(target).read()
        target.write_bytes(gzip.compress(raw[:-100]))
    else:
        write_idx(fake_fmnist / "t10k-labels-idx1-ubyte.gz", np.zeros(150, np.uint8))
    with pytest.raises(DatasetError, match="t10k-(images|labels)"):
        load_dataset("fashion-mnist", "test", root=fake_fmnist, download=False)


@pytest.mark.parametrize("damage", ["not_pickle", "wrong_size"])
def test_corrupt_cifar_names_the_file(fake_cifar: Path, damage: str) -> None:
    target = fake_cifar / "cifar-10-batches-py" / "data_batch_3"
    if damage == "not_pickle":
        target.write_bytes(b"\x00garbage")
    else:
        with open(target, "wb") as f:
            pickle.dump(
                {b"data": np.zeros((10, 100), np.uint8), b"labels": [0] * 10}, f
            )
    with pytest.raises(DatasetError, match="data_batch_3"):
        load_dataset("cifar10", "train", root=fake_cifar, download=False)


def test_cache_makes_repeat_calls_fast(fake_fmnist: Path) -> None:
    load_dataset("fashion-mnist", "train", root=fake_fmnist, val_size=100)
    t = time.perf_counter()
    for _ in range(5):
        load_dataset("fashion-mnist", "train", root=fake_fmnist, val_size=100)
    assert time.perf_counter() - t < 0.5


# ----------------------------------------------------------------------------- splits/subsets
def test_val_split_disjoint_and_fixed_by_seed(fake_fmnist: Path) -> None:
    def key(ds):  # identify images by content
        return {bytes(im.numpy().tobytes()) for im in ds.images}

    train = load_dataset(
        "fashion-mnist", "train", root=fake_fmnist, val_size=100, seed=0
    )
    val = load_dataset("fashion-mnist", "val", root=fake_fmnist, val_size=100, seed=0)
    val_again = load_dataset(
        "fashion-mnist", "val", root=fake_fmnist, val_size=100, seed=0
    )
    val_other = load_dataset(
        "fashion-mnist", "val", root=fake_fmnist, val_size=100, seed=1
    )
    assert len(train) == 500 and len(val) == 100
    assert not key(train) & key(val)
    assert key(train) | key(val) == key(
        load_dataset("fashion-mnist", "train", root=fake_fmnist, val_size=0)
    )
    assert torch.equal(val.images, val_again.images)
    assert key(val) != key(val_other)
    assert torch.bincount(val.labels, minlength=10).tolist() == [10] * 10


def test_subset_is_class_balanced(fake_fmnist: Path) -> None:
    ds = load_dataset(
        "fashion-mnist", "train", root=fake_fmnist, subset=205, val_size=100
    )
    counts = torch.bincount(ds.labels, minlength=10)
    assert len(ds) == 205 and counts.max() - counts.min() <= 1
    assert (
        len(
            load_dataset(
                "fashion-mnist", "train", root=fake_fmnist, subset=500, val_size=100
            )
        )
        == 500
    )
    with pytest.raises(ValueError, match="subset"):
        load_dataset("fashion-mnist", "train", root=fake_fmnist, subset=0, val_size=100)
    with pytest.raises(ValueError, match="val_size"):
        load_dataset("fashion-mnist", "train", root=fake_fmnist)  # 5000 > 600 images


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name=None), "dataset name must be a string"),
        (dict(subset=501), r"subset=501 is larger than the 'train' split .*500 images"),
        (dict(subset=2.5), "subset must be a positive whole number"),
        (dict(subset=True), "subset must be a positive whole number"),
        (
            dict(val_size=-100),
            "val_size must be a whole number of held-out training images >= 0",
        ),
        (dict(val_size=0.1), "val_size must be a whole number"),
    ],
)
def test_bad_arguments_name_the_fix(
    fake_fmnist: Path, kwargs: dict, match: str
) -> None:
    """Issue 12, defect 6: each used to load silently (or fail deep inside) instead."""
    args = (
        dict(name="fashion-mnist", split="train", root=fake_fmnist, val_size=100)
        | kwargs
    )
    with pytest.raises(ValueError, match=match):
        load_dataset(args.pop("name"), args.pop("split"), **args)


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.exists(),
    reason="Debian dataset-fashion-mnist not installed",
)
def test_real_debian_fashion_mnist() -> None:
    train = load_dataset(
        "fashion-mnist", "train", root=DEBIAN_FASHION_MNIST, val_size=0
    )
    test = load_dataset("fashion-mnist", "test", root=DEBIAN_FASHION_MNIST)
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (
        10000,
        1,
        28,
        28,
    )
    assert torch.bincount(test.labels).tolist() == [1000] * 10
    assert abs(train.images.float().mean().item() / 255 - train.mean[0]) < 0.01


# ----------------------------------------------------------------------------- augmentation
def test_crop_is_shifted_window_of_padded_image() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8, generator=g)
    dy = torch.tensor([0, 8, 4, 2, 0, 5])
    dx = torch.tensor([0, 8, 4, 7, 3, 1])
    flip = torch.tensor([False, False, False, True, True, False])
    out = augment_batch(x, dy, dx, flip, pad=4)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for b in range(6):
        window = padded[b, :, dy[b] : dy[b] + 8, dx[b] : dx[b] + 8]
        expected = window.flip(-1) if flip[b] else window
        assert torch.equal(out[b], expected)
    assert torch.equal(out[2], x[2])  # offset 4 = the original image
    assert (out[1, :, 4:, :] == 0).all() and (
        out[1, :, :, 4:] == 0
    ).all()  # bottom-right crop: padding
    assert (out[0, :, :4, :] == 0).all() and torch.equal(
        out[0, :, 4:, 4:], x[0, :, :4, :4]
    )  # top-left


def _tiny(n=256, c=1, h=12):
    from helpers.data import Dataset

    g = torch.Generator().manual_seed(1)
    return Dataset(
        torch.randint(0, 256, (n, c, h, h), dtype=torch.uint8, generator=g),
        torch.arange(n) % 10,
        [str(i) for i in range(10)],
        (0.5,) * c,
        (0.25,) * c,
        "tiny",
        "train",
        "memory",
    )


def test_loader_deterministic_and_shuffles() -> None:
    ds = _tiny()
    a = [(x.clone(), y.clone()) for x, y in DeviceLoader(ds, 64, seed=3, device="cpu")]
    b = [(x.clone(), y.clone()) for x, y in DeviceLoader(ds, 64, seed=3, device="cpu")]
    c = [(x.clone(), y.clone()) for x, y in DeviceLoader(ds, 64, seed=4, device="cpu")]
    assert all(
        torch.equal(p[0], q[0]) and torch.equal(p[1], q[1])
        for p, q in zip(a, b, strict=False)
    )
    assert not torch.equal(a[0][0], c[0][0])
    loader = DeviceLoader(ds, 64, seed=3, device="cpu")
    e1 = torch.cat([y for _, y in loader])
    e2 = torch.cat([y for _, y in loader])
    assert not torch.equal(e1, e2)  # a new order every epoch
    assert sorted(e1.tolist()) == sorted(ds.labels.tolist())


def test_loader_resume_replays_epoch() -> None:
    ds = _tiny()
    loader = DeviceLoader(ds, 32, seed=5, device="cpu")
    list(loader)  # epoch 1
    it = loader.iter_epoch()
    first = [x.clone() for x, _ in it]
    state = loader.state_dict(restart_epoch=True)
    other = DeviceLoader(ds, 32, seed=99, device="cpu")
    other.load_state_dict(state)
    replay = [x for x, _ in other.iter_epoch(start_batch=3)]
    assert (
        all(torch.equal(p, q) for p, q in zip(first[3:], replay, strict=False))
        and len(replay) == len(first) - 3
    )


def test_eval_loader_is_ordered_and_unaugmented() -> None:
    ds = _tiny(n=100)
    xs = torch.cat([x for x, _ in DeviceLoader(ds, 32, train=False, device="cpu")])
    assert xs.shape[0] == 100  # no drop_last in eval
    expected = (ds.images.float() / 255 - 0.5) / 0.25
    assert torch.allclose(xs, expected, atol=1e-5)


def test_normalizations() -> None:
    ds = _tiny(n=512, c=3)
    x = next(iter(DeviceLoader(ds, 512, train=False, device="cpu", normalize="pixel")))[
        0
    ]
    assert torch.allclose(
        x.mean(0), torch.zeros(3, 12, 12), atol=1e-5
    )  # per-pixel mean removed
    x = next(iter(DeviceLoader(ds, 512, train=False, device="cpu", normalize="none")))[
        0
    ]
    assert x.min() >= 0 and x.max() <= 1
    x = next(iter(DeviceLoader(ds, 64, device="cpu", channels_last=True)))[0]
    assert x.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ValueError, match="channel"):
        DeviceLoader(ds, 64, normalize="global")


def test_augmentation_is_batched_fast() -> None:
    g = torch.Generator().manual_seed(0)
    n = 10_000
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    dy = torch.randint(0, 9, (n,), generator=g)
    dx = torch.randint(0, 9, (n,), generator=g)
    flip = torch.rand(n, generator=g) < 0.5
    import sys

    calls = []
    sys.setprofile(lambda frame, event, arg: calls.append(event))
    try:
        out = augment_batch(x, dy, dx, flip)
    finally:
        sys.setprofile(None)
    assert out.shape == x.shape
    # a per-image loop would make >= 10,000 Python/C calls; the batched version makes a few
    # dozen (counted, not timed: wall time on a shared machine says little)
    assert len(calls) < 300, (
        f"{len(calls)} Python-level calls for one batch: per-image Python on the hot path?"
    )


def test_loader_crop_offsets_cover_the_range_and_flip_half() -> None:
    """Read each augmented image's crop offsets and flip back from its pixels: the offsets must
    take every value 0..2*pad (pad 4: the paper's 32x32 crops of 40x40) and the flip rate must
    be 1/2 within 5 binomial standard deviations."""
    from helpers.data import Dataset

    n, h, pad = 4000, 12, 4
    one = torch.arange(1, h * h + 1, dtype=torch.uint8).view(
        1, 1, h, h
    )  # every pixel distinct
    data = Dataset(
        one.expand(n, 1, h, h).contiguous(),
        torch.zeros(n, dtype=torch.long),
        ["only"],
        (0.5,),
        (0.25,),
        "grid",
        "train",
        "memory",
    )
    loader = DeviceLoader(data, n, device="cpu", seed=0, normalize="none")
    ((x, _),) = list(loader)
    got = (x * 255).round().to(torch.uint8).flatten(1)  # (n, h*h)
    offsets = torch.arange(2 * pad + 1)
    cand = torch.cartesian_prod(
        offsets, offsets, torch.tensor([0, 1])
    )  # (dy, dx, flip)
    table = augment_batch(
        one.expand(len(cand), 1, h, h), cand[:, 0], cand[:, 1], cand[:, 2].bool(), pad
    )
    match = (got[:, None, :] == table.flatten(1)[None]).all(-1)  # (n, candidates)
    assert (match.sum(1) == 1).all(), (
        "every augmented image is exactly one crop/flip of the original"
    )
    dy, dx, flip = cand[match.float().argmax(1)].T
    assert set(dy.tolist()) == set(dx.tolist()) == set(range(2 * pad + 1))
    rate, sd = flip.float().mean().item(), (0.25 / n) ** 0.5
    assert abs(rate - 0.5) < 5 * sd, f"flip rate {rate:.3f}"
    assert abs(torch.bincount(dy).float() / n - 1 / 9).max() < 0.03  # offsets uniform
