"""helpers.core.network: whether a server answers, never hanging a page."""

from __future__ import annotations

import socket
import time

from helpers.core.network import OFFLINE_ENV, offline, reachable


def test_a_listening_server_is_reachable_unless_offline(monkeypatch) -> None:
    monkeypatch.setattr(
        socket, "create_connection", lambda address, timeout: socket.socket()
    )
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    assert not offline() and reachable("https://example.org/file", timeout=1)
    monkeypatch.setenv(OFFLINE_ENV, "1")
    assert offline() and not reachable("https://example.org/file", timeout=1)
    monkeypatch.setenv(OFFLINE_ENV, "0")
    assert not offline()


def test_a_hanging_network_is_given_up_after_the_timeout(monkeypatch) -> None:
    def hang(address, timeout):
        time.sleep(5)
        raise OSError("never answers")

    monkeypatch.setattr(socket, "create_connection", hang)
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    start = time.perf_counter()
    assert not reachable("https://example.org/file", timeout=0.2)
    assert time.perf_counter() - start < 2
