"""The trained networks of a stored reference run, loaded instead of trained.

A reference profile with ``store_weights`` (``reference-cpu-full``) keeps each trained
net's weights as fp16 under ``results/<profile>/weights/``, with their SHA-256 in
``degradation.json`` (:mod:`helpers.experiments.weights`). :func:`reference_net` rebuilds
one of those nets, He et al. (2016)'s CIFAR-style plain or residual net of depth 6n+2
(Sec. 4.2), with the run's width, input channels and classes; loads the checked weights;
gives it the input normalisation it was trained with; and returns it with a
:class:`~helpers.train.History` rebuilt from the entry's epochs. Chapter 3's lesion study
(Veit et al. 2016) and response sizes (Fig. 7) can then look inside converged nets.

A run is named by its profile (``"reference-cpu-full"``: the folder under this checkout's
``results/``) or by a folder path. ``$RESNET_BOOK_REFERENCE`` names the run the pages use
(:func:`helpers.experiments.trained.trained_nets`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.core.paths import REFERENCE_ENV
from helpers.data import DATASETS, Normalization, load_dataset, set_normalization
from helpers.experiments.reference import results_root
from helpers.experiments.results import validate
from helpers.experiments.weights import WeightsError, load_weights
from helpers.models import create_model
from helpers.train import History

__all__ = [
    "REFERENCE_ENV",
    "ReferenceNetError",
    "reference_folder",
    "reference_net",
    "reference_available",
    "missing_reference",
]


class ReferenceNetError(LookupError):
    """A reference run that lacks a net, its weights, or a finished training."""


def reference_folder(results: str | Path) -> Path:
    """The folder of a reference run: ``results/<name>`` of this checkout for a profile
    name; a path (a ``Path``, or text with a slash) as it is."""
    text = str(results)
    if isinstance(results, Path) or "/" in text or "\\" in text:
        return Path(results)
    return results_root() / text


def _degradation(folder: Path) -> dict[str, Any]:
    """The run's validated ``degradation.json``."""
    path = folder / "degradation.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: no reference run {folder.name!r} in this checkout; "
            f"run `python -m helpers.reproduce --profile {folder.name} --only "
            "degradation`, or check out the repository's results/ folder"
        )
    doc = json.loads(path.read_text())
    validate(doc, f"{folder.name}/degradation.json")
    return doc


def _entry(doc: dict[str, Any], kind: str, depth: int, seed: int) -> dict[str, Any]:
    """The entry of ``<kind>-<depth>/s<seed>``, with stored weights."""
    if kind not in ("plain", "resnet"):
        raise ValueError(f"kind must be 'plain' or 'resnet'; got {kind!r}")
    key, name = f"{kind}-{depth}/s{seed}", doc["profile"]
    entry = next((r for r in doc["runs"] if r["key"] == key), None)
    if entry is None:
        held = ", ".join(sorted(r["key"] for r in doc["runs"]))
        raise ReferenceNetError(
            f"reference run {name!r} has no net {key} (it holds {held}); train it with "
            f"`python -m helpers.reproduce --profile {name} --only degradation "
            f"--depths {depth} --seeds {seed}`"
        )
    if not entry.get("weights"):
        raise ReferenceNetError(
            f"reference run {name!r} recorded {key} without weights (its profile does "
            "not set store_weights); use a profile that keeps them, e.g. "
            "reference-cpu-full"
        )
    return entry


def _model_args(doc: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``create_model`` arguments: as the entry records them, else (files written
    before entries recorded them) from the profile's width and the dataset's shape."""
    if "model" in entry:
        return dict(entry["model"])
    prov = doc["provenance"]
    info = DATASETS[prov["dataset"]["name"]]
    return {
        "name": f"{entry['kind']}_cifar",
        "depth": entry["depth"],
        "width": prov["profile"]["width"],
        "in_channels": info.shape[0],
        "num_classes": len(info.classes),
    }


def _normalization(doc: dict[str, Any], entry: dict[str, Any]) -> Normalization:
    """The input normalisation the net was trained with: as recorded, else the kind
    of its config with the dataset's statistics."""
    name = doc["provenance"]["dataset"]["name"]
    rec = entry.get("normalization") or {"kind": entry["config"]["normalize"]}
    if rec.get("mean") is not None:
        c = len(rec["std"])
        mean = torch.tensor(rec["mean"], dtype=torch.float32).view(c, 1, 1)
        std = torch.tensor(rec["std"], dtype=torch.float32).view(c, 1, 1)
        return Normalization(rec["kind"], mean, std)
    if rec["kind"] == "channel":  # channel statistics are the dataset's constants
        c = DATASETS[name].shape[0]
        mean = torch.tensor(DATASETS[name].mean, dtype=torch.float32).view(c, 1, 1)
        std = torch.tensor(DATASETS[name].std, dtype=torch.float32).view(c, 1, 1)
        return Normalization("channel", mean, std)
    # the per-pixel mean of the whole training set, whichever split is loaded
    return Normalization.of(rec["kind"], load_dataset(name, "test", subset=10))


def _number(value: Any) -> Any:
    """A stored error back as a float ("inf" is how the files write infinity)."""
    return float(value) if isinstance(value, str) else value


def _history(doc: dict[str, Any], entry: dict[str, Any], folder: Path) -> History:
    """The entry's curves as a History (the test set is the run's ``val`` split)."""
    epochs = [
        {
            "epoch": r["epoch"],
            "train_loss": _number(r.get("train_loss")),
            "train_error": _number(r["train_error"]),
            "val_loss": _number(r.get("test_loss")),
            "val_error": _number(r["test_error"]),
            "lr": r["lr"],
            "time_s": r.get("time_s"),
        }
        for r in entry["epochs"]
    ]
    meta = {
        "source": "reference run",
        "profile": doc["profile"],
        "seed": entry["seed"],
        "model": entry.get("model", {}).get("name", f"{entry['kind']}_cifar"),
        "dataset": doc["provenance"]["dataset"]["title"],
        "train_images": doc["provenance"]["dataset"]["train_images"],
        "results": f"results/{folder.name}/degradation.json",
        "folder": str(
            folder
        ),  # where the run's results files are (helpers.book.nets_text)
        "weights": entry["weights"]["file"],
        "precision": entry.get("precision", doc["provenance"]["device"]["precision"]),
        "val_split": "test",
    }
    return History(
        steps=[{k: _number(v) for k, v in r.items()} for r in entry["steps"]],
        epochs=epochs,
        wall_time_s=entry.get("wall_time_s") or 0.0,
        images_per_s=entry.get("images_per_s") or 0.0,
        device=entry.get("fit_device") or "",
        config=dict(entry["config"]),
        diverged=entry.get("diverged"),
        from_cache=True,  # loaded, not trained here
        meta=meta,
    )


def reference_net(
    results: str | Path, kind: str, depth: int, seed: int = 0
) -> tuple[nn.Module, History]:
    """The trained ``kind``-``depth`` net of seed ``seed`` of a stored reference run
    (a profile name under ``results/``, or its folder), in eval mode on the CPU, and
    its History (``final("val_error")`` is the entry's final test error).

    The weights are loaded only after their SHA-256 matches the recorded one.
    """
    folder = reference_folder(results)
    doc = _degradation(folder)
    entry = _entry(doc, kind, depth, seed)
    try:
        state = load_weights(folder, entry["weights"])
    except WeightsError as e:
        raise WeightsError(
            f"{e}. Restore it with `git checkout -- results/{folder.name}/"
            f"{entry['weights']['file']}`, or train the net again (`python -m "
            f"helpers.reproduce --profile {doc['profile']} --only degradation`)"
        ) from None
    args = _model_args(doc, entry)
    model = create_model(args.pop("name"), **args)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ReferenceNetError(
            f"the stored weights of {entry['key']} in {folder.name!r} do not fit the "
            f"net its entry describes ({args}); the entry and the file disagree, so "
            f"train the net again: {str(e).splitlines()[0]}"
        ) from None
    set_normalization(model, _normalization(doc, entry))
    return model.cpu().eval(), _history(doc, entry, folder)


def _unfinished(entry: dict[str, Any]) -> str | None:
    """Why a recorded training run is not a finished one, or None."""
    if entry.get("diverged"):
        return "diverged"
    wanted = entry["config"].get("epochs")
    if wanted and len(entry["epochs"]) < wanted:
        return f"{len(entry['epochs'])} of {wanted} epochs"
    return None


def missing_reference(
    results: str | Path,
    depths: Iterable[int],
    seeds: Iterable[int] = (0,),
    dataset: str | None = None,
) -> str | None:
    """Why the reference run cannot give the plain and residual nets at ``depths`` for
    ``seeds`` (trained on ``dataset``, if given), in words; None when it can."""
    folder = reference_folder(results)
    try:
        doc = _degradation(folder)
    except (FileNotFoundError, ValueError) as e:
        return str(e)
    if dataset is not None and doc["provenance"]["dataset"]["name"] != dataset:
        title = doc["provenance"]["dataset"]["title"]
        return f"reference run {folder.name!r} was trained on {title}, not {dataset}"
    for seed in seeds:
        for depth in depths:
            for kind in ("plain", "resnet"):
                try:
                    entry = _entry(doc, kind, depth, seed)
                except ReferenceNetError as e:
                    return str(e)
                file = folder / entry["weights"]["file"]
                if (
                    not file.is_file()
                    or file.stat().st_size != entry["weights"]["bytes"]
                ):
                    return f"{file} is missing or not the recorded size"
                if why := _unfinished(entry):
                    return f"{entry['key']} of {folder.name!r} is unfinished ({why})"
    return None


def reference_available(
    results: str | Path, depths: Iterable[int], seeds: Iterable[int] = (0,)
) -> bool:
    """Whether the reference run holds every plain and residual net at ``depths`` for
    ``seeds``, finished and with its weights file present."""
    return missing_reference(results, tuple(depths), tuple(seeds)) is None
