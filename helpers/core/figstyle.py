"""One figure style for the whole book: figures drawn for the width they are shown at.

The website's figures are shown at most 672 CSS px wide at a 1280 px screen (measured). A figure
``CONTENT_WIDTH_IN`` inches wide at ``DPI`` dots per inch is shown at (almost) its natural size,
so a font of ``p`` points is ``p * DPI / 72`` CSS px on screen: 8 pt is 11.1 px. Every text in a
figure is therefore at least ``MIN_FONT_PT``. Figures are stored at 2x (retina) so that they stay
sharp on high-density screens and when a reader opens the full-resolution image.

Use ``apply()`` once per notebook (the chapters' first code cell does it) and size figures with
``figsize(height)`` or ``figsize(height, width_fraction)``.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = [
    "CONTENT_WIDTH_IN",
    "DPI",
    "MIN_FONT_PT",
    "apply",
    "figsize",
    "css_px",
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
