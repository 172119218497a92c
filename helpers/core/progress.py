"""The one progress switch: bars and log lines in a live notebook, none on the website.

``RESNET_BOOK_PROGRESS=0`` (the book build sets it) turns progress bars off; every caller
(the training loop's bar, the analyses' loops) asks :func:`show_progress`.
"""

from __future__ import annotations

import os

__all__ = ["PROGRESS_ENV", "show_progress"]

PROGRESS_ENV = "RESNET_BOOK_PROGRESS"
_OFF = ("0", "false", "no", "off")


def show_progress() -> bool:
    """Progress bars on, unless ``$RESNET_BOOK_PROGRESS`` is 0/false/no/off."""
    return os.environ.get(PROGRESS_ENV, "1").strip().lower() not in _OFF
