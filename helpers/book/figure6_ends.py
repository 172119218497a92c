"""The end of the degradation experiment, seed by seed (He et al. 2016, Fig. 6).

Figure 6's curves (:mod:`helpers.book.figure6`) average a run's seeds. This figure shows
each seed's final errors, so that whether a sign holds in every seed can be read off: per
seed, a line joins the shallowest and the deepest net of a kind, the training error dashed
with hollow markers and the test error solid with filled ones. The two panels share one
scale (points of error per inch) over different ranges, so that a small gap looks small.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from helpers.book.figure6 import KINDS
from helpers.core.figstyle import figsize, network_style
from helpers.experiments.results import run_label
from helpers.experiments.verdicts import seed_values

__all__ = ["figure6_ends"]

# (field, line style, marker face: None = the network's colour)
ENDS = (
    ("final_train_error", {"ls": "--", "lw": 0.9}, "white"),
    ("final_test_error", {"ls": "-", "lw": 1.6}, None),
)


def _pair(ax, doc: Mapping[str, Any], shallow: str, deep: str) -> None:
    """One line per seed from ``shallow`` (x=0) to ``deep`` (x=1), per error field."""
    colours = [network_style(n).get("color", "0.4") for n in (shallow, deep)]
    for field, line, face in ENDS:
        a, b = seed_values(doc, shallow, field), seed_values(doc, deep, field)
        for seed in sorted(set(a) & set(b)):
            ys = [100 * a[seed], 100 * b[seed]]
            ax.plot([0, 1], ys, color="0.55", zorder=1, **line)
            ax.scatter(
                [0, 1],
                ys,
                s=30,
                zorder=2,
                facecolors=face or colours,
                edgecolors=colours,
                linewidths=1.2,
            )


def _same_scale(axes) -> None:
    """Give every panel the widest panel's span, each centred on its own data."""
    limits = [ax.dataLim.intervaly for ax in axes]
    span = 1.2 * max(hi - lo for lo, hi in limits) + 0.2
    for ax, (lo, hi) in zip(axes, limits, strict=True):
        mid = (lo + hi) / 2
        ax.set_ylim(mid - span / 2, mid + span / 2)


def figure6_ends(doc: Mapping[str, Any]) -> plt.Figure:
    """Final training and test error of the shallowest and the deepest plain net (left)
    and ResNet (right) of a degradation results ``doc``, one line per seed."""
    fig, axes = plt.subplots(1, 2, figsize=figsize(3.0))
    for ax, (kind, what) in zip(axes, KINDS, strict=True):
        depths = sorted({r["depth"] for r in doc["runs"] if r["kind"] == kind})
        if len(depths) < 2:
            raise ValueError(
                f"the results hold {kind} nets of one depth only: {depths}"
            )
        shallow, deep = f"{kind}-{depths[0]}", f"{kind}-{depths[-1]}"
        _pair(ax, doc, shallow, deep)
        ax.set_xticks([0, 1], [run_label(shallow), run_label(deep)])
        ax.set_xlim(-0.35, 1.35)
        ax.set_title(what)
        ax.grid(alpha=0.3, axis="y")
    _same_scale(axes)
    axes[0].set_ylabel("final error (%)")
    key = [
        Line2D([], [], color="0.4", marker="o", mfc=face or "0.4", **line)
        for _, line, face in ENDS
    ]
    fig.legend(
        key,
        ["training error, one line per seed", "test error, one line per seed"],
        loc="outside lower center",
        ncol=2,
    )
    return fig
