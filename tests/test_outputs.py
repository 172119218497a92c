"""Computed outputs in both languages (helpers.book.outputs, issue 20): a table or note that a
cell shows carries its Chinese, which the Chinese build renders; a live notebook shows the
language set with set_language."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from IPython.core.formatters import format_display_data
from myst_nb.core.render import MimeData, load_mime_renders

from helpers.book.context_plots import note
from helpers.book.outputs import TranslatedOutput, markdown
from helpers.book.tables import markdown_table, to_markdown
from helpers.core.text import Text, current_language, set_language


@pytest.fixture
def chinese():
    set_language("zh_CN")
    yield
    set_language("en")


def test_an_output_is_english_with_its_chinese_in_the_metadata() -> None:
    data, metadata = format_display_data(markdown(Text("a **b**", "甲 **乙**")))
    assert data["text/markdown"] == "a **b**"
    assert metadata == {"text/markdown": {"zh_CN": "甲 **乙**"}}
    data, metadata = format_display_data(markdown("only English"))
    assert data["text/markdown"] == "only English" and not metadata


def test_a_notebook_set_to_chinese_shows_the_chinese(chinese) -> None:
    assert current_language() == "zh_CN"
    data, _ = format_display_data(markdown(Text("a", "甲")))
    assert data["text/markdown"] == "甲"
    data, _ = format_display_data(
        note(Text("x < y", "x 小于 y"), title=Text("T", "题"))
    )
    assert "x 小于 y" in data["text/html"] and "题" in data["text/html"]


def test_set_language_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="zh_CN"):
        set_language("fr")
    assert current_language() == "en"


def test_a_table_is_made_in_both_languages_and_escaped_in_each() -> None:
    rows = [{"rate": 0.1, "end": Text("a|b", "甲|乙")}]
    table = to_markdown(rows, columns={"rate": Text("rate", "学习率"), "end": "end"})
    assert isinstance(table, Text)
    assert table.en.splitlines()[0] == "| rate | end |"
    assert table.zh.splitlines()[0] == "| 学习率 | end |"
    assert table.en.splitlines()[-1] == "| 0.1 | a\\|b |"
    assert table.zh.splitlines()[-1] == "| 0.1 | 甲\\|乙 |"
    plain = to_markdown([{"a": 1}])
    assert type(plain) is str  # nothing to translate: no metadata either
    _, metadata = format_display_data(markdown_table(rows))
    assert metadata["text/markdown"]["zh_CN"].startswith("| rate |")


def _renderer(language: str | None):
    env = SimpleNamespace(config=SimpleNamespace(language=language))
    calls = []
    renderer = SimpleNamespace(
        renderer=SimpleNamespace(
            document=SimpleNamespace(settings=SimpleNamespace(env=env))
        ),
        render_mime_type=lambda data: calls.append(("block", data)) or ["node"],
        render_mime_type_inline=lambda data: calls.append(("inline", data)) or ["n"],
    )
    return renderer, calls


def test_the_chinese_build_renders_the_translation() -> None:
    data = MimeData(
        "text/markdown", "English", output_metadata={"text/markdown": {"zh_CN": "中文"}}
    )
    renderer, calls = _renderer("zh_CN")
    assert TranslatedOutput.handle_mime(renderer, data, False) == ["node"]
    ((kind, rendered),) = calls
    assert kind == "block" and rendered.content == "中文"
    assert (
        rendered.output_metadata == {}
    )  # rendered once, not handed back to the plugin


@pytest.mark.parametrize(
    "language, metadata",
    [
        ("en", {"text/markdown": {"zh_CN": "中文"}}),  # the English build
        (None, {"text/markdown": {"zh_CN": "中文"}}),
        ("zh_CN", {}),  # an output without a translation
        ("zh_CN", {"text/html": {"zh_CN": "中文"}}),  # another mime type's metadata
    ],
)
def test_everything_else_is_left_to_myst_nb(language, metadata) -> None:
    data = MimeData("text/markdown", "English", output_metadata=metadata)
    renderer, calls = _renderer(language)
    assert TranslatedOutput.handle_mime(renderer, data, False) is None
    assert not calls


def test_myst_nb_finds_the_renderer() -> None:
    """Registered in pyproject.toml (reinstall with `make venv` after changing it)."""
    assert TranslatedOutput in load_mime_renders()


@pytest.mark.parametrize(
    "label, chinese",
    [
        ("CPU (2 threads)", "CPU（2 个线程）"),
        ("cpu (1 thread) x 2 processes", "CPU（1 个线程） × 2 个进程"),
        ("cpu (2 threads, bf16 autocast)", "CPU（2 个线程, bf16 autocast）"),
    ],
)
def test_a_recorded_device_reads_in_both_languages(label: str, chinese: str) -> None:
    from helpers.book.provenance import device_text

    text = device_text(label)
    assert text == label  # the English exactly as the run recorded it
    assert text.zh == chinese
    assert device_text("NVIDIA T4") == "NVIDIA T4"


def test_the_chinese_build_keeps_a_widgets_words_for_its_state() -> None:
    from docutils.utils import new_document

    from helpers.book.outputs import WIDGET_WORDS

    renderer, calls = _renderer("zh_CN")
    document = new_document("page")
    document.settings.env = renderer.renderer.document.settings.env  # the zh build's
    renderer.renderer.document = document
    view = "application/vnd.jupyter.widget-view+json"
    data = MimeData(
        view, {"model_id": "m"}, output_metadata={view: {"zh_CN": {"a": "甲"}}}
    )
    assert (
        TranslatedOutput.handle_mime(renderer, data, False) is None
    )  # myst-nb renders it
    assert document[WIDGET_WORDS] == {"a": "甲"} and not calls
