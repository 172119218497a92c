"""helpers.experiments.cache.train_cached: trains once, reloads fast, never trusts a damaged entry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from helpers.experiments.cache import cache_dir, degradation_runs, train_cached
from helpers.experiments.profiles import Profile

torch.set_num_threads(1)


@pytest.fixture
def tiny_profile(tmp_path: Path, monkeypatch) -> Profile:
    from conftest import tiny_fmnist_profile

    return tiny_fmnist_profile(tmp_path, monkeypatch, epochs=1)


def test_cache_dir_default_inside_repo(monkeypatch) -> None:
    monkeypatch.delenv("RESNET_BOOK_CACHE", raising=False)
    assert (
        cache_dir() == Path(__file__).resolve().parent.parent / "_build" / "model_cache"
    )
    monkeypatch.setenv("RESNET_BOOK_CACHE", "/tmp/x")
    assert cache_dir() == Path("/tmp/x")


def test_train_then_hit(tiny_profile: Profile) -> None:
    model, h = train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    assert (
        not h.from_cache and len(h.epochs) == 1 and h.epochs[0]["val_error"] is not None
    )
    assert h.meta["model"] == "resnet_cifar" and h.meta["val_split"] == "test"
    t = time.perf_counter()
    model2, h2 = train_cached("resnet_cifar", tiny_profile, depth=8, progress=False)
    assert time.perf_counter() - t < 1.0
    assert h2.from_cache and h2.epochs == h.epochs
    for a, b in zip(
        model.state_dict().values(), model2.state_dict().values(), strict=False
    ):
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


def test_cache_key_follows_engine_source_profile_and_versions(
    tiny_profile: Profile, tmp_path: Path, monkeypatch
) -> None:
    """Issue 12: the key used to leave out the helpers code and library versions."""
    import shutil

    import helpers.core.fingerprint as ck
    from helpers.experiments.cache import cache_key

    copy = tmp_path / "helpers"
    shutil.copytree(ck.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(ck, "PACKAGE", copy)
    kwargs = {"depth": 8}
    key = cache_key("resnet_cifar", kwargs, tiny_profile, 0)
    book = ck.book_key("quick")
    with open(copy / "book" / "plots.py", "a") as f:
        f.write("\n# a restyled figure\n")
    assert (
        cache_key("resnet_cifar", kwargs, tiny_profile, 0) == key
    )  # plots do not train
    assert ck.book_key("quick") != book  # ...but they draw the pages
    with open(copy / "train" / "loop.py", "a") as f:
        f.write("\n# an edited loop\n")
    assert cache_key("resnet_cifar", kwargs, tiny_profile, 0) != key
    edited = cache_key("resnet_cifar", kwargs, tiny_profile, 0)
    assert (
        cache_key("resnet_cifar", kwargs, tiny_profile.replace(warmup_iters=3), 0)
        != edited
    )
    assert ck.book_key("paper") != ck.book_key("quick")
    real = ck.library_versions
    monkeypatch.setattr(
        ck,
        "library_versions",
        lambda names=ck.ENGINE_LIBRARIES: {**real(names), "torch": "0.0"},
    )
    assert cache_key("resnet_cifar", kwargs, tiny_profile, 0) != edited


def test_book_key_covers_the_stored_runs_and_the_reference(
    tmp_path: Path, monkeypatch
) -> None:
    import helpers.core.fingerprint as ck

    results = tmp_path / "results"
    (results / "run").mkdir(parents=True)
    (results / "run" / "degradation.json").write_text("{}")
    monkeypatch.setattr(ck, "REPO_ROOT", tmp_path)
    monkeypatch.delenv(ck.REFERENCE_ENV, raising=False)
    key = ck.book_key("quick")
    assert ck.book_key("quick") == key  # stable
    (results / "run" / "weights").mkdir()
    (results / "run" / "weights" / "resnet-20-s0.pt").write_bytes(b"w")
    assert ck.book_key("quick") != key, "a committed net changes what the pages show"
    key = ck.book_key("quick")
    (results / "run" / "degradation.json").write_text('{"runs": []}')
    assert ck.book_key("quick") != key
    key = ck.book_key("quick")
    monkeypatch.setenv(ck.REFERENCE_ENV, "run")
    assert ck.book_key("quick") != key, "the pages then analyse other nets"


def test_write_config_keys_the_execution_cache(tmp_path: Path, monkeypatch) -> None:
    import yaml
    from book_config import write_config

    import helpers.core.fingerprint as ck

    target = write_config(tmp_path / "_config.yml", "quick")
    config = yaml.safe_load(target.read_text())
    assert config["execute"]["cache"].endswith(
        f"_build/.jupyter_cache/{ck.book_key('quick')}"
    )
    assert config["execute"]["execute_notebooks"] == "cache"
    ext = Path(config["sphinx"]["local_extensions"]["book_assets"])
    assert ext.is_absolute() and ext.is_dir()


@pytest.mark.parametrize("name", ["gpu", "paper"])
def test_gpu_and_paper_profiles_run_on_tiny_data(
    name: str, tmp_path: Path, monkeypatch
) -> None:
    """A few steps of each profile's code path (CIFAR-10 format, channels_last, warm-up lr,
    per-pixel mean, iteration milestones) on a fake CIFAR-10 on the CPU; the cached model
    evaluates to the error recorded while training."""
    from conftest import make_fake_cifar

    from helpers.data import normalization_of
    from helpers.experiments.profiles import PROFILES
    from helpers.train import evaluate

    monkeypatch.setenv(
        "RESNET_BOOK_DATA",
        str(make_fake_cifar(tmp_path / "c", per_batch=40, n_test=60)),
    )
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    base = PROFILES[name]
    short = dict(epochs=1) if base.epochs else dict(iterations=6, milestones=(3, 5))
    prof = base.replace(
        device="cpu",
        width=4,
        batch_size=32,
        warmup_iters=min(base.warmup_iters, 2),
        num_threads=1,
        **short,
    )
    model, h = train_cached("resnet_cifar", prof, depth=8, progress=False)
    norm = normalization_of(model)
    assert (
        norm.kind == base.normalize and h.config["channels_last"] == base.channels_last
    )
    assert norm.mean.shape == ((3, 32, 32) if name == "paper" else (3, 1, 1))
    test = prof.load("test")
    assert evaluate(model, test)["error"] == pytest.approx(h.final("val_error"))
    again, h2 = train_cached("resnet_cifar", prof, depth=8, progress=False)
    assert h2.from_cache and normalization_of(again).same_as(norm)
    assert evaluate(again, test)["error"] == pytest.approx(h.final("val_error"))
