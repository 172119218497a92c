"""helpers.experiments.train_cached: trains once, reloads fast, never trusts a damaged entry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from helpers.experiments import cache_dir, degradation_runs, train_cached
from helpers.profiles import Profile

torch.set_num_threads(1)


@pytest.fixture
def tiny_profile(tmp_path: Path, monkeypatch) -> Profile:
    from conftest import make_fake_fmnist

    root = make_fake_fmnist(tmp_path / "fm", n_train=300, n_test=100)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(root))
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    return Profile(name="smoke", dataset="fashion-mnist", train_subset=160, test_subset=60, width=4,
                   depths=(8, 14), epochs=1, batch_size=32, lr=0.05, val_size=50, device="cpu")


def test_cache_dir_default_inside_repo(monkeypatch) -> None:
    monkeypatch.delenv("RESNET_BOOK_CACHE", raising=False)
    assert cache_dir() == Path(__file__).resolve().parent.parent / "_build" / "model_cache"
    monkeypatch.setenv("RESNET_BOOK_CACHE", "/tmp/x")
    assert cache_dir() == Path("/tmp/x")


def test_train_then_hit(tiny_profile: Profile) -> None:
    model, h = train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    assert not h.from_cache and len(h.epochs) == 1 and h.epochs[0]["val_error"] is not None
    assert h.meta["model"] == "resnet_cifar" and h.meta["val_split"] == "test"
    t = time.perf_counter()
    model2, h2 = train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    assert time.perf_counter() - t < 1.0
    assert h2.from_cache and h2.epochs == h.epochs
    for a, b in zip(model.state_dict().values(), model2.state_dict().values()):
        assert torch.equal(a.cpu(), b.cpu())
    # anything that changes the result gets its own entry
    _, h3 = train_cached("resnet_cifar", tiny_profile, depth=8, seed=1, progress=False)
    assert not h3.from_cache
    assert len(list(cache_dir().iterdir())) == 2


def test_corrupt_entry_is_retrained(tiny_profile: Profile) -> None:
    train_cached("plain_cifar", tiny_profile, depth=8, progress=False)
    (entry,) = cache_dir().iterdir()
    weights = entry / "model.pt"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.warns(RuntimeWarning, match="corrupt"):
        _, h = train_cached("plain_cifar", tiny_profile, depth=8, progress=False)
    assert not h.from_cache
    _, h = train_cached("plain_cifar", tiny_profile, depth=8, progress=False)
    assert h.from_cache


def test_degradation_runs_keys(tiny_profile: Profile) -> None:
    runs = degradation_runs(tiny_profile, progress=False)
    assert list(runs) == ["plain-8", "resnet-8", "plain-14", "resnet-14"]
    runs = degradation_runs(tiny_profile, seeds=(0, 1), progress=False)
    assert "resnet-14 (seed 1)" in runs and len(runs) == 8
