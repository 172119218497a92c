"""helpers.core.atomic: a write either completes or leaves the old file/folder untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.core.atomic import atomic_path, write_text


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_folder_replaces_a_folder_and_a_failed_one_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    for content in ("v1", "v2"):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "model.pt").write_text(content)
    assert (target / "model.pt").read_text() == "v2"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "model.pt").write_text("v3")
        raise KeyboardInterrupt
    assert (target / "model.pt").read_text() == "v2"
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]
