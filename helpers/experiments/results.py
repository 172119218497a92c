"""The results files of the reference runs: ``results/<profile>/<part>.json``.

One file per experiment part (:data:`PARTS`), each holding a ``provenance`` block (profile
and training config, dataset and sizes, device, precision, library versions, the
``helpers`` commit, the command) and one entry per run. This module is the one place that
knows the format: :class:`ResultsFile` writes it (atomically, one run at a time) and
:func:`validate` checks it. All errors stored are fractions in [0, 1]; an infinite number
is stored as the string "inf" and NaN as null (JSON has neither).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import platform
import shlex
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from helpers.core import dist
from helpers.core.atomic import write_text
from helpers.experiments.profiles import Profile

__all__ = [
    "PARTS",
    "SCHEMA_VERSION",
    "SchemaError",
    "PrecisionMismatch",
    "ResultsFile",
    "validate",
    "provenance",
    "command_line",
    "now",
    "finite",
    "run_label",
]

SCHEMA_VERSION = 1
# The experiment parts, in the order they are run and read; one results file each.
PARTS = ("degradation", "responses", "gradients", "lesion", "lr_sweep")

# Every field a results file must carry (nested dicts: "a.b"); runs: per part, and per
# epoch row.
TOP_FIELDS = ("schema", "part", "profile", "provenance", "runs")
PROVENANCE_FIELDS = (
    "profile",
    "train_config",
    "dataset",
    "dataset.name",
    "dataset.title",
    "dataset.train_images",
    "dataset.test_images",
    "device",
    "device.type",
    "device.name",
    "device.precision",
    "versions",
    "versions.python",
    "versions.torch",
    "helpers",
    "helpers.commit",
    "platform",
    "command",
    "seeds",
    "updated",
)
RUN_FIELDS = (
    "key",
    "name",
    "seed",
    "started",
    "date",
    "wall_time_s",
    "helpers_commit",
    "device",
)
# Optional degradation fields: "weights" (profiles with store_weights), "model" and
# "normalization" (what rebuilds the net around them; files from before lack these two).
PART_FIELDS = {
    "degradation": (
        "kind",
        "depth",
        "params",
        "config",
        "epochs",
        "steps",
        "final_train_error",
        "final_test_error",
    ),
    "responses": ("kind", "depth", "images", "stds"),
    "gradients": (
        "kind",
        "depth",
        "images",
        "init_output",
        "init_weight",
        "trained_output",
        "trained_weight",
    ),
    "lesion": ("kind", "depth", "images", "baseline_error", "rows"),
    "lr_sweep": ("images", "iterations", "runs"),
}
EPOCH_FIELDS = ("epoch", "train_error", "test_error", "lr")


class SchemaError(ValueError):
    """A results file lacks a field or holds a wrong kind of value."""


class PrecisionMismatch(ValueError):
    """A profile's stored runs were trained in another precision than this machine's."""


# --------------------------------------------------------------------------------------
# Small conventions of the files
# --------------------------------------------------------------------------------------


def now() -> str:
    """The current UTC time as the files store it: ``2026-01-01T00:00:00+00:00``."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def finite(value: Any) -> float:
    """A stored number as a float; NaN for a missing or an infinite ("inf") value."""
    v = float(value) if value is not None else math.nan
    return v if math.isfinite(v) else math.nan


def run_label(name: str) -> str:
    """How pages name a run: "resnet-56" -> "ResNet-56" ("plain-56" stays)."""
    return name.replace("resnet", "ResNet")


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, torch.Tensor):
        return _jsonable(x.tolist())
    return x


# --------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------


def _get(doc: Mapping[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def _require(doc: Mapping[str, Any], fields: Iterable[str], where: str) -> None:
    missing = []
    for f in fields:
        try:
            value = _get(doc, f)
        except KeyError:
            missing.append(f)
            continue
        if value is None or value == "":
            missing.append(f"{f} (empty)")
    if missing:
        raise SchemaError(f"{where}: missing {', '.join(missing)}")


def _check_run(part: str, run: Mapping[str, Any], label: str) -> None:
    """The fields one run of ``part`` must have, and the checks inside them."""
    _require(run, RUN_FIELDS + PART_FIELDS[part], label)
    if part == "degradation":
        if not run["epochs"]:
            raise SchemaError(f"{label}: no epochs recorded")
        for row in run["epochs"]:
            _require(row, EPOCH_FIELDS, f"{label} epoch {row.get('epoch', '?')}")
    if part == "lr_sweep":
        for sweep in run["runs"]:
            _require(sweep, ("lr", "steps"), f"{label} lr {sweep.get('lr', '?')}")
            absent = [k for k in ("diverged", "final_loss") if k not in sweep]
            if absent:
                raise SchemaError(
                    f"{label} lr {sweep['lr']}: missing {', '.join(absent)}"
                )
    if part == "responses" and not all(
        isinstance(s, (int, float)) for s in run["stds"]
    ):
        raise SchemaError(f"{label}: `stds` must be numbers")


def validate(doc: Mapping[str, Any], where: str = "results file") -> None:
    """Raise :class:`SchemaError` unless ``doc`` has every field its part needs."""
    _require(doc, TOP_FIELDS, where)
    part = doc["part"]
    if part not in PART_FIELDS:
        raise SchemaError(f"{where}: unknown part {part!r}; valid: {list(PART_FIELDS)}")
    _require(doc["provenance"], PROVENANCE_FIELDS, f"{where} provenance")
    if not isinstance(doc["runs"], list) or not doc["runs"]:
        raise SchemaError(f"{where}: `runs` must be a non-empty list")
    for run in doc["runs"]:
        _check_run(part, run, f"{where} run {run.get('key', '?')}")


# --------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------


def helpers_commit() -> dict[str, Any]:
    """The commit the code comes from, and whether ``helpers/`` is edited."""
    from helpers.core.versions import commit, helpers_edited

    sha = commit()
    if sha is None:
        return {"commit": "unknown (not a git checkout)", "dirty": None}
    return {"commit": sha, "dirty": helpers_edited()}


def device_info(profile: Profile) -> dict[str, Any]:
    """The device the runs use, in words, and the arithmetic precision of training."""
    from helpers.core.device import cpu_model, resolve_device
    from helpers.core.precision import amp_dtype

    device = resolve_device(profile.device)
    dtype = amp_dtype(device, profile.amp)
    precision = "float32" if dtype is None else f"{str(dtype).split('.')[-1]} autocast"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        threads = profile.num_threads or torch.get_num_threads()
        name = f"{cpu_model()}, {threads} thread{'s' if threads != 1 else ''}"
    return {"type": device.type, "name": name, "precision": precision}


def dataset_info(profile: Profile, train, test) -> dict[str, Any]:
    """The dataset, its title, the sizes of the two splits and where it was read from."""
    from helpers.data import DATASETS

    return {
        "name": profile.dataset,
        "title": DATASETS[profile.dataset].title,
        "train_images": len(train),
        "test_images": len(test),
        "val_size": profile.val_size,
        "subset_seed": 0,
        "source": train.source,
        "test_split": (
            "test (the paper's Fig. 6 plots test error; nothing is tuned on it)"
        ),
    }


def command_line(args: Sequence[str]) -> str:
    """The command that reruns a reference run, as the provenance records it."""
    return "python -m helpers.reproduce " + " ".join(shlex.quote(a) for a in args)


def provenance(
    profile: Profile, data: dict[str, Any], seeds: list[int], command: str
) -> dict[str, Any]:
    """Everything needed to say where a results file came from and to rerun it."""
    from helpers.core.versions import library_versions

    return {
        "profile": profile.to_dict(),
        "train_config": profile.train_config().to_dict(),
        "dataset": data,
        "device": device_info(profile),
        "versions": {"python": platform.python_version(), **library_versions()},
        "helpers": helpers_commit(),
        "platform": platform.platform(),
        "command": command,
        "seeds": list(seeds),
        "updated": now(),
    }


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (``flock`` on a file in the temporary folder named
    after it, so results/ holds only results) so that two workers on this machine never
    write the same results file at once; no lock where flock is missing."""
    try:
        import fcntl
    except ImportError:  # Windows: one worker at a time
        yield
        return
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"resnet-book-{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ResultsFile:
    """``results/<profile>/<part>.json``: provenance and one entry per run (atomic
    writes; a run with the same key replaces the old one).
    """

    def __init__(self, path: Path, part: str, prov: dict[str, Any]) -> None:
        self.path, self.part, self.prov = path, part, prov

    def load(self) -> dict[str, Any]:
        """The file's document, or an empty one with this command's provenance."""
        if self.path.exists():
            return json.loads(self.path.read_text())
        return {
            "schema": SCHEMA_VERSION,
            "part": self.part,
            "profile": self.prov["profile"]["name"],
            "provenance": self.prov,
            "runs": [],
        }

    def precisions(self) -> set[str]:
        """The training precisions of the recorded runs (a run from before runs carried
        their own: the file's provenance)."""
        doc = self.load()
        fallback = doc["provenance"]["device"]["precision"]
        return {r.get("precision", fallback) for r in doc["runs"]}

    def done(self, key: str) -> bool:
        """Whether the run ``key`` (e.g. "plain-20/s0") is recorded."""
        return self.entry(key) is not None

    def entry(self, key: str) -> dict[str, Any] | None:
        """The recorded entry of run ``key``, or None."""
        return next((r for r in self.load()["runs"] if r["key"] == key), None)

    def add(self, entry: dict[str, Any]) -> None:
        """Record one finished run; the provenance says this command updated the file.
        Several workers may share the file: the read-modify-write holds a lock."""
        with _locked(self.path):
            self._add(entry)

    def _add(self, entry: dict[str, Any]) -> None:
        doc = self.load()
        doc["runs"] = [r for r in doc["runs"] if r["key"] != entry["key"]] + [
            _jsonable(entry)
        ]
        doc["runs"].sort(key=lambda r: (r.get("seed", 0), r.get("order", 0), r["key"]))
        doc["provenance"] = {
            **self.prov,
            "updated": now(),
            "seeds": sorted({r["seed"] for r in doc["runs"]}),
        }
        if dist.is_main():  # under torchrun rank 0 writes, and every rank waits for it,
            write_text(self.path, json.dumps(doc, indent=1) + "\n")
        dist.barrier()  # so that all read the same files and take the same turns
