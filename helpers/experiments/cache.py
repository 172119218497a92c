"""Trained models shared across chapters, cached on disk so the book trains each net once.

``train_cached("plain56")`` builds the net for the active profile's dataset, trains it with the
profile's TrainConfig on ``profile.load("train")`` and records the TEST error curve
(``profile.load("test")``) as ``val_error`` every epoch — the paper's Fig. 6 plots test error, and
nothing is tuned on it. The result is keyed by a hash of everything that changes it.

Cache directory: :func:`helpers.core.paths.cache_root` (``$RESNET_BOOK_CACHE``, else
``<repo>/_build/model_cache`` inside a checkout, else ``~/.cache/resnet-book``). A run in progress
checkpoints every epoch to ``<cache>/checkpoints/<entry>.pt``; calling ``train_cached`` again
after an interruption (Ctrl-C, a Colab disconnect) resumes from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.core import dist
from helpers.core.atomic import atomic_path
from helpers.core.device import resolve_device
from helpers.core.paths import cache_root, checkpoint_dir
from helpers.core.progress import show_progress
from helpers.data import Normalization, normalization_of, set_normalization
from helpers.experiments.profiles import Profile, get_profile
from helpers.train import History, TrainConfig, fit
from helpers.train.checkpoint import CheckpointError

__all__ = ["train_cached", "degradation_runs", "cache_dir", "cache_key"]

CACHE_FORMAT = 2  # 2: entries hold the input normalisation (normalization.pt)


def cache_dir() -> Path:
    """Where trained models are cached (see module docstring)."""
    return cache_root()


def _model_kwargs(
    model_name: str, profile: Profile, model_kwargs: dict[str, Any]
) -> dict[str, Any]:
    from helpers.data import DATASETS
    from helpers.models import get_entry

    info = DATASETS[profile.dataset]
    accepted = get_entry(model_name).kwargs
    kwargs = {"num_classes": len(info.classes), "in_channels": info.shape[0]}
    if "width" in accepted:
        kwargs["width"] = profile.width
    kwargs.update(model_kwargs)
    return kwargs


def cache_key(
    model_name: str, kwargs: dict[str, Any], profile: Profile, seed: int
) -> str:
    """Hash of everything that affects the trained weights and history: the model, the
    profile, the seed, the effective precision on this machine, and the engine itself (the
    source of helpers' training code and the torch/torchvision/numpy versions), so an edited
    loop or a new library version trains again instead of loading a stale model."""
    from helpers.core.fingerprint import engine_fingerprint
    from helpers.core.precision import amp_dtype

    config = profile.train_config(seed=seed).to_dict()
    for k in TrainConfig.COSMETIC:
        if k not in ("eval_every", "log_every"):  # these change the recorded history
            config.pop(k, None)
    # the effective precision depends on the machine (bf16 autocast on AMX CPUs / CUDA)
    precision = str(amp_dtype(resolve_device(profile.device), config.get("amp", True)))
    payload = {
        "format": CACHE_FORMAT,
        "precision": precision,
        "model": model_name,
        "kwargs": kwargs,
        "config": config,
        "profile": profile.to_dict(),
        "seed": seed,
        "engine": engine_fingerprint(),
    }
    blob = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_entry(entry: Path, model: nn.Module) -> History:
    meta = json.loads((entry / "meta.json").read_text())
    weights = entry / "model.pt"
    if _sha256(weights) != meta["sha256"]:
        raise ValueError("model.pt checksum mismatch")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    norm = torch.load(entry / "normalization.pt", map_location="cpu", weights_only=True)
    set_normalization(model, Normalization.from_state_dict(norm))
    return History.load(entry / "history.json")


def train_cached(
    model_name: str,
    profile: Profile | str | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
    retrain: bool = False,
    **model_kwargs: Any,
) -> tuple[nn.Module, History]:
    """Train ``create_model(model_name, ...)`` under ``profile`` once; later calls load it.

    Returns the model (in eval mode, on the profile's device) and its History, whose
    ``from_cache`` says whether it was loaded. A corrupt cache entry is retrained with a warning.
    Training checkpoints every epoch and resumes from the checkpoint when interrupted and
    called again. ``progress=None``: a progress bar unless ``$RESNET_BOOK_PROGRESS=0``.
    """
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    kwargs = _model_kwargs(model_name, prof, model_kwargs)
    key = cache_key(model_name, kwargs, prof, seed)
    entry = cache_dir() / f"{model_name}-{prof.name}-s{seed}-{key}"
    if entry.exists() and not retrain:
        loaded = _load_cached(entry, model_name, kwargs, seed)
        if loaded is not None:
            model, history = loaded
            return model.to(resolve_device(prof.device)).eval(), history
    checkpoint = checkpoint_dir() / f"{entry.name}.pt"
    if retrain:
        checkpoint.unlink(missing_ok=True)
    model, history, config = _train(
        model_name, kwargs, prof, seed, progress, checkpoint
    )
    if dist.is_main():  # under torchrun rank 0 stores; the others wait for it
        _store(entry, model, history, config)
        checkpoint.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # leave no empty folder behind
            checkpoint.parent.rmdir()
    dist.barrier()
    history.from_cache = False
    return model.eval(), history


def _new_model(model_name: str, kwargs: dict[str, Any], seed: int) -> nn.Module:
    """``create_model(model_name, **kwargs)`` initialised from ``seed``."""
    from helpers.models import create_model

    torch.manual_seed(seed)  # the weight initialisation depends on the seed too
    return create_model(model_name, **kwargs)


def _load_cached(
    entry: Path, model_name: str, kwargs: dict[str, Any], seed: int
) -> tuple[nn.Module, History] | None:
    """The cached model and history of ``entry``; None (with a warning) when it is
    damaged."""
    model = _new_model(model_name, kwargs, seed)
    try:
        history = _load_entry(entry, model)
    except Exception as e:  # any damage: never trust it, train again
        warnings.warn(
            f"cache entry {entry} is corrupt ({type(e).__name__}: {e}); retraining",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    history.from_cache = True
    return model, history


def _train(
    model_name: str,
    kwargs: dict[str, Any],
    prof: Profile,
    seed: int,
    progress: bool | None,
    checkpoint: Path,
) -> tuple[nn.Module, History, TrainConfig]:
    """Train a fresh model on the profile's training set, the test set as ``val`` (its error
    curve is what the paper's Fig. 6 plots), resuming from ``checkpoint`` if there is one."""
    model = _new_model(model_name, kwargs, seed)
    config = prof.train_config(
        seed=seed,
        progress=show_progress() if progress is None else progress,
        checkpoint_path=str(checkpoint),
        checkpoint_every=1,
    )
    train, test = prof.load("train"), prof.load("test")
    t0 = time.perf_counter()
    try:
        history = fit(model, train, config, val=test, resume=True)
    except CheckpointError as e:  # a damaged or foreign checkpoint: start afresh
        warnings.warn(f"{e}; training from the start", RuntimeWarning, stacklevel=3)
        checkpoint.unlink(missing_ok=True)
        model = _new_model(model_name, kwargs, seed)
        history = fit(model, train, config, val=test)
    history.meta.update(
        {
            "model": model_name,
            "model_kwargs": kwargs,
            "profile": prof.name,
            "seed": seed,
            "val_split": "test",
            "fit_seconds": time.perf_counter() - t0,
        }
    )
    # the stored config says how it trained, not where it was saved
    config.checkpoint_path = None
    return model, history, config


def _store(
    entry: Path, model: nn.Module, history: History, config: TrainConfig
) -> None:
    """Write the entry's files into a fresh folder that then replaces ``entry`` in one step
    (:func:`helpers.core.atomic.atomic_path`): a reader sees the old entry or the new one."""
    with atomic_path(entry) as tmp:
        tmp.mkdir()
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save(state, tmp / "model.pt")
        torch.save(normalization_of(model).state_dict(), tmp / "normalization.pt")
        history.save(tmp / "history.json")
        (tmp / "config.json").write_text(json.dumps(config.to_dict(), indent=1))
        (tmp / "meta.json").write_text(
            json.dumps({"sha256": _sha256(tmp / "model.pt"), "format": CACHE_FORMAT})
        )


def cifar_run(
    kind: str,
    depth: int,
    profile: Profile | str | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
) -> tuple[nn.Module, History]:
    """The shared quick/gpu run of a plain or residual CIFAR net (paper Sec. 4.2) at ``depth``.

    ``kind`` is "plain" or "resnet". Uses the registry alias (e.g. "plain56") when there is one, so
    every chapter asking for the same net hits the same cache entry."""
    from helpers.models import list_models

    if kind not in ("plain", "resnet"):
        raise ValueError(f"kind must be 'plain' or 'resnet'; got {kind!r}")
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    alias = f"{kind}{depth}"
    if alias in list_models():
        return train_cached(alias, prof, seed=seed, progress=progress)
    return train_cached(
        f"{kind}_cifar", prof, seed=seed, progress=progress, depth=depth
    )


def degradation_runs(
    profile: Profile | str | None = None,
    seeds: tuple[int, ...] = (0,),
    progress: bool | None = None,
) -> dict[str, History]:
    """Plain and residual nets at every depth of ``profile.depths`` (the paper's Fig. 6).

    Keys: "plain-20", "resnet-56", ... (with several seeds: "plain-20 (seed 1)")."""
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    runs: dict[str, History] = {}
    for depth in prof.depths:
        for kind in ("plain", "resnet"):
            for seed in seeds:
                _, h = cifar_run(kind, depth, prof, seed=seed, progress=progress)
                label = (
                    f"{kind}-{depth}"
                    if len(seeds) == 1
                    else f"{kind}-{depth} (seed {seed})"
                )
                runs[label] = h
    return runs
