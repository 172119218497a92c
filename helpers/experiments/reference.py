"""Reference runs beside the build's own runs: read ``results/<profile>/*.json``, check
them, draw side-by-side panels and compute the sentences a chapter says about them.

The files come from ``python -m helpers.reproduce`` (see that module). Chapters never
name a profile: :func:`pick_profile` takes the best reference that exists under
``results/`` (the paper's CIFAR-10 recipe first, then other CIFAR-10 runs, then the
longest Fashion-MNIST run), so a new results folder, e.g. ``results/paper/`` from a GPU,
reaches the pages without code changes.

All errors in these files are fractions in [0, 1]; every sentence and axis shows
percent.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from helpers.experiments.paper_results import CIFAR10_TABLE6

__all__ = [
    "SchemaError",
    "results_root",
    "validate",
    "load_results",
    "available_profiles",
    "pick_profile",
    "seed_values",
    "seed_gaps",
    "paired_gap",
    "degradation_verdicts",
    "figure7_verdict",
    "lesion_verdict",
    "lr_sweep_verdict",
    "verdicts",
    "provenance_caption",
    "reference_panel",
]

PARTS = ("degradation", "responses", "gradients", "lesion", "lr_sweep")
_REPO = Path(__file__).resolve().parent.parent

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


def results_root() -> Path:
    """The ``results/`` folder of this checkout."""
    return _REPO / "results"


# --------------------------------------------------------------------------------------
# Reading and checking
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
        label = f"{where} run {run.get('key', '?')}"
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


def _budget(doc: Mapping[str, Any]) -> tuple[int, float]:
    prov = doc["provenance"]
    cifar = prov["dataset"]["name"] == "cifar10"
    steps = max((r["steps"][-1]["step"] for r in doc["runs"] if r["steps"]), default=0)
    return (
        int(prov["profile"]["name"] == "paper") * 2 + int(cifar),
        steps * prov["profile"].get("batch_size", 1),
    )


def pick_profile(results_dir: str | Path | None = None) -> str:
    """The best reference under ``results_dir``: the paper's recipe, else a CIFAR-10
    run, else the run that saw the most training images.
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


def _load(
    profile: str | None, results_dir: str | Path | None
) -> tuple[str, dict[str, Any]]:
    root = Path(results_dir) if results_dir is not None else results_root()
    name = profile or pick_profile(root)
    return name, load_results(root / name)


# --------------------------------------------------------------------------------------
# Numbers over seeds
# --------------------------------------------------------------------------------------


def seed_values(doc: Mapping[str, Any], name: str, field: str) -> dict[int, Any]:
    """``{seed: run[field]}`` for the runs called ``name`` (e.g. "plain-56")."""
    return {r["seed"]: r[field] for r in doc["runs"] if r["name"] == name}


def paired_gap(
    doc: Mapping[str, Any], deep: str, shallow: str, field: str
) -> tuple[float, float | None, int]:
    """Mean and sample std over seeds of ``deep - shallow`` in percentage points, seed
    by seed. Returns (mean, std or None for one seed, number of seeds).
    """
    gaps = seed_gaps(doc, deep, shallow, field)
    std = statistics.stdev(gaps) if len(gaps) > 1 else None
    return statistics.fmean(gaps), std, len(gaps)


def seed_gaps(
    doc: Mapping[str, Any], deep: str, shallow: str, field: str
) -> list[float]:
    """``deep - shallow`` in percentage points for every seed that has both runs."""
    a, b = seed_values(doc, deep, field), seed_values(doc, shallow, field)
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise KeyError(f"no seed has both {deep} and {shallow} in the results")
    return [100 * (a[s] - b[s]) for s in seeds]


def _sign_note(gaps: list[float]) -> str:
    """ ", the seeds disagree on the sign (+1.9 and -4.0)" when they do, else ""."""
    if min(gaps) < 0 < max(gaps):
        values = " and ".join(f"{g:+.1f}" for g in gaps)
        return f"; the seeds disagree on the sign ({values} points)"
    return ""


def _pm(mean: float, std: float | None, n: int, unit: str = "points") -> str:
    if std is None:
        return f"{abs(mean):.1f} {unit} (1 seed)"
    return f"{abs(mean):.1f} ± {std:.1f} {unit} (mean ± std over {n} seeds)"


def _depths(doc: Mapping[str, Any], kind: str) -> list[int]:
    return sorted({r["depth"] for r in doc["runs"] if r["kind"] == kind})


def _mean_final(doc: Mapping[str, Any], name: str, field: str, other: str) -> float:
    """Mean of ``field`` (in %) over the seeds that ``name`` and ``other`` share."""
    a, b = seed_values(doc, name, field), seed_values(doc, other, field)
    return 100 * statistics.fmean(a[s] for s in sorted(set(a) & set(b)))


# --------------------------------------------------------------------------------------
# Verdicts: sentences computed from the files
# --------------------------------------------------------------------------------------


def degradation_verdicts(doc: Mapping[str, Any]) -> dict[str, str]:
    """Sentences on the shallowest vs deepest plain net (training error) and ResNet
    (test error).

    Keys: "plain_train_gap", "resnet_test_gap", "resnet_train_gap", and
    "resnet_vs_paper" when both depths are in the paper's Table 6.
    """
    out = {}
    plain, res = _depths(doc, "plain"), _depths(doc, "resnet")
    res = [
        d for d in res if d in plain
    ] or res  # ResNet-110 has no plain twin in Fig. 6
    if len(plain) >= 2:
        lo, hi = f"plain-{plain[0]}", f"plain-{plain[-1]}"
        m, s, n = paired_gap(doc, hi, lo, "final_train_error")
        where = "above" if m > 0 else "below"
        out["plain_train_gap"] = (
            f"{hi} ends {_pm(m, s, n)} {where} {lo} in training error "
            f"({_mean_final(doc, hi, 'final_train_error', lo):.1f}% vs "
            f"{_mean_final(doc, lo, 'final_train_error', hi):.1f}%)"
            + _sign_note(seed_gaps(doc, hi, lo, "final_train_error"))
        )
    if len(res) >= 2:
        lo, hi = f"resnet-{res[0]}", f"resnet-{res[-1]}"
        for field, key, what in (
            ("final_test_error", "resnet_test_gap", "test error"),
            ("final_train_error", "resnet_train_gap", "training error"),
        ):
            m, s, n = paired_gap(doc, hi, lo, field)
            side = "lower" if m < 0 else "higher"
            out[key] = (
                f"ResNet-{res[-1]}'s {what} is {_pm(m, s, n)} {side} than "
                f"ResNet-{res[0]}'s ({_mean_final(doc, hi, field, lo):.1f}% vs "
                f"{_mean_final(doc, lo, field, hi):.1f}%)"
                + _sign_note(seed_gaps(doc, hi, lo, field))
            )
        paper = {r.depth: r.error for r in CIFAR10_TABLE6}
        if res[0] in paper and res[-1] in paper:
            m, s, n = paired_gap(doc, hi, lo, "final_test_error")
            gaps = seed_gaps(doc, hi, lo, "final_test_error")
            d = paper[res[-1]] - paper[res[0]]
            if min(gaps) < 0 < max(gaps):
                verdict = "so these seeds do not settle the paper's direction"
            elif (m < 0) == (d < 0):
                verdict = "so the paper's direction is reproduced"
            else:
                verdict = "so the paper's direction is not reproduced"
            out["resnet_vs_paper"] = (
                f"He et al. (2016, Table 6) report ResNet-{res[-1]} {abs(d):.2f} points "
                f"{'below' if d < 0 else 'above'} ResNet-{res[0]} on CIFAR-10 "
                f"({paper[res[-1]]:.2f}% vs {paper[res[0]]:.2f}%); in this reference run "
                f"it is {_pm(m, s, n)} {'below' if m < 0 else 'above'}, {verdict}"
            )
    return out


def _mean_std(doc: Mapping[str, Any], name: str) -> dict[int, float]:
    return {s: statistics.fmean(v) for s, v in seed_values(doc, name, "stds").items()}


def figure7_verdict(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Does Figure 7's ordering hold? (1) at each depth, the ResNet's residual responses
    are smaller than the plain net's; (2) the deeper ResNet's are smaller than the
    shallower one's. Compared seed by seed on the mean over blocks of each block's
    response std.

    Returns {"holds": bool, "text": sentence, "means": {name: mean over seeds}}.
    """
    names = sorted({r["name"] for r in doc["runs"]})
    per_seed = {n: _mean_std(doc, n) for n in names}
    means = {n: statistics.fmean(v.values()) for n, v in per_seed.items()}
    pairs = [(f"resnet-{d}", f"plain-{d}") for d in _depths(doc, "plain")]
    res = _depths(doc, "resnet")
    pairs += [
        (f"resnet-{hi}", f"resnet-{lo}") for lo, hi in zip(res, res[1:], strict=False)
    ]
    checks = []  # (sentence, holds in every seed)
    for small, large in pairs:
        if small not in per_seed or large not in per_seed:
            continue
        a, b = per_seed[small], per_seed[large]
        seeds = sorted(set(a) & set(b))
        ok = sum(a[s] < b[s] for s in seeds)
        if len(seeds) == 1:
            where = "1 seed"
        elif ok in (0, len(seeds)):
            where = "in both seeds" if len(seeds) == 2 else f"in all {len(seeds)} seeds"
        else:
            where = f"in {ok} of {len(seeds)} seeds"
        verb = "are smaller than" if ok == len(seeds) else "are not smaller than"
        if 0 < ok < len(seeds):
            verb = "are smaller than"
        checks.append(
            (
                f"{_label(small)}'s responses {verb} {_label(large)}'s "
                f"({means[small]:.2f} vs {means[large]:.2f}, {where})",
                ok == len(seeds),
            )
        )
    if not checks:
        raise KeyError(
            "the responses file has no plain/ResNet pair and no two ResNet depths"
        )
    holds = all(ok for _, ok in checks)
    head = (
        "Figure 7's ordering holds"
        if holds
        else "Figure 7's ordering does not fully hold"
    )
    ordered = [c for c, ok in checks if not ok] + [c for c, ok in checks if ok]
    text = f"{head} (mean response std over blocks): " + "; ".join(ordered)
    return {"holds": holds, "text": text, "means": means}


def lesion_verdict(doc: Mapping[str, Any]) -> str:
    """Test error with one non-downsampling block deleted, deepest ResNet and plain."""
    parts = []
    for kind in ("resnet", "plain"):
        depths = _depths(doc, kind)
        if not depths:
            continue
        name = f"{kind}-{depths[-1]}"
        runs = [r for r in doc["runs"] if r["name"] == name]
        base = statistics.fmean(r["baseline_error"] for r in runs)
        hits = [
            row["error"]
            for r in runs
            for row in r["rows"]
            if row["error"] is not None and not row["downsampling"]
        ]
        if hits:
            label = name.replace("resnet", "ResNet")
            parts.append(
                f"{label}: {100 * base:.1f}% intact, "
                f"{100 * statistics.fmean(hits):.1f}% "
                "on average with one non-downsampling block deleted"
            )
    return "; ".join(parts)


def lr_sweep_verdict(doc: Mapping[str, Any]) -> str:
    """For each constant learning rate: the iteration where the loss became NaN/inf, or
    the training loss it ended at (first seed)."""
    parts = []
    for run in doc["runs"][0]["runs"]:
        if run["diverged"]:
            parts.append(
                f"lr {run['lr']:g} diverged at iteration {run['diverged']['step']}"
            )
        else:
            parts.append(
                f"lr {run['lr']:g} ends at loss {_finite(run['final_loss']):.3g}"
            )
    return "; ".join(parts)


def verdicts(
    profile: str | None = None, results_dir: str | Path | None = None
) -> dict[str, str]:
    """Every sentence for the chosen reference run, keyed for ``myst_nb.glue``
    (``ref_plain_train_gap``, ``ref_resnet_test_gap``, ``ref_figure7``, ...)."""
    name, res = _load(profile, results_dir)
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


def provenance_caption(results: Mapping[str, Mapping[str, Any]]) -> str:
    """One caption line: dataset and sizes, schedule, width, seeds, device, precision,
    versions, commit, date and wall time of the reference run."""
    doc = results.get("degradation") or next(iter(results.values()))
    prov = doc["provenance"]
    prof, data, dev = prov["profile"], prov["dataset"], prov["device"]
    cfg = prov["train_config"]
    if cfg.get("iterations"):
        sched = f"{cfg['iterations']:,} iterations"
    else:
        sched = f"{cfg['epochs']} epochs"
    seeds = sorted({r["seed"] for r in doc["runs"]})
    wall = sum(r["wall_time_s"] for d in results.values() for r in d["runs"])
    dates = sorted(r["date"][:10] for d in results.values() for r in d["runs"])
    commit = str(prov["helpers"]["commit"])[:7]
    return (
        f"Reference run `{prof['name']}`: {data['title']}, "
        f"{data['train_images']:,} training / {data['test_images']:,} test images, "
        f"width {prof['width']}, {sched} at batch "
        f"{cfg['batch_size']}, seed{'s' if len(seeds) > 1 else ''} "
        f"{', '.join(map(str, seeds))}; {dev['name']}, {dev['precision']}; torch "
        f"{prov['versions']['torch'].split('+')[0]}, helpers {commit}; {dates[-1]}, "
        f"{wall / 60:.0f} min in all."
    )


# --------------------------------------------------------------------------------------
# Panels
# --------------------------------------------------------------------------------------


def _finite(value: Any) -> float:
    """A stored number as a float; NaN for a missing or an infinite ("inf") value."""
    v = float(value) if value is not None else math.nan
    return v if math.isfinite(v) else math.nan


def _style(name: str, depths: list[int]) -> dict[str, Any]:
    kind, depth = name.split("-")[0], int(name.split("-")[1])
    colors = ["C0", "C3", "C2", "C1", "C4", "C5"]
    i = depths.index(depth) if depth in depths else len(depths)
    shade = (
        "C0" if i == 0 else colors[1] if depth == depths[-1] else colors[min(i + 1, 5)]
    )
    return {"color": shade, "ls": "--" if kind == "plain" else "-", "lw": 1.4}


def _label(name: str) -> str:
    return name.replace("resnet", "ResNet")


def _band(ax, x, ys: list[list[float]], style: dict, label: str) -> None:
    n = min(len(y) for y in ys)
    cols = [[y[i] for y in ys] for i in range(n)]
    mean = [statistics.fmean(c) for c in cols]
    ax.plot(x[:n], mean, label=label, **style)
    if len(ys) > 1:
        ax.fill_between(
            x[:n],
            [min(c) for c in cols],
            [max(c) for c in cols],
            color=style["color"],
            alpha=0.15,
            lw=0,
        )


def _reference_degradation(ax_train, ax_test, doc: Mapping[str, Any]) -> None:
    names = sorted(
        {r["name"] for r in doc["runs"]},
        key=lambda n: (n.startswith("resnet"), int(n.split("-")[1])),
    )
    depths = sorted({r["depth"] for r in doc["runs"]})
    for name in names:
        runs = [r for r in doc["runs"] if r["name"] == name]
        style = _style(name, depths)
        steps = runs[0]["steps"]
        _band(
            ax_train,
            [s["epoch"] for s in steps],
            [[100 * s["error"] for s in r["steps"]] for r in runs],
            style,
            _label(name),
        )
        _band(
            ax_test,
            [e["epoch"] for e in runs[0]["epochs"]],
            [[100 * e["test_error"] for e in r["epochs"]] for r in runs],
            {**style, "marker": "."},
            _label(name),
        )


def _build_degradation(ax_train, ax_test, build: Mapping[str, Any]) -> None:
    depths = sorted({int(n.split("-")[1].split()[0]) for n in build})
    for name, h in build.items():
        style = _style(name.split()[0], depths)
        spe = h.meta.get("steps_per_epoch") or 1
        x, y = h.series("error", "steps")
        ax_train.plot(
            [s / spe for s in x], [100 * v for v in y], label=_label(name), **style
        )
        x, y = h.series("val_error", "epochs")
        ax_test.plot(x, [100 * v for v in y], label=_label(name), marker=".", **style)


def _reference_responses(ax, doc: Mapping[str, Any]) -> None:
    names = sorted(
        {r["name"] for r in doc["runs"]},
        key=lambda n: (n.startswith("resnet"), int(n.split("-")[1])),
    )
    depths = sorted({r["depth"] for r in doc["runs"]})
    for name in names:
        runs = [r["stds"] for r in doc["runs"] if r["name"] == name]
        _band(
            ax,
            list(range(1, len(runs[0]) + 1)),
            runs,
            _style(name, depths),
            _label(name),
        )


def _build_responses(ax, build: Mapping[str, Any]) -> None:
    depths = sorted({int(n.split("-")[1]) for n in build})
    for name, stds in build.items():
        ax.plot(
            range(1, len(stds) + 1),
            stds,
            label=_label(name),
            **_style(name.lower(), depths),
        )


def reference_panel(
    kind: str,
    build: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    results_dir: str | Path | None = None,
    build_label: str = "this build",
) -> tuple[plt.Figure, str]:
    """A figure of the reference run (right, or alone) beside the build's run (left),
    and its provenance caption. Nothing is trained.

    ``kind``: "degradation" (``build``: {"plain-20": History, ...} as from
    ``helpers.experiments.cache.degradation_runs``; rows: training error, test error) or
    "responses" (``build``: {"ResNet-20": [std per block], ...}), or "lesion",
    "gradients", "lr_sweep" (reference only). Reference curves are the mean over seeds;
    the band spans the seeds.
    """
    from helpers.core.figstyle import figsize

    name, res = _load(profile, results_dir)
    if kind not in res:
        raise KeyError(
            f"results/{name} has no {kind} file; run `python -m helpers.reproduce "
            f"--profile {name} --only {kind}`"
        )
    doc = res[kind]
    caption = provenance_caption(res)
    ref_title = f"reference run ({name})"
    cols = 2 if build is not None else 1
    if kind == "degradation":
        fig, axes = plt.subplots(
            2, cols, figsize=figsize(5.2), sharex="col", sharey="row", squeeze=False
        )
        _reference_degradation(axes[0, -1], axes[1, -1], doc)
        if build is not None:
            _build_degradation(axes[0, 0], axes[1, 0], build)
            axes[0, 0].set_title(build_label)
        axes[0, -1].set_title(ref_title)
        for row, what in enumerate(("training error (%)", "test error (%)")):
            axes[row, 0].set_ylabel(what)
        for ax in axes[1]:
            ax.set_xlabel("epoch")
        for ax in axes.flat:
            ax.grid(alpha=0.3)
        axes[0, -1].legend(fontsize=8, ncol=2)
        return fig, caption
    if kind == "responses":
        fig, axes = plt.subplots(
            1, cols, figsize=figsize(3.2), sharey=True, squeeze=False
        )
        _reference_responses(axes[0, -1], doc)
        if build is not None:
            _build_responses(axes[0, 0], build)
            axes[0, 0].set_title(build_label)
        axes[0, -1].set_title(ref_title)
        axes[0, 0].set_ylabel("std of residual response")
        for ax in axes[0]:
            ax.set_xlabel("block (input → output)")
            ax.grid(alpha=0.3)
        axes[0, -1].legend(fontsize=8)
        return fig, caption
    fig, ax = plt.subplots(figsize=figsize(3.2))
    depths = sorted({r.get("depth", 0) for r in doc["runs"]})
    if kind == "lesion":
        for n in sorted({r["name"] for r in doc["runs"]}):
            if not n.endswith(f"-{max(depths)}"):
                continue
            runs = [r for r in doc["runs"] if r["name"] == n]
            xs = [
                row["index"] + 1 for row in runs[0]["rows"] if row["error"] is not None
            ]
            ys = [
                [100 * row["error"] for row in r["rows"] if row["error"] is not None]
                for r in runs
            ]
            style = _style(n, depths)
            _band(
                ax,
                xs,
                ys,
                {**style, "marker": "o", "ms": 3},
                f"{_label(n)}: one block deleted",
            )
            base = statistics.fmean(r["baseline_error"] for r in runs)
            ax.axhline(
                100 * base,
                color=style["color"],
                ls=":",
                lw=1,
                label=f"{_label(n)}: intact",
            )
        ax.set_xlabel("deleted block (1 = nearest the input)")
        ax.set_ylabel("test error (%)")
        ax.set_ylim(0, 100)
    elif kind == "gradients":
        for n in sorted({r["name"] for r in doc["runs"]}):
            runs = [r for r in doc["runs"] if r["name"] == n]
            xs = list(range(1, len(runs[0]["trained_output"]) + 1))
            _band(
                ax,
                xs,
                [r["trained_output"] for r in runs],
                _style(n, depths),
                _label(n),
            )
        ax.set_yscale("log")
        ax.set_xlabel("block $l$ (input → output)")
        ax.set_ylabel(r"$\|\partial E/\partial x_l\|$ after training")
    elif kind == "lr_sweep":
        first = doc["runs"][0]
        for i, run in enumerate(first["runs"]):
            xs = [s["step"] for s in run["steps"]]
            ys = [_finite(s["loss"]) for s in run["steps"]]
            ax.plot(xs, ys, color=f"C{i}", label=f"lr = {run['lr']:g}")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("training loss")
    else:
        raise ValueError(f"unknown kind {kind!r}; valid: {list(PARTS)}")
    ax.set_title(ref_title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig, caption
