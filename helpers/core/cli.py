"""What every command line of the package shares: one-line errors and checked argument types.

A bad argument is answered as argparse answers it, with exit status 2, but in one line that
names the value (argparse's default prints the whole usage block first), and never with a
traceback from deep inside a run.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import NoReturn

import torch

__all__ = ["OneLineParser", "whole_number", "comma_list", "device_arg", "new_file"]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def whole_number(low: int):
    """argparse type: a whole number >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def comma_list(text: str) -> list[str]:
    """argparse helper: ``"a,b"`` -> ``["a", "b"]``; an empty list or a repeat is an error."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"{text!r} names nothing")
    repeated = sorted({s for s in items if items.count(s) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{', '.join(repeated)} given twice")
    return items


def device_arg(text: str) -> str:
    """argparse type: cpu, cuda or cuda:N, and a CUDA device only where there is one."""
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(
            f"unknown device {text!r}; use cpu, cuda or cuda:N"
        )
    device = torch.device(text)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(
            f"{text}: no CUDA device here (torch.cuda.is_available() is False); "
            "use --device cpu"
        )
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise argparse.ArgumentTypeError(
            f"{text}: this machine has {torch.cuda.device_count()} CUDA device(s), "
            f"numbered from 0"
        )
    return text


def new_file(text: str) -> Path:
    """argparse type: a file path whose folder exists (checked before hours of measuring)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"folder {path.parent} does not exist; create it first"
        )
    return path
