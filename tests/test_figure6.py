"""The degradation experiment drawn as the paper's Figure 6 (helpers.book.figure6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from test_reference import write_results

from helpers.experiments import reference


def test_figure6_has_the_papers_two_halves(tmp_path) -> None:
    """Plain networks left, ResNets right (He et al. 2016, Fig. 6), dashed training and
    bold test error per net; the build's run on top, the reference run below; the y
    axis shows the second half of training whole."""
    from helpers.book.figure6 import figure6
    from helpers.train import History

    write_results(tmp_path)
    doc = reference.load_results(tmp_path / "reference-cpu")["degradation"]
    build = {
        name: History(
            steps=[
                {"step": s, "epoch": s / 10, "error": 0.5 - s / 100}
                for s in (5, 10, 20)
            ],
            epochs=[{"epoch": 1, "val_error": 0.45}, {"epoch": 2, "val_error": 0.35}],
            meta={"steps_per_epoch": 10},
        )
        for name in ("plain-20", "plain-56", "ResNet-20", "ResNet-56")
    }
    fig = figure6(doc, build)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "plain networks: this build",
        "ResNets: this build",
        "plain networks: reference run",
        "ResNets: reference run",
    ]
    for ax, kind in zip(fig.axes, ("plain", "ResNet") * 2, strict=True):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [f"{kind}-20", f"{kind}-56"]
        styles = {(line.get_linestyle(), line.get_linewidth()) for line in ax.lines}
        assert styles == {("--", 0.9), ("-", 2.0)}  # training dashed, test bold
        top = max(y for line in ax.lines for y in line.get_ydata()[-1:])
        assert ax.get_ylim()[1] > top  # the end of training is in view
    plt.close(fig)


def test_figure6_ends_draws_every_seed_on_one_scale(tmp_path) -> None:
    """One line per seed and error (training dashed, test solid) from the shallower to
    the deeper net; both panels span the same number of points, each around its data."""
    from helpers.book.figure6_ends import figure6_ends

    write_results(tmp_path)  # two seeds; plain gaps of 10-13 points, ResNet gaps of 1
    doc = reference.load_results(tmp_path / "reference-cpu")["degradation"]
    fig = figure6_ends(doc)
    plain, res = fig.axes
    assert [plain.get_title(), res.get_title()] == ["plain networks", "ResNets"]
    assert [t.get_text() for t in res.get_xticklabels()] == ["ResNet-20", "ResNet-56"]
    for ax in (plain, res):
        styles = sorted(line.get_linestyle() for line in ax.lines)
        assert styles == ["-", "-", "--", "--"]  # 2 seeds x (test, training)
    # plain-20 -> plain-56 training error of seed 0: 10% -> 20%, as stored
    seed0 = next(line for line in plain.lines if line.get_linestyle() == "--")
    assert list(seed0.get_ydata()) == [10.0, 20.0]
    spans = [ax.get_ylim()[1] - ax.get_ylim()[0] for ax in (plain, res)]
    assert abs(spans[0] - spans[1]) < 1e-9
    low, high = res.get_ylim()
    assert low < 7.0 and high > 11.2  # the ResNets' errors (7-11.2%) are all in view
    plt.close(fig)


def test_figure6_ends_needs_two_depths(tmp_path) -> None:
    from helpers.book.figure6_ends import figure6_ends

    write_results(tmp_path)
    doc = reference.load_results(tmp_path / "reference-cpu")["degradation"]
    doc["runs"] = [r for r in doc["runs"] if r["depth"] == 20]
    with pytest.raises(ValueError, match="one depth only"):
        figure6_ends(doc)
