"""Atomic file writes: a reader (or a run that is killed mid-write) sees the old file or the
new one, never half of one.

Every file the package writes that a later run reads back (checkpoints, results, cached
models, downloads) goes through :func:`atomic_path`: write to a temporary name in the same
folder, then ``os.replace``, which POSIX and Windows make atomic within one file system.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text", "write_bytes"]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    On an error (or Ctrl-C) the temporary file is removed and ``target`` is unchanged. Works
    for folders too: write a folder at the yielded path, and it replaces ``target`` (which
    must then not exist, or be an empty folder)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.is_file():
            tmp.unlink()


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)
