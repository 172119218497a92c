"""Figures for the "ResNet on ImageNet" and "Related work" chapters.

Every function here draws QUOTED paper numbers (from :mod:`helpers.experiments.paper_results`) and/or numbers
COMPUTED by the caller. Which is which, and where the computed numbers came from, is said in the
figure's caption on the page (the chapters write it), not in small print inside the image.
Figures are sized for the website's content column (``helpers.core.figstyle``): 7.2 in wide, text
at 8 pt or more.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt

from helpers.book import outputs
from helpers.book.outputs import Shown
from helpers.core.figstyle import figsize
from helpers.core.text import Text
from helpers.experiments import paper_results as pr

QUOTED_STYLE = dict(marker="o", linestyle="-")
FAMILY_COLORS = {
    "resnet": "tab:blue",
    "plain": "tab:gray",
    "vgg": "tab:red",
    "alexnet": "tab:purple",
    "googlenet": "tab:green",
    "densenet": "tab:brown",
}

__all__ = [
    "note",
    "plot_imagenet_depth",
    "plot_error_vs_gmacs",
    "plot_timeline",
    "plot_cost_scatter",
    "plot_ilsvrc_progress",
    "plot_photos_topk",
    "plot_attribution_overlay",
]


def note(text: str | Text, title: str | Text = "Note", kind: str = "note") -> Shown:
    """An admonition box computed at run time (HTML, styled like the book's admonitions);
    in both languages when ``text`` and ``title`` are :class:`~helpers.core.text.Text`."""
    if kind not in ("note", "warning", "important", "tip"):
        raise ValueError(
            f"kind must be one of note, warning, important, tip; got {kind!r}"
        )
    return outputs.html(
        f'<div class="admonition {kind}"><p class="admonition-title">'
        + _escaped(title)
        + "</p><p>"
        + _escaped(text)
        + "</p></div>"
    )


def _escaped(text: str | Text) -> str | Text:
    if isinstance(text, Text):
        return Text(html.escape(text.en), html.escape(text.zh))
    return html.escape(text)


# ------------------------------------------------------------------------------- ImageNet
def plot_imagenet_depth() -> plt.Figure:
    """(a) Table 2: plain vs residual at 18 and 34 layers. (b) Tables 3-4: error vs depth."""
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize(3.6), layout="constrained")
    for residual, label, color in (
        (False, "plain", "tab:red"),
        (True, "ResNet (option A)", "tab:blue"),
    ):
        rows = [r for r in pr.IMAGENET_TABLE2 if r.residual == residual]
        a.plot(
            [r.depth for r in rows],
            [r.top1 for r in rows],
            color=color,
            label=label,
            **QUOTED_STYLE,
        )
        for r in rows:  # outside the lines: left of the first point, right of the last
            first = r.depth == rows[0].depth
            a.annotate(
                f"{r.top1:.2f}",
                (r.depth, r.top1),
                textcoords="offset points",
                xytext=(-7 if first else 7, (-4 if residual else 4) if first else -3),
                ha="right" if first else "left",
                va="center",
                fontsize=9,
                color=color,
            )
    a.margins(y=0.15)
    a.set(
        xticks=[18, 34],
        xlim=(8, 44),
        xlabel="weighted layers",
        ylabel="top-1 error, % (10-crop)",
        title="Table 2: plain vs ResNet",
    )
    a.legend(loc="upper left")
    for table, label, color in (
        (pr.IMAGENET_TABLE3, "Table 3 (10-crop)", "tab:blue"),
        (pr.IMAGENET_TABLE4, "Table 4 (multi-scale)", "tab:green"),
    ):
        rows = [r for r in table if r.residual and r.shortcut not in ("A", "C")]
        b.plot(
            [r.depth for r in rows],
            [r.top1 for r in rows],
            color=color,
            label=label,
            **QUOTED_STYLE,
        )
    b.set(
        xticks=[34, 50, 101, 152],
        xlabel="weighted layers",
        ylabel="top-1 error, %",
        title="Tables 3-4: deeper ResNets",
    )
    b.legend()
    return fig


def plot_error_vs_gmacs(
    gmacs: Mapping[str, float], provenance: str | None = None
) -> plt.Figure:
    """Top-1 error (quoted, Tables 3 and 4) against GMACs computed from our models."""
    del provenance  # the chapter's caption says where the GMACs come from
    fig, ax = plt.subplots(figsize=figsize(3.8), layout="constrained")
    for table, label, color in (
        (pr.IMAGENET_TABLE3, "Table 3 (10-crop)", "tab:blue"),
        (pr.IMAGENET_TABLE4, "Table 4 (single model, multi-scale)", "tab:green"),
    ):
        rows = [
            r
            for r in table
            if r.residual
            and r.shortcut in ("A", "B")
            and r.name in gmacs
            and not (
                r.depth == 34 and r.shortcut == "A" and table is pr.IMAGENET_TABLE3
            )
        ]
        xs = [gmacs[r.name] for r in rows]
        ax.plot(xs, [r.top1 for r in rows], color=color, label=label, **QUOTED_STYLE)
        if table is pr.IMAGENET_TABLE3:
            for r, x in zip(rows, xs, strict=True):
                ax.annotate(
                    r.model.split()[0],
                    (x, r.top1),
                    textcoords="offset points",
                    xytext=(6, 5),
                    fontsize=9,
                )
    ax.margins(x=0.12, y=0.12)
    ax.set(
        xlabel="GMACs per 224×224 image (counted from our models)",
        ylabel="top-1 error, % (quoted)",
        title="Error against compute",
    )
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    return fig


# ------------------------------------------------------------------------------- related work
def plot_timeline() -> plt.Figure:
    """The related architectures by publication year, one row each, with their ILSVRC results.

    The row name carries the venue; a short ILSVRC result stands right of the marker.
    """
    archs = list(pr.ARCHITECTURES)
    fig, ax = plt.subplots(
        figsize=figsize(0.4 * len(archs) + 0.9), layout="constrained"
    )
    for row, arch in enumerate(archs):
        winner = arch.ilsvrc is not None and arch.ilsvrc.startswith("1st")
        color = "tab:orange" if winner else ("tab:blue" if arch.ilsvrc else "0.3")
        ax.plot(arch.year, row, "o", color=color, markersize=8, zorder=3)
        if arch.ilsvrc_top5_test is not None:
            place = arch.ilsvrc.split(",")[0].split(" in ")[0]
            ax.annotate(
                f"ILSVRC {arch.ilsvrc_year}: {place}, {arch.ilsvrc_top5_test}%",
                (arch.year, row),
                textcoords="offset points",
                xytext=(9, -3),
                fontsize=9,
                color=color,
            )
    names = [f"{a.name.split(' (')[0]} ({a.venue.split(' (')[0]})" for a in archs]
    ax.set_yticks(range(len(archs)), names)
    ax.invert_yaxis()
    ax.set(
        xlim=(2011.5, 2022.3),
        xticks=list(range(2012, 2019)),
        xlabel="year of peer-reviewed publication",
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        "ILSVRC top-5 test error: winner (orange), other placing (blue)", loc="right"
    )
    return fig


def plot_cost_scatter(
    rows: Sequence[Mapping[str, object]], provenance: str | None = None
) -> plt.Figure:
    """Parameters against GMACs for our implementations (both computed), one dot per model.

    ``rows`` are :func:`helpers.analysis.latency.model_cost_table` rows (name, params, gmacs).
    """
    del provenance
    fig, a = plt.subplots(figsize=figsize(4.2), layout="constrained")
    left_of = {
        "vgg16",
        "resnet34",
        "resnet101",
    }  # close neighbours: label on the other side
    for row in rows:
        name = str(row["name"])
        color = next(
            (c for prefix, c in FAMILY_COLORS.items() if name.startswith(prefix)), "0.3"
        )
        a.scatter(row["gmacs"], row["params"] / 1e6, color=color, s=45, zorder=3)
        left = name in left_of
        a.annotate(
            name,
            (row["gmacs"], row["params"] / 1e6),
            textcoords="offset points",
            xytext=(-6, 3) if left else (6, 3),
            ha="right" if left else "left",
            fontsize=9,
        )
    a.set(
        xscale="log",
        yscale="log",
        xlabel="GMACs per 224×224 image",
        ylabel="parameters (millions)",
        title="Parameters against compute",
    )
    a.margins(x=0.25, y=0.15)
    a.grid(alpha=0.3, which="both")
    return fig


def plot_ilsvrc_progress() -> plt.Figure:
    """The winning (or placed) ILSVRC classification entries' top-5 test error by year."""
    fig, b = plt.subplots(figsize=figsize(3.2, 0.8), layout="constrained")
    entries = [x for x in pr.ARCHITECTURES if x.ilsvrc_top5_test is not None]
    b.plot(
        [x.ilsvrc_year for x in entries],
        [x.ilsvrc_top5_test for x in entries],
        "o-",
        color="0.4",
    )
    for x in entries:
        left = x.name == "VGG"  # shares 2014 with GoogLeNet
        b.annotate(
            f"{x.name.split(' ')[0]} {x.ilsvrc_top5_test}%",
            (x.ilsvrc_year, x.ilsvrc_top5_test),
            textcoords="offset points",
            xytext=(-7, 2) if left else (7, 2),
            ha="right" if left else "left",
            fontsize=9,
        )
    b.set(
        xlabel="ILSVRC year",
        ylabel="top-5 test error, %",
        xlim=(2011.2, 2018.8),
        ylim=(0, 18),
        title="ILSVRC classification entries (mostly ensembles)",
    )
    b.grid(alpha=0.3)
    return fig


def plot_photos_topk(
    images: Sequence,
    predictions: Sequence[Sequence[tuple[str, float]]],
    titles: Sequence[str],
    provenance: str | None = None,
) -> plt.Figure:
    """Each photo beside a bar chart of its top-k classes and probabilities (one row each)."""
    del provenance
    n = len(images)
    fig, axes = plt.subplots(
        n,
        2,
        figsize=figsize(1.9 * n + 0.2),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": [1, 2.2]},
    )
    for j in range(n):
        axes[j, 0].imshow(images[j])
        axes[j, 0].set_title(titles[j], fontsize=9)
        axes[j, 0].axis("off")
        names = [name[:24] for name, _ in predictions[j]][::-1]
        probs = [p for _, p in predictions[j]][::-1]
        axes[j, 1].barh(names, probs, color="tab:blue")
        axes[j, 1].set_xlim(0, 1)
        axes[j, 1].tick_params(labelsize=9)
        if j == n - 1:
            axes[j, 1].set_xlabel("probability")
    return fig


def plot_attribution_overlay(
    images: Sequence,
    attributions,
    titles: Sequence[str],
    provenance: str | None = None,
    cmap: str = "inferno",
) -> plt.Figure:
    """Photo, attribution magnitude, and the two overlaid, one row per image.

    ``images`` are (H, W, 3) arrays in [0, 1]; ``attributions`` a (B, 3, H, W) tensor. The map is
    the absolute attribution summed over colour channels, scaled to its 99th percentile; a colour
    bar shows that scale.
    """
    del provenance
    n = len(images)
    fig, axes = plt.subplots(
        n, 3, figsize=figsize(2.3 * n + 0.5), squeeze=False, layout="constrained"
    )
    shown = None
    for i in range(n):
        magnitude = attributions[i].detach().float().abs().sum(0)
        top = magnitude.flatten().quantile(0.99).clamp_min(1e-12)
        magnitude = (magnitude / top).clamp(0, 1).cpu().numpy()
        axes[i, 0].imshow(images[i])
        shown = axes[i, 1].imshow(magnitude, cmap=cmap, vmin=0, vmax=1)
        axes[i, 2].imshow(images[i])
        axes[i, 2].imshow(magnitude, cmap=cmap, vmin=0, vmax=1, alpha=0.6)
        axes[i, 0].set_ylabel(titles[i], fontsize=9)
        for ax, title in zip(
            axes[i], ("photo", "|attribution|", "overlay"), strict=True
        ):
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title)
    if shown is not None:
        bar = fig.colorbar(shown, ax=axes[:, 2], shrink=0.8)
        bar.set_label("|attribution| / 99th percentile")
    return fig
