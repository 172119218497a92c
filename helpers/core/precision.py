"""Which floating-point precision training uses on a device (mixed precision, Micikevicius et al. 2018).

The one place that chooses, per device:

* NVIDIA compute capability 8.0 (A100) and newer: bf16 autocast. ``torch.cuda.is_bf16_supported()``
  also answers True on a T4 (capability 7.5), where bf16 is emulated and convolutions leave
  cuDNN's fast path, so the choice is made by capability: fp16 with a GradScaler below sm80.
* CPUs with bf16 instructions (AVX512-BF16, as on AMD Zen 4 and Intel Cooper Lake and newer, or
  AMX tiles): bf16 autocast through oneDNN, with ``channels_last`` (NHWC) tensors, which
  oneDNN's bf16 convolutions want. Measured on a 2-core AMD EPYC (Zen 4, no AMX), one thread,
  ResNet-20 at width 16: about twice the images/s of fp32 (``python -m helpers.bench``).
* Other CPUs: fp32 (bf16 there is emulated and slower).

bf16 changes the numbers a run produces (8 bits of mantissa in the convolutions), so the
precision is part of every model-cache key and of every result's provenance.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

CPU_BF16_ENV = "RESNET_BOOK_CPU_BF16"
__all__ = [
    "amp_dtype",
    "cpu_float32",
    "cpu_has_fast_bf16",
    "grad_scaler",
    "precision_name",
    "prefer_channels_last",
]

BF16_MIN_CAPABILITY = (8, 0)  # Ampere: A100, RTX 30xx and newer


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with bf16 instructions (AVX512-BF16 or AMX tiles) that oneDNN uses for
    bf16 convolutions; elsewhere bf16 is emulated and slower, so the CPU stays fp32.
    ``RESNET_BOOK_CPU_BF16=0`` turns it off (to compare, or to reproduce an fp32 run)."""
    if os.environ.get(CPU_BF16_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        hardware = torch.cpu._is_avx512_bf16_supported() or (
            torch.cpu._is_amx_tile_supported()
        )
        return bool(hardware and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@contextlib.contextmanager
def cpu_float32() -> Iterator[None]:
    """Inside this block the CPU trains in float32 even where it has bf16 instructions
    (``RESNET_BOOK_CPU_BF16=0``): for a run whose results are compared with float32 runs.
    The variable's previous value is restored on exit."""
    previous = os.environ.get(CPU_BF16_ENV)
    os.environ[CPU_BF16_ENV] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CPU_BF16_ENV, None)
        else:
            os.environ[CPU_BF16_ENV] = previous


def amp_dtype(device: torch.device | str, amp: bool = True) -> torch.dtype | None:
    """Autocast dtype for ``device``: bf16 on sm80+ GPUs and bf16-capable CPUs, fp16 (with a
    GradScaler) on older GPUs such as the T4, ``None`` (fp32) otherwise or when ``amp`` is off."""
    device = torch.device(device)
    if not amp:
        return None
    if device.type == "cuda":
        capability = torch.cuda.get_device_capability(device)
        return torch.bfloat16 if capability >= BF16_MIN_CAPABILITY else torch.float16
    if device.type == "cpu" and cpu_has_fast_bf16():
        return torch.bfloat16
    return None


def grad_scaler(
    device: torch.device | str, dtype: torch.dtype | None
) -> torch.amp.GradScaler:
    """A GradScaler that is enabled exactly for fp16 autocast on CUDA: fp16's narrow exponent
    range lets small gradients underflow unless the loss is scaled up first; bf16 and fp32 have
    fp32's range and need no scaling."""
    device = torch.device(device)
    enabled = device.type == "cuda" and dtype is torch.float16
    return torch.amp.GradScaler("cuda", enabled=enabled)


def precision_name(dtype: torch.dtype | None) -> str:
    """'bf16 autocast', 'fp16 autocast + GradScaler' or 'fp32'."""
    if dtype is torch.bfloat16:
        return "bf16 autocast"
    if dtype is torch.float16:
        return "fp16 autocast + GradScaler"
    return "fp32"


def prefer_channels_last(device: torch.device | str, dtype: torch.dtype | None) -> bool:
    """NHWC tensors where they are faster: on CUDA (tensor cores) and for bf16 on the CPU
    (oneDNN's bf16 convolutions); NCHW for fp32 on the CPU."""
    device = torch.device(device)
    return device.type == "cuda" or dtype is torch.bfloat16
