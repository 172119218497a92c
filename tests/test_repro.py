"""Reproducibility card."""

import pytest

from helpers.book.repro_card import ReproEntry, entry_from_histories, repro_card
from helpers.train.history import History


def _history(seed, val, train, wall):
    return History(
        epochs=[{"epoch": 1, "train_error": train, "val_error": val}],
        wall_time_s=wall,
        config={"seed": seed},
    )


def test_entry_statistics_from_histories():
    e = entry_from_histories(
        "ResNet-20",
        [_history(0, 0.10, 0.05, 30.0), _history(1, 0.12, 0.07, 34.0)],
        paper_error=8.75,
        paper_source="Table 6",
    )
    assert e.seeds == [0, 1]
    assert e.mean == pytest.approx(11.0)
    assert e.std == pytest.approx(1.41421356, rel=1e-6)
    assert e.ours_text() == "11.00 ± 1.41 (2 seeds)"


def test_card_markdown_has_both_columns_and_conditions():
    card = repro_card(
        [
            ReproEntry("ResNet-20", [10.0], [0], [30.0], 8.75, "Table 6", [5.0], 1234),
            ReproEntry("plain-20", [12.0, 14.0], [0, 1], [31.0, 33.0]),
        ],
        dataset="Fashion-MNIST",
        profile="quick",
        device="CPU",
    )
    md = card.to_markdown()
    _, metadata = card._repr_markdown_()
    assert "未报告" in metadata["zh_CN"]  # the Chinese page shows the Chinese card
    assert "8.75 (Table 6)" in md and "quoted" in md and "not reported" in md
    assert "10.00 (1 seed)" in md and "13.00 ± 1.41 (2 seeds)" in md
    assert "1,234" in md and "32 s" in md
    assert "profile `quick`" in md and "torch" in md
    assert "not comparable" in md  # dataset differs from the paper's


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="one error per seed"):
        ReproEntry("x", [1.0, 2.0], [0])
    with pytest.raises(ValueError, match="at least one"):
        repro_card([], dataset="a", profile="b", device="c")
    with pytest.raises(ValueError, match="val_error"):
        entry_from_histories("x", [History(epochs=[{"epoch": 1, "train_error": 0.1}])])
