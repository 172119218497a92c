"""What a run shows while it trains: a progress bar and a live error plot.

Both only read the :class:`History` the loop writes; neither changes what is trained.
"""

from __future__ import annotations

from .history import History

__all__ = ["ProgressBar", "LivePlot"]


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
    """Redraws an error plot in place in a notebook (IPython display handle)."""

    def __init__(self) -> None:
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

        from ..plots import plot_history

        ax = plot_history({"training": history}, metric="train_error")
        if any(r.get("val_error") is not None for r in history.epochs):
            plot_history({"test/val": history}, metric="val_error", ax=ax)
        ax.set_ylabel("error (%)")
        ax.legend(frameon=False, fontsize=8)
        self.handle.update(ax.figure)
        plt.close(ax.figure)

    def close(self) -> None:
        pass
