"""helpers.book.tables: the one table helper every page uses."""

import pytest

from helpers.book.tables import to_markdown


def test_one_header_one_separator_one_line_per_row():
    rows = [{"name": "quick", "width": 8}, {"name": "gpu", "width": 16}]
    lines = to_markdown(
        rows, columns={"name": "profile", "width": "width"}
    ).splitlines()
    assert lines[0] == "| profile | width |"
    assert lines[1] == "|---|---|"
    assert lines[2:] == ["| quick | 8 |", "| gpu | 16 |"]


def test_formats_none_tuples_and_pipes():
    rows = [{"a": 0.1234, "b": None, "c": (20, 56), "d": "x|y"}]
    text = to_markdown(rows, formats={"a": ".1%"})
    assert text.splitlines()[2] == "| 12.3% | – | 20, 56 | x\\|y |"


def test_unknown_column_and_empty_rows_are_errors():
    with pytest.raises(KeyError, match="appear in no row"):
        to_markdown([{"a": 1}], columns=["b"])
    with pytest.raises(ValueError, match="at least one row"):
        to_markdown([])
    with pytest.raises(ValueError, match="align"):
        to_markdown([{"a": 1}], align={"a": "middle"})
