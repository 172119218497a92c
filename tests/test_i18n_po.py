"""scripts/i18n_po.py: the untranslated messages out to JSON and back into the catalogue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import i18n_po  # noqa: E402

SCRIPT = ROOT / "scripts" / "i18n_po.py"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    catalog = Catalog(locale="zh_CN")
    catalog.add("The error is $e$.", "")
    catalog.add("Run `make book`.", "运行 make book。", flags=["fuzzy"])
    catalog.add("Done.", "完成。")
    path = tmp_path / "page.po"
    i18n_po.save(path, catalog)
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True
    )


def test_dump_fill_apply_check(catalogue: Path, tmp_path: Path) -> None:
    todo = tmp_path / "todo.json"
    assert run("dump", catalogue, todo).returncode == 0
    entries = json.loads(todo.read_text(encoding="utf-8"))
    assert [e["msgid"] for e in entries] == ["The error is $e$.", "Run `make book`."]
    assert run("check", catalogue).returncode == 1  # two left, one loses its code
    entries[0]["msgstr"] = "误差是 $e$。"
    entries[1]["msgstr"] = "运行 `make book`。"
    todo.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    assert run("apply", catalogue, todo).returncode == 0
    checked = run("check", catalogue)
    assert checked.returncode == 0, checked.stdout
    catalog = i18n_po.load(catalogue)
    assert catalog.get("Run `make book`.").string == "运行 `make book`。"
    assert not catalog.get("Run `make book`.").fuzzy


@pytest.mark.parametrize(
    "english, translation, problem",
    [
        ("see {cite:t}`he2016deep`", "见 He 等人", "citations"),
        ("the map $F(x)$", "映射 F(x)", "math"),
        ("call `fit`", "调用 fit", "code"),
        ("a {term}`shortcut`", "一条捷径", "term count"),
        ("{gap:.1f} points", "若干个百分点", "placeholder count"),
    ],
)
def test_check_finds_lost_markup(english: str, translation: str, problem: str) -> None:
    assert problem in i18n_po.problems(english, translation)
    assert not i18n_po.problems(english, english)


def test_bad_input_is_one_line_and_exit_2(catalogue: Path, tmp_path: Path) -> None:
    for args in (("apply", tmp_path / "missing.po", "x.json"), ("apply", catalogue)):
        result = run(*args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert run("apply", catalogue, broken).returncode == 2
