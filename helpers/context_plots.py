"""Figures and tables for the "ResNet on ImageNet" and "Related work" chapters.

Every function here draws QUOTED paper numbers (from :mod:`helpers.paper_results`) and/or numbers
COMPUTED by the caller, and labels which is which: quoted values carry their citation in the
caption, computed ones a provenance line.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt

from helpers import paper_results as pr
from helpers.plots import add_provenance

QUOTED_STYLE = dict(marker="o", linestyle="-")
FAMILY_COLORS = {"resnet": "tab:blue", "plain": "tab:gray", "vgg": "tab:red", "alexnet": "tab:purple",
                 "googlenet": "tab:green", "densenet": "tab:brown"}


# ------------------------------------------------------------------------------------- tables
@dataclass
class Table:
    """A small table that renders as HTML in notebooks and on the website (and as markdown text).

    ``columns`` maps a row key to its header; ``formats`` maps a key to a function giving the cell
    text (default ``str``; ``None`` cells print as an em dash).
    """

    rows: Sequence[Mapping[str, object]]
    columns: Mapping[str, str]
    formats: Mapping[str, Callable[[object], str]] | None = None
    caption: str | None = None

    def _cells(self) -> list[list[str]]:
        fmt = self.formats or {}
        return [[("—" if r.get(k) is None else fmt.get(k, str)(r.get(k))) for k in self.columns]
                for r in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.columns.values())
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self._cells())
        cap = (f'<caption style="caption-side: bottom; font-size: 0.8em; color: #666">'
               f"{html.escape(self.caption)}</caption>") if self.caption else ""
        return f'<table class="table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self.columns.values()) + " |",
                 "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(row) + " |" for row in self._cells()]
        if self.caption:
            lines.append(f"\n{self.caption}")
        return "\n".join(lines)


def note(text: str, title: str = "Note", kind: str = "note"):
    """An admonition box computed at run time (HTML, styled like the book's admonitions)."""
    from IPython.display import HTML

    if kind not in ("note", "warning", "important", "tip"):
        raise ValueError(f"kind must be one of note, warning, important, tip; got {kind!r}")
    return HTML(f'<div class="admonition {kind}"><p class="admonition-title">{html.escape(title)}'
                f"</p><p>{html.escape(text)}</p></div>")




# ------------------------------------------------------------------------------- ImageNet
def plot_imagenet_depth(figsize: tuple[float, float] = (9.5, 3.6)) -> plt.Figure:
    """(a) Table 2: plain vs residual at 18 and 34 layers. (b) Tables 3 and 4: error vs depth."""
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize)
    for residual, label, color in ((False, "plain", "tab:red"), (True, "ResNet (option A)", "tab:blue")):
        rows = [r for r in pr.IMAGENET_TABLE2 if r.residual == residual]
        a.plot([r.depth for r in rows], [r.top1 for r in rows], color=color, label=label, **QUOTED_STYLE)
        for r in rows:
            a.annotate(f"{r.top1:.2f}", (r.depth, r.top1), textcoords="offset points",
                       xytext=(8, 4 if not residual else -10), fontsize=8, color=color)
    a.margins(y=0.12)
    a.set(xticks=[18, 34], xlim=(14, 40), xlabel="weighted layers", ylabel="top-1 error, % (10-crop)",
          title="Table 2: deeper plain net is worse")
    a.legend(fontsize=8)
    for table, label, color in ((pr.IMAGENET_TABLE3, "Table 3 (10-crop)", "tab:blue"),
                                (pr.IMAGENET_TABLE4, "Table 4 (single model, multi-scale)", "tab:green")):
        rows = [r for r in table if r.residual and r.shortcut != "C" and r.shortcut != "A"]
        b.plot([r.depth for r in rows], [r.top1 for r in rows], color=color, label=label, **QUOTED_STYLE)
    b.set(xticks=[34, 50, 101, 152], xlabel="weighted layers",
          ylabel="top-1 error, %", title="Tables 3-4: deeper ResNets are better")
    b.legend(fontsize=8)
    fig.tight_layout()
    add_provenance(fig, "All errors quoted from He et al. (2016), ImageNet validation set; not measured here.")
    return fig


def plot_error_vs_gmacs(gmacs: Mapping[str, float], provenance: str,
                        figsize: tuple[float, float] = (6.2, 4.0)) -> plt.Figure:
    """Top-1 error (quoted, Tables 3 and 4) against GMACs computed from our models (``gmacs``)."""
    fig, ax = plt.subplots(figsize=figsize)
    for table, label, color in ((pr.IMAGENET_TABLE3, "Table 3 (10-crop)", "tab:blue"),
                                (pr.IMAGENET_TABLE4, "Table 4 (single model)", "tab:green")):
        rows = [r for r in table if r.residual and r.shortcut in ("A", "B") and r.name in gmacs
                and not (r.depth == 34 and r.shortcut == "A" and table is pr.IMAGENET_TABLE3)]
        xs = [gmacs[r.name] for r in rows]
        ax.plot(xs, [r.top1 for r in rows], color=color, label=label, **QUOTED_STYLE)
        if table is pr.IMAGENET_TABLE3:
            for r, x in zip(rows, xs):
                ax.annotate(r.model.split()[0], (x, r.top1), textcoords="offset points",
                            xytext=(5, 4), fontsize=8)
    ax.set(xlabel="GMACs per 224×224 image (computed from helpers.models)",
           ylabel="top-1 error, % (quoted)", title="Error against compute")
    ax.legend(fontsize=8)
    fig.tight_layout()
    add_provenance(fig, f"Errors quoted from He et al. (2016). GMACs computed: {provenance}")
    return fig


# ------------------------------------------------------------------------------- related work
def plot_timeline(figsize: tuple[float, float] = (9.5, 4.2)) -> plt.Figure:
    """The related architectures by publication year, one row each, with their ILSVRC results."""
    fig, ax = plt.subplots(figsize=figsize)
    archs = list(pr.ARCHITECTURES)
    for row, arch in enumerate(archs):
        winner = arch.ilsvrc is not None and arch.ilsvrc.startswith("1st")
        color = "tab:orange" if winner else ("tab:blue" if arch.ilsvrc else "0.35")
        ax.plot(arch.year, row, "o", color=color, markersize=8, zorder=3)
        ax.hlines(row, 2011.6, arch.year, color="0.85", lw=1, zorder=1)
        label = f"{arch.venue}"
        if arch.ilsvrc_top5_test is not None:
            label += f" · ILSVRC {arch.ilsvrc_year}: {arch.ilsvrc.split(',')[0]}, {arch.ilsvrc_top5_test}% top-5"
        ax.annotate(label, (arch.year, row), textcoords="offset points", xytext=(9, -3), fontsize=8,
                    color=color)
    ax.set_yticks(range(len(archs)), [a.name for a in archs], fontsize=9)
    ax.invert_yaxis()
    ax.set(xlim=(2011.6, 2021.5), xticks=list(range(2012, 2019)), xlabel="year of publication")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Orange: ILSVRC classification winner; blue: other ILSVRC placing", fontsize=10)
    fig.tight_layout()
    add_provenance(fig, "Years, venues and ILSVRC results quoted from the cited papers (helpers.paper_results).")
    return fig


def plot_cost_scatter(rows: Sequence[Mapping[str, object]], provenance: str,
                      figsize: tuple[float, float] = (10, 3.9)) -> plt.Figure:
    """(a) parameters against GMACs, both computed; (b) ILSVRC winning top-5 error by year, quoted.

    ``rows`` are :func:`helpers.analysis.latency.model_cost_table` rows (keys name, params, gmacs).
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1.25, 1]})
    for row in rows:
        color = next((c for prefix, c in FAMILY_COLORS.items() if str(row["name"]).startswith(prefix)),
                     "0.3")
        a.scatter(row["gmacs"], row["params"] / 1e6, color=color, s=40, zorder=3)
        left = row["name"] in ("vgg16", "resnet34")  # neighbours on the plot: label to the left
        a.annotate(str(row["name"]), (row["gmacs"], row["params"] / 1e6), textcoords="offset points",
                   xytext=(-5, 3) if left else (4, 3), ha="right" if left else "left", fontsize=8)
    a.set(xscale="log", yscale="log", xlabel="GMACs per 224×224 image", ylabel="parameters (millions)",
          title="Cost of our implementations (computed)")
    entries = [x for x in pr.ARCHITECTURES if x.ilsvrc_top5_test is not None]
    b.plot([x.ilsvrc_year for x in entries], [x.ilsvrc_top5_test for x in entries], "o-", color="0.4")
    for x in entries:
        left = x.name == "VGG"  # shares 2014 with GoogLeNet
        b.annotate(f"{x.name.split(' ')[0]}\n{x.ilsvrc_top5_test}%", (x.ilsvrc_year, x.ilsvrc_top5_test),
                   textcoords="offset points", xytext=(-6, 2) if left else (6, 2),
                   ha="right" if left else "left", fontsize=8)
    b.set(xlabel="ILSVRC year", ylabel="top-5 test error, % (quoted)", xlim=(2011.5, 2018.5),
          ylim=(0, 18),
          title="Competition entries (mostly ensembles)")
    fig.tight_layout()
    add_provenance(fig, f"Left computed: {provenance}. Right quoted from the cited papers.")
    return fig


def plot_photos_topk(images: Sequence, predictions: Sequence[Sequence[tuple[str, float]]],
                     titles: Sequence[str], provenance: str) -> plt.Figure:
    """Each photo above a bar chart of its top-k classes and probabilities."""
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(2.6 * n, 5.0), gridspec_kw={"height_ratios": [1.2, 1]})
    for j in range(n):
        axes[0, j].imshow(images[j])
        axes[0, j].set_title(titles[j], fontsize=9)
        axes[0, j].axis("off")
        names = [name[:18] for name, _ in predictions[j]][::-1]
        probs = [p for _, p in predictions[j]][::-1]
        axes[1, j].barh(names, probs, color="tab:blue")
        axes[1, j].set_xlim(0, 1)
        axes[1, j].tick_params(labelsize=7)
        axes[1, j].set_xlabel("probability", fontsize=8)
    fig.tight_layout()
    add_provenance(fig, provenance)
    return fig


def plot_attribution_overlay(images: Sequence, attributions, titles: Sequence[str], provenance: str,
                             cmap: str = "inferno") -> plt.Figure:
    """Photo, attribution magnitude, and the two overlaid, one row per image.

    ``images`` are (H, W, 3) arrays in [0, 1]; ``attributions`` a (B, 3, H, W) tensor. The map is
    the absolute attribution summed over colour channels, scaled to its 99th percentile.
    """
    n = len(images)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n + 0.4), squeeze=False)
    for i in range(n):
        magnitude = attributions[i].detach().float().abs().sum(0)
        magnitude = (magnitude / magnitude.flatten().quantile(0.99).clamp_min(1e-12)).clamp(0, 1)
        axes[i, 0].imshow(images[i])
        axes[i, 1].imshow(magnitude.cpu().numpy(), cmap=cmap, vmin=0, vmax=1)
        axes[i, 2].imshow(images[i])
        axes[i, 2].imshow(magnitude.cpu().numpy(), cmap=cmap, vmin=0, vmax=1, alpha=0.6)
        axes[i, 0].set_ylabel(titles[i], fontsize=8)
        for ax, title in zip(axes[i], ("photo", "|attribution|", "overlay")):
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=9)
    fig.tight_layout()
    add_provenance(fig, provenance)
    fig.subplots_adjust(bottom=0.45 / (2.5 * n + 0.4) + 0.04)
    return fig
