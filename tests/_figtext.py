"""How big a figure's text is on the website, in CSS px.

A figure of width ``w`` inches at ``figstyle.DPI`` is ``w * DPI`` CSS px wide at its natural size
(the PNG is stored at 2x, with width metadata, so its CSS size stays ``w * DPI``). The content
column of the site is ``CONTENT_WIDTH_IN * DPI`` CSS px wide at a 1280 px screen, so a wider
figure is shrunk by ``column / natural``. A ``p``-point font is then
``p * DPI / 72 * min(1, column / natural)`` CSS px on screen.
"""

from __future__ import annotations

import matplotlib.text
from matplotlib.figure import Figure

from helpers.core import figstyle

MIN_PX = 11.0  # issue 10: figure text at least 11 CSS px at the page's content width


def text_sizes_px(fig: Figure) -> list[tuple[float, str]]:
    """(CSS px, text) of every visible, non-empty text in ``fig`` as shown on the website."""
    fig.canvas.draw()  # creates tick labels and lays out the figure
    natural_px = fig.get_figwidth() * figstyle.DPI
    column_px = figstyle.CONTENT_WIDTH_IN * figstyle.DPI
    scale = min(1.0, column_px / natural_px)
    sizes = []
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        if (
            text.axes is not None
            and not text.get_in_layout()
            and not text.axes.get_visible()
        ):
            continue
        sizes.append((text.get_fontsize() * figstyle.DPI / 72 * scale, text.get_text()))
    return sizes


def too_small(fig: Figure, min_px: float = MIN_PX) -> list[tuple[float, str]]:
    """The texts of ``fig`` that would be shown smaller than ``min_px`` CSS px."""
    return [(round(px, 1), t) for px, t in text_sizes_px(fig) if px < min_px - 1e-6]
