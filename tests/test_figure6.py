"""The degradation experiment drawn as the paper's Figure 6 (helpers.book.figure6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
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
