"""The build's trained networks and the analyses run on them, in one place.

Chapter 3 looks inside the plain and residual networks that chapter 4's degradation
experiment trains (the lesion study of Veit et al. 2016; the response sizes of He et al.
2016, Fig. 7), and the summary page reports what it found. Both pages call these functions,
so they report the same numbers, computed from the same networks on the same test images.
Those networks are a stored reference run's converged ones
(:mod:`helpers.experiments.reference_nets`): the run named by ``$RESNET_BOOK_REFERENCE``,
else the run chapter 4 reports (:func:`~helpers.experiments.reference.pick_profile`) when it
is complete and kept its weights; else the build's own.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from torch import nn

from helpers.analysis.lesion import LesionStudy, lesion_study
from helpers.analysis.responses import branch_response_std, first_batch
from helpers.core.device import resolve_device
from helpers.core.text import T, Text
from helpers.data import DATASETS, load_dataset
from helpers.experiments.cache import cifar_run
from helpers.experiments.profiles import Profile
from helpers.experiments.reference import (
    available_profiles,
    is_complete,
    pick_profile,
    results_root,
)
from helpers.experiments.reference_nets import (
    REFERENCE_ENV,
    missing_reference,
    reference_net,
)
from helpers.train import History

__all__ = [
    "LESION_IMAGES",
    "RESPONSE_IMAGES",
    "trained_nets",
    "default_reference",
    "nets_caption",
    "nets_errors",
    "nets_scale",
    "from_reference",
    "lesion_studies",
    "response_stds",
    "mean_stds",
]

LESION_IMAGES = 300  # a class-balanced test subset: keeps the 50+ evaluations cheap
RESPONSE_IMAGES = 256  # the first test images, normalised as each net was trained


def trained_nets(
    profile: Profile,
    seed: int = 0,
    progress: bool | None = None,
    reference: str | Path | None = None,
) -> dict[str, tuple[nn.Module, History]]:
    """ "plain-20", "ResNet-20", ... -> (model, history): the degradation experiment's nets
    at the profile's depths, trained once per build and then loaded from the cache.

    ``reference`` names a stored reference run (a profile under ``results/`` or its
    folder; None: ``$RESNET_BOOK_REFERENCE``, else :func:`default_reference`; "" or
    "none": none).
    When it holds finished nets at the profile's depths for ``seed``, trained on the
    profile's dataset, those converged nets are returned instead; otherwise the build's own
    (with a warning when the run was named).
    """
    name = os.environ.get(REFERENCE_ENV, "") if reference is None else reference
    if name == "none":  # $RESNET_BOOK_REFERENCE=none: the build's own
        name = ""
    elif reference is None and not name:
        name = default_reference(profile, seed)
    if name:
        why = missing_reference(name, profile.depths, (seed,), profile.dataset)
        if why is None:
            return _reference_nets(name, profile, seed)
        warnings.warn(
            f"not using the reference networks: {why}; training this build's own",
            RuntimeWarning,
            stacklevel=2,
        )
    nets = {}
    for depth in profile.depths:
        for kind, label in (("plain", "plain"), ("resnet", "ResNet")):
            nets[f"{label}-{depth}"] = cifar_run(
                kind, depth, profile, seed=seed, progress=progress
            )
    return nets


def default_reference(profile: Profile, seed: int = 0) -> str:
    """The stored run chapter 4 reports, when it is complete and holds the profile's nets
    with weights (so chapters 3 and 4 speak of the same run); "" when there is none."""
    if not available_profiles():
        return ""
    name = pick_profile()
    doc = json.loads((results_root() / name / "degradation.json").read_text())
    usable = is_complete(doc) and (
        missing_reference(name, profile.depths, (seed,), profile.dataset) is None
    )
    return name if usable else ""


def _reference_nets(
    name: str | Path, profile: Profile, seed: int
) -> dict[str, tuple[nn.Module, History]]:
    """The reference run's nets at the profile's depths, on the profile's device."""
    device = resolve_device(profile.device)
    nets = {}
    for depth in profile.depths:
        for kind, label in (("plain", "plain"), ("resnet", "ResNet")):
            model, history = reference_net(name, kind, depth, seed)
            nets[f"{label}-{depth}"] = (model.to(device), history)
    return nets


def _first(trained: dict[str, tuple[nn.Module, History]]) -> History:
    return next(iter(trained.values()))[1]


def from_reference(trained: dict[str, tuple[nn.Module, History]]) -> bool:
    """Whether ``trained`` holds a stored reference run's nets, not this build's own."""
    return _first(trained).meta.get("source") == "reference run"


def nets_errors(trained: dict[str, tuple[nn.Module, History]]) -> Text:
    """ "final test error plain-20 7.5%, ResNet-20 7.0%, ..." """
    errors = []
    for label, (_, history) in trained.items():
        final = history.final("val_error")
        errors.append(f"{label} {'n/a' if final is None else f'{100 * final:.1f}%'}")
    return T("final test error {errors}", errors=", ".join(errors))


def nets_caption(trained: dict[str, tuple[nn.Module, History]]) -> Text:
    """Which networks ``trained`` holds, for a caption after "Networks: ": the reference
    run or this build's profile, the seed, and each net's final test error."""
    first = _first(trained)
    meta = first.meta
    if from_reference(trained):
        where = T(
            "the reference run {profile} ({dataset}, {images:,} training images, "
            "{epochs} epochs)",
            profile=meta["profile"],
            dataset=meta["dataset"],
            images=meta["train_images"],
            epochs=len(first.epochs),
        )
    else:
        where = T(
            "this build's own, profile {profile}", profile=meta.get("profile", "?")
        )
    return T(
        "{where}, seed {seed}; {errors}",
        where=where,
        seed=meta.get("seed", "?"),
        errors=nets_errors(trained),
    )


def nets_scale(trained: dict[str, tuple[nn.Module, History]], profile: Profile) -> Text:
    """How long the nets trained, for prose: "the reference run reference-cpu-full's
    converged networks (14,040 iterations on 60,000 Fashion-MNIST training images)", or
    "this build's networks (125 iterations on 4,000 ...)"."""
    first = _first(trained)
    iterations = first.steps[-1]["step"] if first.steps else 0
    if from_reference(trained):
        meta = first.meta
        return T(
            "the reference run {profile}'s converged networks ({iterations:,} iterations "
            "on {images:,} {dataset} training images)",
            profile=meta["profile"],
            iterations=iterations,
            images=meta["train_images"],
            dataset=meta["dataset"],
        )
    info = DATASETS[profile.dataset]
    full = info.n_train - profile.val_size  # the rest is held out for validation
    images = min(profile.train_subset or full, full)
    return T(
        "this build's networks ({iterations:,} iterations on {images:,} {dataset} "
        "training images)",
        iterations=iterations,
        images=images,
        dataset=info.title,
    )


def lesion_studies(
    trained: dict[str, tuple[nn.Module, Any]], profile: Profile
) -> dict[str, LesionStudy]:
    """The lesion study (delete one block at test time) of the deepest plain net and
    ResNet, on :data:`LESION_IMAGES` test images."""
    deep = profile.depths[-1]
    data = load_dataset(profile.dataset, "test", subset=LESION_IMAGES)
    return {
        name: lesion_study(model.cpu(), data, device="cpu")
        for name, (model, _) in trained.items()
        if name.endswith(f"-{deep}")
    }


def response_stds(
    trained: dict[str, tuple[nn.Module, Any]], profile: Profile
) -> dict[str, list[float]]:
    """Per block, the std of the residual branch's output before the addition (He et al.
    2016, Fig. 7), on the first :data:`RESPONSE_IMAGES` test images."""
    test = profile.load("test")
    out = {}
    for name, (model, _) in trained.items():
        images = first_batch(test, RESPONSE_IMAGES, model=model)[0]
        out[name] = branch_response_std(model.cpu(), images)
    return out


def mean_stds(responses: dict[str, list[float]]) -> dict[str, float]:
    """Each net's mean response std over its blocks (what Figure 7's claims compare)."""
    return {name: sum(stds) / len(stds) for name, stds in responses.items()}
