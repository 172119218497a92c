"""Which floating-point precision training uses on a device (mixed precision, Micikevicius et al. 2018).

bf16 autocast needs hardware bf16 to be fast: NVIDIA compute capability 8.0 (A100) and newer,
or a CPU with AMX tiles. ``torch.cuda.is_bf16_supported()`` also answers True on a T4
(capability 7.5), where bf16 is emulated and convolutions leave cuDNN's fast path, so the
choice is made by capability: bf16 on sm80+, fp16 with a GradScaler below, fp32 on other CPUs.
"""

from __future__ import annotations

import torch

__all__ = ["amp_dtype", "cpu_has_fast_bf16", "grad_scaler", "precision_name"]

BF16_MIN_CAPABILITY = (8, 0)  # Ampere: A100, RTX 30xx and newer


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with AMX tiles (e.g. Xeon Sapphire Rapids), where bf16 convolutions are
    markedly faster than fp32; elsewhere bf16 is emulated and slower, so CPU stays fp32."""
    try:
        return bool(
            torch.cpu._is_amx_tile_supported()
            and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def amp_dtype(device: torch.device | str, amp: bool = True) -> torch.dtype | None:
    """Autocast dtype for ``device``: bf16 on sm80+ GPUs and AMX CPUs, fp16 (with a
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
