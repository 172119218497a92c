"""The state of one training run: what ``fit`` builds, what a checkpoint saves.

:class:`Run` holds the loader, the optimizer (SGD with momentum and weight decay, He et al.
2016, Sec. 3.4), the precision, the metrics and the history; :class:`Progress` is where the
run is; :class:`StepMetrics` keeps per-step losses on the device and reads them back only
every ``log_every`` steps (so CUDA runs have no per-step host syncs); :class:`GoodWeights`
keeps the last finite weights so that a diverged run hands back a usable model. The loop
itself is :mod:`helpers.train.loop`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from helpers.core.device import describe_device
from helpers.core.precision import amp_dtype, grad_scaler, prefer_channels_last
from helpers.data import Dataset, DeviceLoader, Normalization, set_normalization
from helpers.train.config import TrainConfig
from helpers.train.distributed import Parallel, wrap
from helpers.train.history import History
from helpers.train.inference import check_model_fits_data
from helpers.train.schedule import milestone_steps

__all__ = ["Run", "Progress", "StepMetrics", "GoodWeights", "make_optimizer"]


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device):
    """SGD with momentum and L2 weight decay on all weights (He et al. 2016, Sec. 3.4)."""
    return torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
        **({"fused": True} if device.type == "cuda" else {}),
    )


class StepMetrics:
    """Per-step loss and error in a ring of ``k`` device slots, and the epoch's sums."""

    def __init__(self, k: int, device: torch.device) -> None:
        self.k = k
        self.acc = {
            "win_loss": torch.zeros(k, device=device),
            "win_err": torch.zeros(k, device=device),
            "ep_loss": torch.zeros((), device=device),
            "ep_err": torch.zeros((), device=device),
        }

    @torch.no_grad()
    def add(self, step: int, loss: torch.Tensor, err: torch.Tensor, n: int) -> None:
        """Record 0-based ``step`` (device ops only)."""
        self.acc["win_loss"][step % self.k] = loss
        self.acc["win_err"][step % self.k] = err
        self.acc["ep_loss"] += loss * n
        self.acc["ep_err"] += err * n

    def window(self, step: int) -> int:
        """How many of the last steps up to ``step`` (1-based count) the ring holds."""
        return (step - 1) % self.k + 1

    def first_bad(self, step: int) -> tuple[int, float] | None:
        """(step, loss) of the first NaN/inf loss in this window (one host sync)."""
        n = self.window(step)
        losses = self.acc["win_loss"][:n]
        finite = torch.isfinite(losses)
        if bool(finite.all()):
            return None
        i = int((~finite).nonzero()[0])
        return step - n + i + 1, float(losses[i])

    def window_means(self, step: int) -> tuple[float, float]:
        n = self.window(step)
        return float(self.acc["win_loss"][:n].mean()), float(
            self.acc["win_err"][:n].mean()
        )

    def epoch_means(self, seen: int) -> tuple[float, float]:
        """Mean training loss and error over the epoch's ``seen`` images."""
        n = max(seen, 1)
        return float(self.acc["ep_loss"]) / n, float(self.acc["ep_err"]) / n

    def reset_epoch(self) -> None:
        self.acc["ep_loss"].zero_()
        self.acc["ep_err"].zero_()

    def state_dict(self) -> dict:
        return {key: v.detach().cpu().clone() for key, v in self.acc.items()}

    def load_state_dict(self, state: dict) -> None:
        for key, value in self.acc.items():
            value.copy_(state[key])


class GoodWeights:
    """A copy of the model's weights from the last check at which losses and weights
    were finite, so that a run that diverges can hand back a usable model."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.copy = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.step = 0

    def update(self, step: int) -> None:
        params = [p.detach() for p in self.model.parameters()]
        if params and not bool(
            torch.stack([torch.isfinite(p).all() for p in params]).all()
        ):
            return
        for key, value in self.model.state_dict().items():
            self.copy[key].copy_(value)
        self.step = step

    def restore(self) -> int:
        """Put the saved weights back into the model; returns the step they are from."""
        self.model.load_state_dict(self.copy)
        return self.step


@dataclass
class Progress:
    """Where a run is: what a checkpoint saves and a resume restores."""

    step: int = 0  # optimizer steps done
    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the current epoch
    seen: int = 0  # images seen in the current epoch
    in_epoch: bool = (
        False  # inside an epoch (an interrupt there saves a mid-epoch checkpoint)
    )


def make_loader(
    data, config: TrainConfig, parallel: Parallel, normalization, channels_last, train
):
    """This process's loader of ``data``: the device-resident one for a
    :class:`helpers.data.Dataset`, the streaming one for an image folder."""
    common = dict(
        train=train,
        augment=config.augment,
        device=parallel.device,
        seed=config.seed,
        normalize=normalization,
        channels_last=channels_last,
        rank=parallel.launch.rank,
        world_size=parallel.world,
    )
    if isinstance(data, Dataset):
        return DeviceLoader(data, config.batch_size, **common)
    from helpers.data.streaming import StreamingLoader, default_workers

    local = parallel.launch.local_world_size
    workers = default_workers(local) if config.workers is None else config.workers
    return StreamingLoader(data, config.batch_size, workers=workers, **common)


class Run:
    """What one call of ``fit`` builds: loader, optimizer, precision, metrics, history.

    ``model`` is what checkpoints and evaluation use; ``forward`` is what a training step
    calls: the model, or under torchrun its DistributedDataParallel wrapper."""

    def __init__(
        self,
        model: nn.Module,
        train,
        config: TrainConfig,
        val,
        parallel: Parallel,
    ) -> None:
        self.config, self.model, self.train_data, self.val = config, model, train, val
        self.parallel = parallel
        self.device = device = parallel.device
        self.dtype = amp_dtype(device, config.amp)
        self.channels_last = config.channels_last
        if self.channels_last is None:  # the device's own preference
            self.channels_last = prefer_channels_last(device, self.dtype)
        fmt = torch.channels_last if self.channels_last else torch.preserve_format
        model.to(device=device, memory_format=fmt)
        check_model_fits_data(model, train, device)
        self.normalization = Normalization.of(config.normalize, train)
        set_normalization(model, self.normalization)
        norm, cl = self.normalization, self.channels_last
        self.loader = make_loader(train, config, parallel, norm, cl, train=True)
        self.val_loader = None  # streaming validation data: sharded over the processes
        if val is not None and not isinstance(val, Dataset):
            self.val_loader = make_loader(val, config, parallel, norm, cl, train=False)
        self.steps_per_epoch = len(self.loader)
        self.total = config.iterations or config.epochs * self.steps_per_epoch
        self.n_epochs = math.ceil(self.total / self.steps_per_epoch)
        if config.schedule == "step":
            milestone_steps(config, self.total)  # a milestone past the end raises here
        self.optimizer = make_optimizer(model, config, device)
        self.scaler = grad_scaler(device, self.dtype)
        self.forward = wrap(model, parallel, config.sync_bn)
        if config.compile:
            self.forward = torch.compile(self.forward)
        self.metrics = StepMetrics(config.log_every, device)
        self.progress = Progress()
        processes = f" x {parallel.world} processes" if parallel.distributed else ""
        self.history = History(
            device=describe_device(device, self.dtype) + processes,
            config=config.to_dict(),
            meta={
                "dataset": train.name,
                "train_images": len(train),
                "steps_per_epoch": self.steps_per_epoch,
                "total_steps": self.total,
                "train_time_s": 0.0,
                "world_size": parallel.world,
                "per_rank_batch": parallel.per_rank_batch,
            },
        )

    @property
    def finished(self) -> bool:
        return self.progress.epoch >= self.n_epochs or self.progress.step >= self.total

    def state_dict(self) -> dict:
        """Everything a bitwise-identical resume needs (tensors, plain containers)."""
        p = self.progress
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "loader": self.loader.state_dict(restart_epoch=p.in_epoch),
            "torch_rng": torch.get_rng_state(),
            "acc": self.metrics.state_dict(),
            "step": p.step,
            "epoch": p.epoch,
            "batch": p.batch if p.in_epoch else 0,
            "ep_seen": p.seen if p.in_epoch else 0,
            "history": self.history.to_dict(),
            "normalization": self.normalization.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.loader.load_state_dict(state["loader"])
        torch.set_rng_state(state["torch_rng"])
        self.metrics.load_state_dict(state["acc"])
        self.progress = Progress(
            state["step"], state["epoch"], state["batch"], state["ep_seen"]
        )
        self.history = History.from_dict(state["history"])
        self.history.meta["wall_before_s"] = self.history.wall_time_s
