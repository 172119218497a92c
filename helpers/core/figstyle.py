"""One figure style for the whole book: figures drawn for the width they are shown at.

The website's figures are shown at most 672 CSS px wide at a 1280 px screen (measured). A figure
``CONTENT_WIDTH_IN`` inches wide at ``DPI`` dots per inch is shown at (almost) its natural size,
so a font of ``p`` points is ``p * DPI / 72`` CSS px on screen: 8 pt is 11.1 px. Every text in a
figure is therefore at least ``MIN_FONT_PT``. Figures are stored at 2x (retina) so that they stay
sharp on high-density screens and when a reader opens the full-resolution image.

Use ``apply()`` once per notebook (the chapters' first code cell does it) and size figures with
``figsize(height)`` or ``figsize(height, width_fraction)``.

A network has one colour in every figure of the book: :func:`network_style` (plain networks
dashed in warm colours, ResNets solid in blues, darker for deeper; "pre-act ResNet-110" green).
"""

from __future__ import annotations

import re

import matplotlib as mpl

__all__ = [
    "CONTENT_WIDTH_IN",
    "DPI",
    "MIN_FONT_PT",
    "apply",
    "figsize",
    "css_px",
    "network_style",
    "NETWORK_COLORS",
    "plain_log_ticks",
]

CONTENT_WIDTH_IN = (
    6.7  # inches at DPI: figures are shown 672 CSS px wide at a 1280 px screen
)
DPI = 100  # figure.dpi: 1 inch = 100 CSS px when shown at natural size
MIN_FONT_PT = (
    8.0  # 8 pt at 100 dpi = 11.1 CSS px, the smallest text allowed in a figure
)

STYLE: dict[str, object] = {
    "figure.dpi": DPI,
    "savefig.dpi": 2 * DPI,
    "figure.figsize": (CONTENT_WIDTH_IN, 3.6),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def css_px(points: float, dpi: float = DPI) -> float:
    """On-screen size in CSS px of a ``points`` font in a figure shown at natural size."""
    return points * dpi / 72.0


def figsize(height: float = 3.6, width_fraction: float = 1.0) -> tuple[float, float]:
    """(width, height) in inches for a figure ``width_fraction`` of the content column wide."""
    if not 0 < width_fraction <= 1:
        raise ValueError(f"width_fraction must be in (0, 1]; got {width_fraction}")
    if height <= 0:
        raise ValueError(f"height must be positive (inches); got {height}")
    return (CONTENT_WIDTH_IN * width_fraction, height)


def apply(retina: bool = True) -> None:
    """Set the book's matplotlib style; in a notebook also store PNGs at 2x (retina)."""
    mpl.rcParams.update(STYLE)
    if not retina:
        return
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


# One colour per network, in every figure (issue 22): plain nets warm and dashed, ResNets blue
# and solid, darker with depth; the families of the related-work chapter their own colour.
NETWORK_COLORS: dict[str, str] = {
    "plain-8": "#fdae6b",
    "plain-14": "#fd8d3c",
    "plain-20": "#f16913",
    "plain-32": "#d94801",
    "plain-44": "#a63603",
    "plain-56": "#7f2704",
    "plain-110": "#cb181d",
    "resnet-8": "#9ecae1",
    "resnet-14": "#6baed6",
    "resnet-20": "#3182bd",
    "resnet-32": "#2171b5",
    "resnet-44": "#08519c",
    "resnet-56": "#08306b",
    "resnet-110": "#6a51a3",
    "preact-110": "#31a354",
    "vgg": "#7f7f7f",
    "googlenet": "#8a8a00",
    "densenet": "#e377c2",
}
_NETWORK = re.compile(
    r"^(?P<preact>pre-?act[ _-]*)?(?P<kind>plain|resnet)[ _-]?(?P<depth>\d+)", re.I
)


def network_key(name: str) -> str | None:
    """``"ResNet-56"``, ``"resnet56"``, ``"resnet-56 (seed 1)"`` -> ``"resnet-56"``;
    ``"pre-act ResNet-110"`` -> ``"preact-110"``; ``"vgg_cifar"`` -> ``"vgg"``; else None."""
    m = _NETWORK.match(name.strip())
    if m:
        kind = "preact" if m.group("preact") else m.group("kind").lower()
        return f"{kind}-{int(m.group('depth'))}"
    family = re.match(r"^(vgg|googlenet|densenet)", name.strip(), re.I)
    return family.group(1).lower() if family else None


def network_style(name: str) -> dict[str, str]:
    """Matplotlib ``color`` and ``ls`` of the network called ``name`` ({} if unknown):
    the same network looks the same in every figure of the book."""
    key = network_key(name)
    if key is None or key not in NETWORK_COLORS:
        return {}
    return {
        "color": NETWORK_COLORS[key],
        "ls": "--" if key.startswith("plain") else "-",
    }


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Label a log axis with plain numbers (0.5, 1, 2, 3) instead of 2x10^0, labelling the
    minor ticks at 2, 3 and 5 of each decade: readable when the axis spans under a decade."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    which = ax.yaxis if axis == "y" else ax.xaxis
    which.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    which.set_minor_locator(LogLocator(subs=(2.0, 3.0, 5.0)))
    which.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
