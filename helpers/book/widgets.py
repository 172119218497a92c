"""Sliders over precomputed results that keep working on the static website.

A static page has no Python kernel, so a slider cannot call Python when it moves. Instead every
variant is rendered while the notebook executes and stored in the page: an ``ipywidgets.Stack``
holds one output per value, and the slider's ``index`` is ``jslink``-ed to the Stack's
``selected_index``. The link runs in the browser (the ipywidgets HTML manager), so moving the
slider switches the visible variant with no kernel at all. The same widget works in Jupyter
or Colab; there, an optional ``live`` callable can recompute a variant on demand.

Typical use::

    from helpers.book.widgets import precomputed_slider
    precomputed_slider([1, 2, 3], lambda n: plot_something(n), description="n")

Labels, values, alt texts and HTML made with :func:`helpers.core.text.T` are shown in the
notebook's language (:func:`helpers.core.text.set_language`) and carry their translations
in the widget's output (:class:`Interactive`), from which the Chinese website translates the
stored widget state (scripts/sphinx_ext/book_i18n.py).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from helpers.core.text import LANGUAGES, Text, in_language, join

__all__ = [
    "precomputed_slider",
    "precomputed_grid",
    "to_widget",
    "figure_to_png",
    "png_html",
    "Interactive",
    "WIDGET_VIEW",
]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
Words = dict[str, Text]  # a widget's words as its state holds them -> in every language


class Interactive(widgets.VBox):
    """What :func:`precomputed_slider` and :func:`precomputed_grid` return: a VBox whose
    output also carries the translations of its words (``.words``), as the output metadata
    ``{WIDGET_VIEW: {"zh_CN": {shown: translated}}}``."""

    words: Words

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs)
        words = getattr(self, "words", {})
        translations = {
            language: {
                shown: in_language(text, language)
                for shown, text in words.items()
                if in_language(text, language) != shown
            }
            for language in LANGUAGES
        }
        if not data or not any(translations.values()):
            return data
        return data, {WIDGET_VIEW: translations}


def _say(text: Any, words: Words | None, escape: bool = False) -> str:
    """``text`` in the notebook's language (as it goes into the widget state; ``escape``:
    inside HTML), remembering its translations in ``words``."""
    form = (lambda t: html.escape(t, quote=True)) if escape else (lambda t: t)
    shown = form(in_language(text))
    if isinstance(text, Text) and words is not None:
        words[shown] = Text(form(text.en), form(text.zh))
    return shown


DEFAULT_DPI = 80  # every variant is stored in the page: keep PNGs small
RETINA_DPI = 200  # figures in a slider: 2x the book's 100 dpi (helpers.core.figstyle), sharp on phones
LABEL_WIDTH = (
    "7em"  # one label width for every control of a widget, so their tracks line up
)


def figure_to_png(
    fig: Any, *, dpi: int = DEFAULT_DPI, colors: int | None = 256
) -> bytes:
    """Render a matplotlib Figure to compact PNG bytes and close the figure.

    ``colors`` quantises to a palette (much smaller for line plots and diagrams); ``None``
    keeps full RGBA.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    if colors is None:
        return buf.getvalue()
    from PIL import Image

    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGBA")
    palette = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def png_html(
    png: bytes, alt: str, *, scale: int = 2, words: Words | None = None
) -> str:
    """An ``<img>`` tag for ``png`` with ``alt`` text, shown at 1/``scale`` of its pixel size.

    A PNG rendered at 2x the figure's dpi is shown at the figure's natural CSS size and stays
    sharp on high-density screens (and when a reader opens the full-resolution image).
    """
    if not alt.strip():
        raise ValueError("every widget image needs alt text that describes it")
    width, _ = _png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="book-widget-image" src="data:image/png;base64,{data}" '
        f'alt="{_say(alt, words, escape=True)}" width="{width // scale}" '
        f'style="max-width: 100%; height: auto">'
    )


def to_widget(result: Any, alt: str = "", words: Words | None = None) -> widgets.Widget:
    """Turn what a ``render`` function returned into a widget.

    Accepts a matplotlib Figure (-> an ``HTML`` widget holding a 2x PNG ``<img>`` with ``alt``
    text), PNG bytes (-> ``Image``), an HTML string (-> ``HTML``) or an existing widget
    (returned as is). A figure without ``alt`` text is refused: a screen reader would announce
    nothing but "image". A :class:`~helpers.core.text.Text` alt text or HTML string is put in
    in the notebook's language, its translations added to ``words``.
    """
    if isinstance(result, widgets.Widget):
        return result
    if isinstance(result, (bytes, bytearray)):
        return widgets.Image(value=bytes(result), format="png")
    if isinstance(result, str):
        return widgets.HTML(value=_say(result, words))
    if hasattr(
        result, "savefig"
    ):  # matplotlib Figure, without importing matplotlib here
        if not alt.strip():
            plt_close(result)
            raise ValueError(
                "a figure in a widget needs alt text: pass alt=... describing it"
            )
        png = figure_to_png(result, dpi=RETINA_DPI)
        return widgets.HTML(value=png_html(png, alt, words=words))
    raise TypeError(
        "render(v) must return a matplotlib Figure, PNG bytes, an HTML string or a widget; "
        f"got {type(result).__name__}"
    )


def plt_close(fig: Any) -> None:
    """Close a matplotlib figure (without importing pyplot at module import time)."""
    import matplotlib.pyplot as plt

    plt.close(fig)


def _alt_text(
    alt: Callable[..., str] | str | None, default: str, *args: Any, **kwargs: Any
) -> str:
    if alt is None:
        return default
    return alt if isinstance(alt, str) else alt(*args, **kwargs)


def _index_of(values: Sequence[Any], value: Any, what: str) -> int:
    if value is None:
        return 0
    try:
        return list(values).index(value)
    except ValueError:
        raise ValueError(
            f"{what}={value!r} is not one of the values {list(values)!r}"
        ) from None


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _selector(
    values: Sequence[Any], description: str, index: int, words: Words
) -> widgets.SelectionSlider | widgets.ToggleButtons:
    """A control over ``values`` that shows the value itself (not the index).

    Numbers (an ordered scale, e.g. depth) get a slider; anything else (categories such as
    "on"/"off" or a block type) gets labelled toggle buttons, because a slider suggests an
    order and an in-between that categories do not have. Both expose ``index``, which is what
    the Stacks are linked to. The description is the control's visible label; the page's
    script (scripts/assets/book_figures.js) also gives it to the slider handle as its
    accessible name.
    """
    labels = [_say(v, words) if isinstance(v, str) else str(v) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError(
            f"slider values must have distinct str() labels; got {labels!r}"
        )
    style = {"description_width": LABEL_WIDTH}
    label = _say(description, words)
    if not _is_numeric(values):
        return widgets.ToggleButtons(
            options=labels,
            index=index,
            description=label,
            tooltips=[_say(join(": ", [description, v]), words) for v in values],
            style={**style, "button_width": "auto"},
        )
    return widgets.SelectionSlider(
        options=labels,
        index=index,
        description=label,
        continuous_update=True,
        style=style,
        layout=widgets.Layout(width="min(100%, 480px)"),
    )


def precomputed_slider(
    values: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    description: str = "depth",
    value: Any = None,
    live: Callable[[Any], Any] | None = None,
    alt: Callable[[Any], str] | str | None = None,
) -> Interactive:
    """A slider that switches between ``render(v)`` for every ``v`` in ``values``.

    All variants are rendered now and stored in an ``ipywidgets.Stack``; the slider's index is
    ``jslink``-ed to the Stack, so the static website needs no kernel. ``value`` picks the
    initially shown variant (default: the first). ``live``, if given, is called as ``live(v)``
    when the reader moves the slider in a running kernel (Jupyter, Colab) and its result
    replaces the shown variant; on the static site it is never called, so the precomputed
    variants must stand on their own. ``alt`` (a string or ``alt(v)``) describes each rendered
    figure for readers who cannot see it; it is required when ``render`` returns figures.

    The returned ``VBox`` exposes ``.slider`` and ``.stack`` for tests and further linking.
    """
    values = list(values)
    if not values:
        raise ValueError("precomputed_slider needs at least one value")
    index = _index_of(values, value, "value")
    words: Words = {}
    slider = _selector(values, description, index, words)

    def alt_of(v: Any) -> str:
        return _alt_text(alt, "", v)

    stack = widgets.Stack(
        [to_widget(render(v), alt_of(v), words) for v in values], selected_index=index
    )
    link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    if live is not None:
        _attach_live(slider, stack, values, live, alt_of)
    box = Interactive([slider, stack])
    box.slider, box.stack, box.links, box.words = slider, stack, [link], words
    return box


def _attach_live(
    slider: widgets.SelectionSlider,
    stack: widgets.Stack,
    values: list[Any],
    live: Callable[[Any], Any],
    alt_of: Callable[[Any], str],
) -> None:
    """Recompute the selected variant with ``live`` when the slider moves in a kernel."""

    def on_change(change: dict) -> None:
        i = change["new"]
        children = list(stack.children)
        children[i] = to_widget(live(values[i]), alt_of(values[i]))
        stack.children = children
        stack.selected_index = i

    slider.observe(on_change, names="index")


def precomputed_grid(
    axes: Mapping[str, Sequence[Any]],
    render: Callable[..., Any],
    *,
    value: Mapping[str, Any] | None = None,
    alt: Callable[..., str] | str | None = None,
) -> Interactive:
    """Like :func:`precomputed_slider`, with one control per axis (cartesian product).

    ``render(**combo)`` is called for every combination, with keyword arguments named after the
    axes. Outputs sit in nested Stacks: the outer Stack is indexed by the first axis, each of its
    children is a Stack indexed by the second axis, and so on. Each slider is ``jslink``-ed to
    every Stack at its level, so all combinations switch in the browser without custom
    JavaScript. Numeric axes get sliders, categorical ones toggle buttons; ``alt(**combo)``
    describes each rendered figure. Mind the page weight: the number of variants is the product of the axis lengths.

    The returned ``VBox`` exposes ``.sliders`` (dict by axis name) and ``.stack`` (outer Stack).
    """
    names = list(axes)
    if not names:
        raise ValueError(
            "precomputed_grid needs at least one axis, e.g. {'depth': [20, 56]}"
        )
    grid = {name: list(vals) for name, vals in axes.items()}
    for name, vals in grid.items():
        if not vals:
            raise ValueError(f"axis {name!r} has no values")
    value = dict(value or {})
    unknown = set(value) - set(names)
    if unknown:
        raise ValueError(f"value has unknown axes {sorted(unknown)}; axes are {names}")
    start = {n: _index_of(grid[n], value.get(n), f"value[{n!r}]") for n in names}
    words: Words = {}
    sliders = {n: _selector(grid[n], n, start[n], words) for n in names}
    stacks_by_level: list[list[widgets.Stack]] = [[] for _ in names]

    def build(level: int, chosen: dict[str, Any]) -> widgets.Widget:
        name = names[level]
        children = []
        for v in grid[name]:
            combo = {**chosen, name: v}
            if level + 1 == len(names):
                shown = to_widget(render(**combo), _alt_text(alt, "", **combo), words)
                children.append(shown)
            else:
                children.append(build(level + 1, combo))
        stack = widgets.Stack(children, selected_index=start[name])
        stacks_by_level[level].append(stack)
        return stack

    outer = build(0, {})
    links = [
        widgets.jslink((sliders[name], "index"), (stack, "selected_index"))
        for name, level_stacks in zip(names, stacks_by_level, strict=False)
        for stack in level_stacks
    ]
    box = Interactive([*sliders.values(), outer])
    box.sliders, box.stack, box.links, box.words = sliders, outer, links, words
    return box


def variant_count(axes: Mapping[str, Sequence[Any]]) -> int:
    """Number of variants a :func:`precomputed_grid` over ``axes`` stores in the page."""
    return len(list(itertools.product(*axes.values())))
