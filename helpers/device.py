"""Which device a run uses, and how to name it in a caption.

The one place that says "CUDA if available, else the CPU": the loop, the data loader,
the model cache and the provenance lines all ask :func:`resolve_device`.
"""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "describe_device"]


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
    return f"cpu ({torch.get_num_threads()} threads{suffix})"
