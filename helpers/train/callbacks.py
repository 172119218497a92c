"""What a run shows while it trains: a progress bar and a live plot.

Callbacks only read the :class:`History` the loop writes; none changes what is trained. The
live plot is handed the function that draws it (the page layer's
:func:`helpers.book.plots.live_plot`), so training never imports plotting code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from helpers.train.history import History

__all__ = ["Callback", "ProgressBar", "LivePlot"]


class Callback(Protocol):
    """What ``fit(..., callbacks=[...])`` calls: after each log entry, each epoch, and at
    the end."""

    def on_log(self, entry: dict) -> None: ...
    def on_epoch(self, history: History) -> None: ...
    def close(self) -> None: ...


class ProgressBar:
    """A tqdm bar over optimizer steps, with the last window's loss, error and learning
    rate."""

    def __init__(self, total: int, initial: int, enabled: bool) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=total,
            initial=initial,
            disable=not enabled,
            leave=True,
            unit="step",
            miniters=max(1, total // 20),
            mininterval=2.0,
            dynamic_ncols=True,
        )

    def on_log(self, entry: dict) -> None:
        self.bar.set_postfix(
            loss=f"{entry['loss']:.3f}",
            err=f"{entry['error']:.1%}",
            lr=f"{entry['lr']:.3g}",
            refresh=False,
        )
        self.bar.update(entry["step"] - self.bar.n)

    def on_epoch(self, history: History) -> None:
        pass

    def write(self, message: str) -> None:
        self.bar.write(message)

    def close(self) -> None:
        self.bar.close()


class LivePlot:
    """Redraws a figure in place in a notebook (an IPython display handle) after every
    epoch. ``draw(history)`` returns a matplotlib figure."""

    def __init__(self, draw: Callable[[History], Any]) -> None:
        self.draw = draw
        try:
            from IPython.display import display

            self.handle = display(display_id=True)
        except ImportError:
            self.handle = None

    def on_log(self, entry: dict) -> None:
        pass

    def on_epoch(self, history: History) -> None:
        if self.handle is None:
            return
        import matplotlib.pyplot as plt

        figure = self.draw(history)
        self.handle.update(figure)
        plt.close(figure)

    def close(self) -> None:
        pass
