"""Shared fixtures: small datasets written in the ORIGINAL on-disk formats (IDX gz, CIFAR pickles)."""

from __future__ import annotations

import functools
import gzip
import http.server
import pickle
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
# scripts/ (the build's tools) is not a package; its modules are imported by name in tests.
sys.path.insert(0, str(ROOT / "scripts"))


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    """Write ``array`` (uint8) as an IDX file, the (Fashion-)MNIST format."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    data = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(data)
    return path


def make_fake_fmnist(
    root: Path, n_train: int = 600, n_test: int = 200, seed: int = 0
) -> Path:
    """Fashion-MNIST-format files; each image's top-left pixel encodes its index (mod 256)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        rng.shuffle(labels)
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


def make_fake_cifar(
    root: Path, per_batch: int = 100, n_test: int = 100, seed: int = 0
) -> Path:
    """CIFAR-10 python-format pickles (as in cifar-10-python.tar.gz) under root/cifar-10-batches-py."""
    rng = np.random.default_rng(seed)
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        batch = {
            b"batch_label": name.encode(),
            b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"filenames": [f"img{i}.png".encode() for i in range(n)],
        }
        with open(d / name, "wb") as f:
            pickle.dump(batch, f)
    meta = {
        b"label_names": [
            c.encode()
            for c in (
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
            )
        ]
    }
    with open(d / "batches.meta", "wb") as f:
        pickle.dump(meta, f)
    return root


@pytest.fixture
def fake_fmnist(tmp_path: Path) -> Path:
    return make_fake_fmnist(tmp_path / "fmnist")


@pytest.fixture
def fake_cifar(tmp_path: Path) -> Path:
    return make_fake_cifar(tmp_path / "cifar")


def tiny_fmnist_profile(tmp_path: Path, monkeypatch, epochs: int = 1):
    """A seconds-sized Fashion-MNIST profile on fake data, with data and cache in tmp_path."""
    from helpers.experiments.profiles import Profile

    root = make_fake_fmnist(tmp_path / "fm", n_train=300, n_test=100)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(root))
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    return Profile(
        name="smoke",
        dataset="fashion-mnist",
        train_subset=160,
        test_subset=60,
        width=4,
        depths=(8, 14),
        epochs=epochs,
        batch_size=32,
        lr=0.05,
        val_size=50,
        device="cpu",
    )


@pytest.fixture
def server(tmp_path: Path):
    """A static HTTP server on 127.0.0.1 over tmp_path/www; yields (url, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(www)
    )
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", www
    httpd.shutdown()
    httpd.server_close()
