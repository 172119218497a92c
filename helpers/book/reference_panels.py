"""Figures of the reference runs (``results/<profile>/*.json``), beside the build's runs.

One panel function per experiment part of :mod:`helpers.experiments.reproduce`:
degradation (He et al. 2016, Fig. 6: training and test error), responses (Fig. 7: std
of each block's residual response), gradients, lesion (Veit et al. 2016) and the
learning-rate sweep. Reference curves are the mean over seeds, the band spans the seeds;
errors are stored as fractions and drawn in percent. :func:`reference_panel` is what the
chapters call: it picks the reference run and returns the figure with its caption.
Nothing is trained here.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from helpers.book.figure6 import figure6, mean_band
from helpers.core.figstyle import figsize, network_style, plain_log_ticks
from helpers.experiments.caption import provenance_caption
from helpers.experiments.reference import load_reference
from helpers.experiments.results import PARTS, finite, run_label

__all__ = [
    "reference_panel",
    "degradation_panel",
    "responses_panel",
    "gradients_panel",
    "lesion_panel",
    "lr_sweep_panel",
]

BUILD_LABEL = "this build"


def _style(name: str, depths: list[int]) -> dict[str, Any]:
    """The network's colour in every figure of the book, dashed for plain nets."""
    del depths
    kind = name.split("-")[0]
    fallback = {"color": "0.4", "ls": "--" if kind == "plain" else "-"}
    return {**fallback, **network_style(name), "lw": 1.4}


def _names(doc: Mapping[str, Any]) -> list[str]:
    """The runs' names, plain before ResNet, shallow before deep."""
    return sorted(
        {r["name"] for r in doc["runs"]},
        key=lambda n: (n.startswith("resnet"), int(n.split("-")[1])),
    )


def _runs(doc: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in doc["runs"] if r["name"] == name]


def _single(title: str, draw) -> plt.Figure:
    """A one-axes reference figure: ``draw(ax)``, then title, grid and legend."""
    fig, ax = plt.subplots(figsize=figsize(3.2))
    draw(ax)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------------------
# Degradation and responses: reference (right, or alone) beside the build (left)
# --------------------------------------------------------------------------------------


def degradation_panel(
    doc: Mapping[str, Any],
    build: Mapping[str, Any] | None = None,
    *,
    title: str = "reference run",
    build_label: str = BUILD_LABEL,
) -> plt.Figure:
    """The paper's Figure 6 layout (plain left, ResNets right; dashed training error, bold
    test error): the build's run on top when ``build`` ({"plain-20": History, ...} as from
    ``helpers.experiments.cache.degradation_runs``), the reference run below. The panel
    titles say "reference run"; the caption names its profile."""
    del title
    return figure6(doc, build, title="reference run", build_label=build_label)


def responses_panel(
    doc: Mapping[str, Any],
    build: Mapping[str, Any] | None = None,
    *,
    title: str = "reference run",
    build_label: str = BUILD_LABEL,
) -> plt.Figure:
    """Std of each block's residual response, input to output (Fig. 7). ``build``:
    {"ResNet-20": [std per block], ...}."""
    cols = 2 if build is not None else 1
    fig, axes = plt.subplots(1, cols, figsize=figsize(3.2), sharey=True, squeeze=False)
    depths = sorted({r["depth"] for r in doc["runs"]})
    for name in _names(doc):
        stds = [r["stds"] for r in _runs(doc, name)]
        x = list(range(1, len(stds[0]) + 1))
        mean_band(axes[0, -1], x, stds, _style(name, depths), run_label(name))
    if build is not None:
        build_depths = sorted({int(n.split("-")[1]) for n in build})
        for name, stds in build.items():
            style = _style(name.lower(), build_depths)
            axes[0, 0].plot(
                range(1, len(stds) + 1), stds, label=run_label(name), **style
            )
        axes[0, 0].set_title(build_label)
    axes[0, -1].set_title(title)
    axes[0, 0].set_ylabel("std of residual response (log scale)")
    for ax in axes[0]:
        ax.set_xlabel("block (input → output)")
        ax.set_yscale("log")  # as in the build's figure
        plain_log_ticks(ax)
        ax.grid(alpha=0.3, which="both")
    axes[0, -1].legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------------------
# Reference only
# --------------------------------------------------------------------------------------


def lesion_panel(doc: Mapping[str, Any], *, title: str = "reference run") -> plt.Figure:
    """Test error of the deepest nets with each block deleted, and intact (dotted)."""
    depths = sorted({r.get("depth", 0) for r in doc["runs"]})

    def draw(ax) -> None:
        for n in sorted({r["name"] for r in doc["runs"]}):
            if not n.endswith(f"-{max(depths)}"):
                continue
            runs, style = _runs(doc, n), _style(n, depths)
            rows = [
                [row for row in r["rows"] if row["error"] is not None] for r in runs
            ]
            xs = [row["index"] + 1 for row in rows[0]]
            ys = [[100 * row["error"] for row in rs] for rs in rows]
            marked = {**style, "marker": "o", "ms": 3}
            mean_band(ax, xs, ys, marked, f"{run_label(n)}: one block deleted")
            base = 100 * statistics.fmean(r["baseline_error"] for r in runs)
            ax.axhline(
                base,
                color=style["color"],
                ls=":",
                lw=1,
                label=f"{run_label(n)}: intact",
            )
        ax.set_xlabel("deleted block (1 = nearest the input)")
        ax.set_ylabel("test error (%)")
        ax.set_ylim(0, 100)

    return _single(title, draw)


def gradients_panel(
    doc: Mapping[str, Any], *, title: str = "reference run"
) -> plt.Figure:
    """Norm of the loss gradient at each block's output after training (log scale)."""
    depths = sorted({r.get("depth", 0) for r in doc["runs"]})

    def draw(ax) -> None:
        for n in sorted({r["name"] for r in doc["runs"]}):
            norms = [r["trained_output"] for r in _runs(doc, n)]
            xs = list(range(1, len(norms[0]) + 1))
            mean_band(ax, xs, norms, _style(n, depths), run_label(n))
        ax.set_yscale("log")
        ax.set_xlabel("block $l$ (input → output)")
        ax.set_ylabel(r"$\|\partial E/\partial x_l\|$ after training")

    return _single(title, draw)


def lr_sweep_panel(
    doc: Mapping[str, Any], *, title: str = "reference run"
) -> plt.Figure:
    """Training loss per iteration at each constant learning rate (first seed)."""

    def draw(ax) -> None:
        for i, run in enumerate(doc["runs"][0]["runs"]):
            xs = [s["step"] for s in run["steps"]]
            ys = [finite(s["loss"]) for s in run["steps"]]
            ax.plot(xs, ys, color=f"C{i}", label=f"lr = {run['lr']:g}")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("training loss")

    return _single(title, draw)


# --------------------------------------------------------------------------------------
# What the chapters call
# --------------------------------------------------------------------------------------

_WITH_BUILD = {"degradation": degradation_panel, "responses": responses_panel}
_REFERENCE_ONLY = {
    "gradients": gradients_panel,
    "lesion": lesion_panel,
    "lr_sweep": lr_sweep_panel,
}


def reference_panel(
    kind: str,
    build: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    results_dir: str | Path | None = None,
    build_label: str = BUILD_LABEL,
) -> tuple[plt.Figure, str]:
    """The figure of one part of the reference run (right, or alone) beside the build's
    run (left, for "degradation" and "responses"), and its provenance caption.

    ``kind``: one of :data:`~helpers.experiments.results.PARTS`. ``profile=None``: the
    best reference under ``results/`` (:func:`helpers.experiments.reference.pick_profile`).
    """
    if kind not in PARTS:
        raise ValueError(f"unknown kind {kind!r}; valid: {list(PARTS)}")
    if build is not None and kind not in _WITH_BUILD:
        raise ValueError(
            f"{kind!r} has no build side; the build's runs can be drawn beside "
            f"{' and '.join(_WITH_BUILD)} only"
        )
    name, res = load_reference(profile, results_dir)
    if kind not in res:
        raise KeyError(
            f"results/{name} has no {kind} file; run `python -m helpers.reproduce "
            f"--profile {name} --only {kind}`"
        )
    title = f"reference run ({name})"
    if kind in _WITH_BUILD:
        fig = _WITH_BUILD[kind](res[kind], build, title=title, build_label=build_label)
    else:
        fig = _REFERENCE_ONLY[kind](res[kind], title=title)
    return fig, provenance_caption(res)
