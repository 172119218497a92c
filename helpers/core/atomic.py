"""Atomic file writes: a reader (or a run that is killed mid-write) sees the old file or the
new one, never half of one.

Every file the package writes that a later run reads back (checkpoints, results, cached
models, downloads) goes through :func:`atomic_path`: write to a temporary name in the same
folder, then ``os.replace``, which POSIX and Windows make atomic within one file system.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text", "write_bytes"]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block completes, it replaces
    ``target``.

    Write a file or build a folder at the yielded path. On an error (or Ctrl-C) the
    temporary file or folder is removed and ``target`` is unchanged. A folder replaces an
    existing ``target`` folder (removed just before the rename)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    _remove(tmp)  # left over by a killed run with the same process id
    try:
        yield tmp
        if tmp.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


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
