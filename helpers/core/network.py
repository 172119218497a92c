"""Whether a server can be reached, asked without ever hanging a page.

The pages that download (pretrained weights in chapter 5, Imagenette on Colab) first ask
whether the server answers; a build without internet then says so instead of failing.
``RESNET_BOOK_OFFLINE=1`` answers "no" without asking.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

__all__ = ["OFFLINE_ENV", "offline", "reachable"]

OFFLINE_ENV = "RESNET_BOOK_OFFLINE"  # set to 1 to skip any download attempt


def offline() -> bool:
    """True when ``$RESNET_BOOK_OFFLINE`` is set to anything but "" or "0"."""
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def reachable(url: str, timeout: float = 2.0) -> bool:
    """True if a TCP connection to ``url``'s host (port 443) opens within ``timeout``
    seconds; False when :func:`offline`. Name resolution and the connection run in a
    daemon thread that is abandoned after ``timeout``, so a dead network cannot hang."""
    if offline():
        return False
    host = urlparse(url).hostname
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(ok)
