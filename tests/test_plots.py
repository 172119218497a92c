"""helpers.book.plots: figures build, plot the right numbers, and keep provenance out of the image."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.book.plots import plot_confusion, plot_history, show_images  # noqa: E402
from helpers.train import History  # noqa: E402


def _hist(errors, diverged=None) -> History:
    rows = [
        {
            "epoch": i + 1,
            "train_loss": 1.0,
            "train_error": e,
            "val_loss": None,
            "val_error": None,
            "lr": 0.1,
            "time_s": 1.0,
        }
        for i, e in enumerate(errors)
    ]
    return History(
        epochs=rows,
        steps=[{"step": 10, "epoch": 0.5, "loss": 2.0, "error": 0.5, "lr": 0.1}],
        diverged=diverged,
    )


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_plot_history_percent_and_caption() -> None:
    ax = plot_history(
        {"plain-20": _hist([0.5, 0.3]), "plain-56": _hist([0.6, 0.4])},
        provenance="Fashion-MNIST · profile quick",
        title="Fig",
    )
    lines = [l for l in ax.get_lines() if l.get_label() in ("plain-20", "plain-56")]
    assert [list(l.get_ydata()) for l in lines] == [[50.0, 30.0], [60.0, 40.0]]
    assert not _texts(ax.figure), "provenance belongs in the caption, not in the image"
    assert ax.get_legend() is not None and ax.get_ylabel() == "training error (%)"
    plt.close(ax.figure)


def test_plot_history_steps_and_missing_values() -> None:
    ax = plot_history({"a": _hist([0.5])}, metric="loss")
    assert (
        list(ax.get_lines()[0].get_xdata()) == [10] and ax.get_xlabel() == "iteration"
    )
    ax = plot_history(
        {"a": _hist([0.5])}, metric="val_error", ax=ax
    )  # None values are skipped
    with pytest.raises(ValueError, match="train_error"):
        plot_history({"a": _hist([0.5])}, metric="accuracy")
    plt.close("all")


def test_diverged_marker() -> None:
    ax = plot_history({"lr 1.0": _hist([0.9, 0.95], diverged={"step": 20, "lr": 1.0})})
    assert any(l.get_marker() == "x" for l in ax.get_lines())
    plt.close(ax.figure)


def test_show_images_and_confusion() -> None:
    imgs = torch.randint(0, 256, (10, 1, 28, 28), dtype=torch.uint8)
    fig = show_images(
        imgs, torch.arange(10), [f"c{i}" for i in range(10)], ncols=5, provenance="p"
    )
    assert (
        len(fig.axes) == 10
        and fig.axes[3].get_title() == "c3"
        and "p" not in _texts(fig)
    )
    ax = plot_confusion(torch.tensor([[8, 2], [0, 10]]), ["a", "b"], provenance="q")
    assert ax.images[0].get_array()[0, 1] == pytest.approx(20) and "q" not in _texts(
        ax.figure
    )
    bar = ax.images[0].colorbar  # in the cells' unit: per cent, 0 to 100
    assert bar.mappable.get_clim() == (0, 100) and "(%)" in bar.ax.get_ylabel()
    assert sorted(t.get_text() for t in ax.texts) == [
        "100",
        "20",
        "80",
    ]  # percent, 0 % blank
    plt.close("all")


def test_clipped_history_marks_runs_that_leave_the_plot() -> None:
    exploding = History(
        epochs=[],
        steps=[
            {"step": s, "epoch": 0.0, "loss": v, "error": 0.5, "lr": 1.0}
            for s, v in ((5, 2.0), (10, 50.0), (15, float("inf")))
        ],
        diverged={"step": 15, "lr": 1.0},
    )
    calm = History(
        epochs=[],
        steps=[
            {"step": s, "epoch": 0.0, "loss": 1.0, "error": 0.5, "lr": 0.1}
            for s in (5, 10, 15)
        ],
    )
    ax = plot_history(
        {"lr=100": exploding, "lr=0.1": calm}, metric="loss", logy=True, clip=10
    )
    assert ax.get_ylim()[1] == pytest.approx(10)
    drawn = [
        list(line.get_ydata())
        for line in ax.get_lines()
        if line.get_label() == "lr=100"
    ]
    assert drawn == [[2.0, 10.0, 10.0]]
    markers = {line.get_marker() for line in ax.get_lines()}
    assert {"^", "x"} <= markers  # left the plot at step 10, diverged at step 15
    plt.close("all")


def test_a_network_has_one_colour_in_every_figure() -> None:
    from helpers.core.figstyle import network_style

    run = History(
        epochs=[{"epoch": 1, "train_error": 0.5}, {"epoch": 2, "train_error": 0.4}]
    )
    ax = plot_history({"plain-20": run, "resnet-56": run}, metric="train_error")
    drawn = {line.get_label(): line for line in ax.get_lines()}
    for name, spelled in (("plain-20", "plain-20"), ("resnet-56", "ResNet-56")):
        style = network_style(spelled)
        assert drawn[name].get_color() == style["color"]
        assert drawn[name].get_linestyle() == ("--" if "plain" in name else "-")
    assert network_style("ResNet-56") == network_style("resnet56 (seed 1)")
    assert network_style("plain-20") != network_style("ResNet-20")
    assert network_style("lr = 0.1") == {}
    plt.close("all")
