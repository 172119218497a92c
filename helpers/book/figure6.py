"""The degradation experiment laid out as the paper's Figure 6 (He et al. 2016, Sec. 4.2).

The paper draws plain networks on the left and ResNets on the right, each panel holding
all depths, with dashed lines for the training error and bold lines for the test error.
Here a row holds one run: the build's own (top, when given) and the reference run
(bottom; mean over seeds, band spanning them). The y axis stops at a height chosen from
the later epochs so that the end of training, where depth is compared, is readable: the
first epochs' higher errors run off the top, as in the paper's panels.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from helpers.core.figstyle import figsize, network_style
from helpers.experiments.results import run_label

__all__ = ["figure6", "mean_band"]

KINDS = (("plain", "plain networks"), ("resnet", "ResNets"))
TRAIN = {"ls": "--", "lw": 0.9}  # the paper: dashed training error
TEST = {"ls": "-", "lw": 2.0, "marker": "."}  # and bold test error


def mean_band(ax, x, ys: list[list[float]], style: dict, label: str | None) -> None:
    """The mean of the curves ``ys`` (one per seed), and the band from their minimum to
    their maximum."""
    n = min(len(y) for y in ys)
    cols = [[y[i] for y in ys] for i in range(n)]
    ax.plot(x[:n], [statistics.fmean(c) for c in cols], label=label, **style)
    if len(ys) > 1:
        lo, hi = [min(c) for c in cols], [max(c) for c in cols]
        ax.fill_between(x[:n], lo, hi, color=style["color"], alpha=0.15, lw=0)


def _reference_curves(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> {"train": (x, [curve per seed]), "test": (x, [curve per seed])} in %."""
    curves = {}
    for name in sorted({r["name"] for r in doc["runs"]}):
        runs = [r for r in doc["runs"] if r["name"] == name]
        train_x = [s["epoch"] for s in runs[0]["steps"]]
        test_x = [e["epoch"] for e in runs[0]["epochs"]]
        curves[name] = {
            "train": (train_x, [[100 * s["error"] for s in r["steps"]] for r in runs]),
            "test": (
                test_x,
                [[100 * e["test_error"] for e in r["epochs"]] for r in runs],
            ),
        }
    return curves


def _build_curves(build: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The same from the build's Histories ({"plain-20": History, ...})."""
    curves = {}
    for name, h in build.items():
        spe = h.meta.get("steps_per_epoch") or 1
        sx, sy = h.series("error", "steps")
        ex, ey = h.series("val_error", "epochs")
        key = name.split()[0].lower()
        curves[key] = {
            "train": ([s / spe for s in sx], [[100 * v for v in sy]]),
            "test": (list(ex), [[100 * v for v in ey]]),
        }
    return curves


def _top(curves: dict[str, dict[str, Any]]) -> float:
    """A y limit that shows the second half of training whole."""
    late = []
    for c in curves.values():
        for x, ys in (c["train"], c["test"]):
            half = x[-1] / 2 if x else 0
            late += [v for y in ys for xi, v in zip(x, y, strict=False) if xi >= half]
    return min(100.0, 1.25 * max(late, default=100.0) + 1)


def _draw_row(axes, curves: dict[str, dict[str, Any]], title: str) -> None:
    depth = lambda n: int(n.split("-")[1])  # noqa: E731
    for ax, (kind, what) in zip(axes, KINDS, strict=True):
        names = sorted((n for n in curves if n.startswith(kind)), key=depth)
        for name in names:
            colour = network_style(name).get("color", "0.4")
            x, ys = curves[name]["train"]
            mean_band(ax, x, ys, {**TRAIN, "color": colour}, None)
            x, ys = curves[name]["test"]
            mean_band(ax, x, ys, {**TEST, "color": colour}, run_label(name))
        ax.set_title(f"{what}: {title}")
        ax.set_ylim(0, _top(curves))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")


def figure6(
    doc: Mapping[str, Any],
    build: Mapping[str, Any] | None = None,
    *,
    title: str = "reference run",
    build_label: str = "this build",
) -> plt.Figure:
    """Plain (left) and ResNet (right) error curves of a reference run's degradation
    results ``doc``, under the build's runs when ``build`` ({"plain-20": History, ...})."""
    rows = [(_build_curves(build), build_label)] if build is not None else []
    rows.append((_reference_curves(doc), title))
    fig, axes = plt.subplots(
        len(rows),
        2,
        figsize=figsize(2.6 * len(rows) + 0.5),
        sharey="row",
        squeeze=False,
    )
    for row, (curves, label) in zip(axes, rows, strict=True):
        _draw_row(row, curves, label)
        row[0].set_ylabel("error (%)")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    key = [Line2D([], [], color="0.3", **TRAIN), Line2D([], [], color="0.3", **TEST)]
    fig.legend(
        key, ["training error", "test error"], loc="outside lower center", ncol=2
    )
    return fig
