"""Reference runs beside the build's own runs: find ``results/<profile>/*.json``, read and
check them, and gather the sentences a chapter says about them.

The files come from ``python -m helpers.reproduce`` (:mod:`helpers.experiments.reproduce`;
their format: :mod:`helpers.experiments.results`). Chapters never name a profile:
:func:`pick_profile` takes the best reference that exists under ``results/`` (the paper's
CIFAR-10 recipe first, then other CIFAR-10 runs, then the longest Fashion-MNIST run), so
a new results folder, e.g. ``results/paper/`` from a GPU, reaches the pages without code
changes. The sentences are computed in :mod:`helpers.experiments.verdicts`, the panels
drawn in :mod:`helpers.book.reference_panels`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helpers.core.paths import REPO_ROOT
from helpers.experiments.caption import provenance_caption
from helpers.experiments.results import PARTS, validate
from helpers.experiments.verdicts import (
    degradation_verdicts,
    figure7_verdict,
    lesion_verdict,
    lr_sweep_verdict,
)

__all__ = [
    "results_root",
    "load_results",
    "available_profiles",
    "pick_profile",
    "load_reference",
    "verdicts",
]


def results_root() -> Path:
    """The ``results/`` folder of this checkout."""
    return REPO_ROOT / "results"


def load_results(profile_dir: str | Path) -> dict[str, dict[str, Any]]:
    """``{part: document}`` for every results file in ``profile_dir``, validated."""
    profile_dir = Path(profile_dir)
    if not profile_dir.is_dir():
        raise FileNotFoundError(
            f"no results folder {profile_dir}; run `python -m "
            f"helpers.reproduce --profile {profile_dir.name}`"
        )
    out = {}
    for part in PARTS:
        path = profile_dir / f"{part}.json"
        if path.exists():
            doc = json.loads(path.read_text())
            validate(doc, str(path.relative_to(profile_dir.parent)))
            out[part] = doc
    if not out:
        raise FileNotFoundError(
            f"{profile_dir} holds no results files ({', '.join(PARTS)})"
        )
    return out


def available_profiles(results_dir: str | Path | None = None) -> list[str]:
    """Names of the profiles with a degradation results file under ``results_dir``."""
    root = Path(results_dir) if results_dir is not None else results_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "degradation.json").is_file())


def is_complete(doc: Mapping[str, Any]) -> bool:
    """Whether a degradation file holds every plain and residual net of its profile's
    depths for every one of the profile's seeds (a run still in progress does not)."""
    profile = doc["provenance"]["profile"]
    keys = {r["key"] for r in doc["runs"]}
    return all(
        f"{kind}-{depth}/s{seed}" in keys
        for kind in ("plain", "resnet")
        for depth in profile.get("depths", ())
        for seed in profile.get("seeds", ())
    )


def _budget(doc: Mapping[str, Any]) -> tuple[int, int, float]:
    """How good a reference a degradation file is: complete, then (the paper's recipe,
    CIFAR-10), then the number of training images seen."""
    prov = doc["provenance"]
    cifar = prov["dataset"]["name"] == "cifar10"
    steps = max((r["steps"][-1]["step"] for r in doc["runs"] if r["steps"]), default=0)
    return (
        int(is_complete(doc)),
        int(prov["profile"]["name"] == "paper") * 2 + int(cifar),
        steps * prov["profile"].get("batch_size", 1),
    )


def pick_profile(results_dir: str | Path | None = None) -> str:
    """The best reference under ``results_dir``: a complete run before one in progress;
    among those the paper's recipe, else a CIFAR-10 run, else the run that saw the most
    training images.
    """
    names = available_profiles(results_dir)
    if not names:
        root = results_dir if results_dir is not None else results_root()
        raise FileNotFoundError(
            f"no reference results under {root}; run `python -m "
            "helpers.reproduce --profile reference-cpu`"
        )
    root = Path(results_dir) if results_dir is not None else results_root()
    docs = {n: json.loads((root / n / "degradation.json").read_text()) for n in names}
    return max(names, key=lambda n: _budget(docs[n]))


def load_reference(
    profile: str | None = None, results_dir: str | Path | None = None
) -> tuple[str, dict[str, Any]]:
    """The profile's name and its validated results (``profile=None``: the best one)."""
    root = Path(results_dir) if results_dir is not None else results_root()
    name = profile or pick_profile(root)
    return name, load_results(root / name)


def verdicts(
    profile: str | None = None, results_dir: str | Path | None = None
) -> dict[str, str]:
    """Every sentence for the chosen reference run, keyed for ``myst_nb.glue``
    (``ref_plain_train_gap``, ``ref_resnet_test_gap``, ``ref_figure7``, ...)."""
    name, res = load_reference(profile, results_dir)
    out = {"ref_profile": name, "ref_caption": provenance_caption(res)}
    if "degradation" in res:
        out.update(
            {f"ref_{k}": v for k, v in degradation_verdicts(res["degradation"]).items()}
        )
    if "responses" in res:
        out["ref_figure7"] = figure7_verdict(res["responses"])["text"]
    if "lesion" in res:
        out["ref_lesion"] = lesion_verdict(res["lesion"])
    if "lr_sweep" in res:
        out["ref_lr_sweep"] = lr_sweep_verdict(res["lr_sweep"])
    return out
