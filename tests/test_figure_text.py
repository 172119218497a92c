"""Every figure the plotting helpers draw is readable on the website: text >= 11 CSS px.

The measurement (tests/_figtext.py): font size in points * DPI / 72 * (displayed width / natural
width), where the displayed width is the content column (figstyle.CONTENT_WIDTH_IN at 100 dpi) or the
figure's natural width, whichever is smaller.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from _figtext import text_sizes_px, too_small  # noqa: E402

from helpers.analysis.attribution_plots import (  # noqa: E402
    plot_attributions,
    plot_sanity_check,
)
from helpers.analysis.gradients import GradientProfile, plot_gradient_profile  # noqa: E402
from helpers.analysis.lesion import LesionRow, LesionStudy, plot_lesion  # noqa: E402
from helpers.analysis.responses import plot_responses  # noqa: E402
from helpers.book import context_plots as cp  # noqa: E402
from helpers.book.plots import plot_confusion, plot_history, show_images  # noqa: E402
from helpers.core import figstyle  # noqa: E402
from helpers.train import History  # noqa: E402

CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


@pytest.fixture(autouse=True)
def _book_style():
    figstyle.apply(retina=False)
    yield
    plt.close("all")
    matplotlib.rcdefaults()


def _history(n: int = 30) -> History:
    steps = [
        {
            "step": 5 * i,
            "epoch": i / 10,
            "loss": 2.0 / (1 + i),
            "error": 0.9 / (1 + i),
            "lr": 0.1,
        }
        for i in range(n)
    ]
    epochs = [
        {
            "epoch": e,
            "train_loss": 1.0,
            "train_error": 0.3,
            "val_loss": 1.0,
            "val_error": 0.3,
            "lr": 0.1,
            "time_s": 1.0,
        }
        for e in (1, 2, 3)
    ]
    return History(epochs=epochs, steps=steps)


def _lesion() -> LesionStudy:
    rows = [
        LesionRow(i, i // 9, True, i in (9, 18), True, 0.2 + 0.01 * i)
        for i in range(27)
    ]
    return LesionStudy(baseline_error=0.15, rows=rows)


def _figures():
    yield from _training_figures()
    yield from _analysis_figures()
    yield from _context_figures()


def _training_figures():
    yield (
        "plot_history",
        plot_history(
            {"plain-20": _history(), "resnet-56": _history()},
            "error",
            title="training error",
        ).figure,
    )
    yield (
        "plot_history clipped",
        plot_history({"lr = 100": _history()}, "loss", logy=True, clip=10).figure,
    )
    yield (
        "show_images",
        show_images(
            torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8),
            labels=list(range(16)),
            classes=[f"Shirt\n→ T-shirt/top ({i}%)" for i in range(16)],
            ncols=8,
            title="Most confidently wrong",
        ),
    )
    yield (
        "plot_confusion",
        plot_confusion(
            torch.randint(0, 50, (10, 10)), CLASSES, title="confusion"
        ).figure,
    )


def _analysis_figures():
    images = torch.rand(4, 1, 28, 28)
    maps = {
        name: torch.rand(4, 1, 28, 28)
        for name in (
            "IG, ResNet-56",
            "Grad-CAM, ResNet-56",
            "IG, random weights",
            "Grad-CAM, plain-56",
        )
    }
    yield "plot_attributions", plot_attributions(images, maps, titles=CLASSES[:4])
    steps = ["original", "fc", "layer3.8", "layer3.7", "layer3.6", "layer2.0", "conv1"]
    rows = [{"step": s, "rank_corr": 1 - i / 7} for i, s in enumerate(steps)]
    yield "plot_sanity_check", plot_sanity_check({"IG": rows, "Grad-CAM": rows})
    yield "plot_lesion", plot_lesion({"ResNet-56": _lesion(), "plain-56": _lesion()})
    yield (
        "plot_responses",
        plot_responses({"plain-20": [1.0] * 9, "ResNet-20": [0.5] * 9}),
    )
    prof = GradientProfile(
        names=[f"l{i}" for i in range(10)],
        norms=[0.1 * i + 0.1 for i in range(10)],
        mode="weight",
        loss=1.0,
    )
    yield (
        "plot_gradient_profile",
        plot_gradient_profile({"relu": prof}, title="t").figure,
    )


def _context_figures():
    yield "plot_imagenet_depth", cp.plot_imagenet_depth()
    yield (
        "plot_error_vs_gmacs",
        cp.plot_error_vs_gmacs(
            {"resnet34": 3.66, "resnet50": 4.09, "resnet101": 7.8, "resnet152": 11.5}
        ),
    )
    yield "plot_timeline", cp.plot_timeline()
    yield (
        "plot_cost_scatter",
        cp.plot_cost_scatter(
            [
                {"name": "vgg16", "params": 138e6, "gmacs": 15.5},
                {"name": "resnet50", "params": 25.6e6, "gmacs": 4.1},
            ]
        ),
    )
    yield "plot_ilsvrc_progress", cp.plot_ilsvrc_progress()
    photos = np.zeros((2, 32, 32, 3))
    preds = [
        [("tabby, tabby cat", 0.6), ("tiger cat", 0.3)],
        [("espresso", 0.9), ("cup", 0.05)],
    ]
    yield (
        "plot_photos_topk",
        cp.plot_photos_topk(photos, preds, titles=["a cat", "coffee"]),
    )
    yield (
        "plot_attribution_overlay",
        cp.plot_attribution_overlay(
            photos, torch.rand(2, 3, 32, 32), ["a cat", "coffee"]
        ),
    )


def test_every_text_is_at_least_11_css_px():
    small = {}
    for name, fig in _figures():
        assert text_sizes_px(fig), f"{name}: no text found; is the measurement broken?"
        assert fig.get_figwidth() <= figstyle.CONTENT_WIDTH_IN + 1e-9, (
            f"{name} is {fig.get_figwidth()} in wide; the column is "
            f"{figstyle.CONTENT_WIDTH_IN} in, so the page would shrink its text"
        )
        if too_small(fig):
            small[name] = too_small(fig)[:5]
    assert not small, f"text under 11 CSS px: {small}"


def test_measurement_catches_small_and_shrunk_text():
    fig, ax = plt.subplots(figsize=(figstyle.CONTENT_WIDTH_IN, 3))
    ax.set_title("readable", fontsize=8)
    assert not [t for t in too_small(fig) if t[1] == "readable"]
    ax.set_title("tiny", fontsize=7)
    assert (9.7, "tiny") in too_small(fig)
    wide, ax = plt.subplots(figsize=(2 * figstyle.CONTENT_WIDTH_IN, 3))  # half size
    ax.set_title("shrunk", fontsize=10)
    assert (6.9, "shrunk") in too_small(wide)
