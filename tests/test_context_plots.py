"""helpers.book.context_plots: tables render and escape correctly; figures plot the quoted data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.book import context_plots as cp  # noqa: E402
from helpers.experiments import paper_results as pr  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_note_kinds():
    assert "admonition warning" in cp.note("text", kind="warning").data
    with pytest.raises(ValueError, match="kind must be one of"):
        cp.note("text", kind="danger")


def test_imagenet_depth_plots_the_tables():
    fig = cp.plot_imagenet_depth()
    left, right = fig.axes
    ys = sorted(tuple(line.get_ydata()) for line in left.get_lines())
    assert ys == sorted([(27.94, 28.54), (27.88, 25.03)])
    t4 = [line for line in right.get_lines() if "Table 4" in line.get_label()][0]
    assert list(t4.get_xdata()) == [34, 50, 101, 152]
    assert list(t4.get_ydata()) == [21.84, 20.74, 19.87, 19.38]


def test_error_vs_gmacs_uses_computed_x():
    gmacs = {"resnet34": 3.66, "resnet50": 3.86, "resnet101": 7.57, "resnet152": 11.28}
    fig = cp.plot_error_vs_gmacs(gmacs, provenance="test")
    t3 = [line for line in fig.axes[0].get_lines() if "Table 3" in line.get_label()][0]
    assert list(t3.get_xdata()) == [3.66, 3.86, 7.57, 11.28]
    assert list(t3.get_ydata()) == [24.52, 22.85, 21.75, 21.43]  # ResNet-34 B, not A
    assert not fig.texts  # provenance goes in the caption


def test_timeline_and_scatter():
    fig = cp.plot_timeline()
    markers = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(markers) == len(pr.ARCHITECTURES)
    rows = [
        {"name": "resnet50", "params": 25_557_032, "gmacs": 3.86},
        {"name": "vgg16", "params": 138_357_544, "gmacs": 15.47},
    ]
    fig = cp.plot_cost_scatter(rows)
    offsets = fig.axes[0].collections[0].get_offsets()
    assert np.allclose(offsets[0], [3.86, 25.557032])
    winners = cp.plot_ilsvrc_progress().axes[0].get_lines()[0]
    assert 3.57 in list(winners.get_ydata()) and 15.3 in list(winners.get_ydata())


def test_photo_figures():
    images = np.zeros((2, 16, 16, 3))
    preds = [[("a", 0.6), ("b", 0.3)], [("c", 0.9), ("d", 0.05)]]
    fig = cp.plot_photos_topk(images, preds, titles=["x", "y"])
    assert len(fig.axes) == 4
    fig = cp.plot_attribution_overlay(images, torch.rand(2, 3, 16, 16), ["x", "y"])
    assert len(fig.axes) == 7  # 2 rows of 3 panels and the colour bar
