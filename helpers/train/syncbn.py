"""Synchronised batch normalisation: statistics of the global batch, not of one process.

In the paper every GPU normalised with the statistics of its own 32 images (He et al.
2016, Sec. 3.4 trains with a batch of 256 on 8 GPUs; BN as in Ioffe & Szegedy 2015,
computed per GPU). With ``TrainConfig(sync_bn=True)`` the mean and variance of each
batch-norm layer are those of the whole global batch, summed over the processes, so N
processes x B/N images train like one process x B images. PyTorch's
``nn.SyncBatchNorm`` does this on GPUs only; :class:`SyncBatchNorm2d` is the same idea
in a few lines that run on CPUs (Gloo) too: one all-reduce of (sum, sum of squares,
count) per layer, in float64 so that the statistics are the global batch's to well
within float32 rounding, and the backward pass all-reduces their gradients.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["SyncBatchNorm2d", "convert_sync_batchnorm"]


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) that is differentiable: the gradient is summed too, since every
    process's loss depends on every process's statistics."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


class SyncBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` that, when training under a process group of two or more,
    normalises with the mean and variance of the global batch (any device)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        c = x.shape[1]
        xd = x.double()  # (B, C, H, W); sums in float64
        count = torch.full((1,), x.numel() / c, dtype=torch.float64, device=x.device)
        local = torch.cat([xd.sum((0, 2, 3)), (xd * xd).sum((0, 2, 3)), count])
        total = _SumOverRanks.apply(local)  # (2C + 1,) over all processes
        n = total[-1]
        mean = total[:c] / n
        var = total[c : 2 * c] / n - mean * mean  # biased: what normalises
        if self.track_running_stats:
            self._update_running(mean.detach(), var.detach(), float(n.detach()))
        shape = (1, c, 1, 1)
        y = (xd - mean.view(shape)) * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.double().view(shape) + self.bias.double().view(shape)
        return y.to(x.dtype)

    @torch.no_grad()
    def _update_running(self, mean: torch.Tensor, var: torch.Tensor, n: float) -> None:
        """The running statistics, as ``nn.BatchNorm2d`` keeps them (unbiased var)."""
        self.num_batches_tracked.add_(1)
        m = self.momentum
        if m is None:  # cumulative moving average
            m = 1.0 / float(self.num_batches_tracked)
        unbiased = var * n / max(n - 1.0, 1.0)
        self.running_mean.mul_(1 - m).add_(mean.to(self.running_mean.dtype), alpha=m)
        self.running_var.mul_(1 - m).add_(unbiased.to(self.running_var.dtype), alpha=m)


def convert_sync_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """Replace every ``BatchNorm2d`` of ``model`` by a synchronised one that shares its
    parameters and buffers (state-dict keys unchanged): PyTorch's ``nn.SyncBatchNorm``
    on CUDA, :class:`SyncBatchNorm2d` elsewhere."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return _convert(model)


def _convert(module: nn.Module) -> nn.Module:
    if type(module) is nn.BatchNorm2d:
        new = SyncBatchNorm2d(
            module.num_features,
            module.eps,
            module.momentum,
            module.affine,
            module.track_running_stats,
        )
        if module.affine:
            new.weight, new.bias = module.weight, module.bias
        if module.track_running_stats:
            new.running_mean = module.running_mean
            new.running_var = module.running_var
            new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        return new
    for name, child in module.named_children():
        setattr(module, name, _convert(child))
    return module
