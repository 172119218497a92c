"""Figures of attribution maps (:mod:`helpers.analysis.attribution`) and what they show.

* :func:`plot_attributions`: a grid of maps under their images. A map that is zero everywhere
  (Grad-CAM keeps only the positive part of its weighted sum of feature maps, which for a
  network with random weights can be negative at every position) is drawn black and labelled
  "zero everywhere", so that a reader is not left to guess.
* :func:`plot_sanity_check`: rank correlation against the number of randomised layers.
* :func:`zero_maps` and :func:`object_share` put numbers on what the figures show: how many maps
  are empty, and how much of a map falls on the object rather than on the background.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch

__all__ = ["plot_attributions", "plot_sanity_check", "zero_maps", "object_share"]

ZERO_LABEL = "zero\neverywhere"


def zero_maps(maps: torch.Tensor) -> list[bool]:
    """For a batch of maps (N, C, H, W): whether each one is zero at every pixel."""
    flat = maps.detach().float().abs().flatten(1)
    return [bool(v) for v in (flat.amax(1) == 0)]


def object_share(maps: torch.Tensor, objects: torch.Tensor) -> list[float]:
    """Share of each map's |attribution| that falls on the object, per image.

    ``objects`` (N, H, W) is True on the object's pixels, e.g. the non-black pixels of a
    Fashion-MNIST image, whose background is exactly black. A map with no attribution at all
    counts as 0."""
    mass = maps.detach().float().abs().sum(1)  # (N, H, W)
    total = mass.flatten(1).sum(1)
    on = (mass * objects.float()).flatten(1).sum(1)
    return [float(o / t) if t > 0 else 0.0 for o, t in zip(on, total, strict=True)]


def _to_display(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) normalised image -> (H, W[, 3]) in [0, 1] for imshow."""
    img = image.detach().float().cpu()
    img = (img - img.min()) / (img.max() - img.min()).clamp_min(1e-8)
    return img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)


def _map_display(attr: torch.Tensor) -> torch.Tensor:
    """(C, H, W) attribution -> (H, W) magnitude scaled to [0, 1] (99th percentile clip)."""
    m = attr.detach().float().cpu().abs().sum(0)
    hi = torch.quantile(m.flatten(), 0.99).clamp_min(1e-12)
    return (m / hi).clamp(0, 1)


def _label_zero(ax: plt.Axes) -> None:
    ax.text(
        0.5,
        0.5,
        ZERO_LABEL,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="white",
        fontsize=9,
    )


def _frame(axes, row_names: list[str]) -> None:
    """Row names on the left (", " breaks a line), no ticks or spines on any panel."""
    for i, name in enumerate(row_names):
        axes[i, 0].set_ylabel(
            name.replace(", ", "\n"),
            fontsize=9,
            rotation=0,
            ha="right",
            va="center",
            labelpad=6,
        )
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)


def plot_attributions(
    images: torch.Tensor,
    maps: dict[str, torch.Tensor],
    *,
    titles: Sequence[str] | None = None,
    provenance: str | None = None,
    cmap: str = "inferno",
) -> plt.Figure:
    """A grid: one column per image, first row the images, then one row per attribution map.

    Each map shows |attribution| summed over channels, scaled to its own 99th percentile (the
    colour bar); a map that is zero everywhere is labelled so. A row name may contain ", " to
    break it into two lines (``"IG, ResNet-56"``).
    ``provenance`` is ignored: it belongs in the figure's caption.
    """
    from helpers.core.figstyle import figsize

    del provenance
    n = images.shape[0]
    rows = 1 + len(maps)
    # room on the left for row names and on the right for the colour bar; at most 1.5 in a panel
    cell = min((figsize()[0] - 1.9) / n, 1.5)
    fig, axes = plt.subplots(
        rows,
        n,
        figsize=(n * cell + 1.9, cell * rows + 0.5),
        squeeze=False,
        layout="constrained",
    )
    shown = None
    for j in range(n):
        axes[0, j].imshow(
            _to_display(images[j]).numpy(),
            cmap="gray" if images.shape[1] == 1 else None,
        )
        if titles is not None:
            axes[0, j].set_title(titles[j], fontsize=9)
        for i, attr in enumerate(maps.values(), start=1):
            shown = axes[i, j].imshow(
                _map_display(attr[j]).numpy(), cmap=cmap, vmin=0, vmax=1
            )
            if zero_maps(attr[j : j + 1])[0]:  # black for a reason: say so
                _label_zero(axes[i, j])
    _frame(axes, ["input", *maps.keys()])
    if shown is not None:
        bar = fig.colorbar(shown, ax=axes[1:, :], shrink=0.9, pad=0.02)
        bar.set_label("|attribution|, scaled per map")
    return fig


def plot_sanity_check(
    results: dict[str, list[dict]],
    *,
    title: str | None = "Cascading randomisation (Adebayo et al. 2018)",
    provenance: str | None = None,
) -> plt.Figure:
    """Rank correlation with the trained model's maps as more layers are randomised, per method.

    ``provenance`` is ignored: it belongs in the figure's caption.
    """
    from helpers.core.figstyle import figsize

    del provenance
    fig, ax = plt.subplots(figsize=figsize(3.8), layout="constrained")
    for k, (name, rows) in enumerate(results.items()):
        ax.plot(
            range(len(rows)),
            [r["rank_corr"] for r in rows],
            "-o",
            ms=4,
            color=f"C{k}",
            label=name,
        )
    labels = [r["step"] for r in next(iter(results.values()))]
    step = max(1, -(-len(labels) // 10))
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(
        labels[::step], rotation=35, ha="right", rotation_mode="anchor", fontsize=9
    )
    ax.set_ylabel("rank correlation with\nthe trained model's map")
    ax.set_xlabel("randomised from the output down to ...")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylim(-0.2, 1.05)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig
