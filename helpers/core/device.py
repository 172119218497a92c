"""Which device a run uses, and how to name it in a caption.

The one place that says "CUDA if available, else the CPU": the loop, the data loader,
the model cache and the provenance lines all ask :func:`resolve_device`.
"""

from __future__ import annotations

import functools
import platform

import torch

__all__ = ["resolve_device", "describe_device", "device_label", "cpu_model"]


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a ``torch.device``; ``None``: CUDA if available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def describe_device(device: torch.device, amp_dtype: torch.dtype | None = None) -> str:
    """'cuda (NVIDIA T4, fp16 autocast)' or 'cpu (2 threads)': the device and the
    precision."""
    precision = {torch.bfloat16: ", bf16 autocast", torch.float16: ", fp16 autocast"}
    suffix = precision.get(amp_dtype, "")
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}{suffix})"
    n = torch.get_num_threads()
    return f"cpu ({n} thread{'' if n == 1 else 's'}{suffix})"


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_label(device: str | torch.device | None = None) -> str:
    """Short device description: "NVIDIA T4" or "CPU (2 threads)"."""
    dev = resolve_device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(dev)
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'' if n == 1 else 's'})"
