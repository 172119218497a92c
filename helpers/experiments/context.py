"""What the tasks of one ``python -m helpers.reproduce`` command share: the profile's data,
the nets of the degradation experiment, the results files and the trained nets.

The nets are He et al. (2016)'s CIFAR-style plain and residual nets of depth 6n+2
(Sec. 4.2); on CIFAR-10 the degradation experiment runs the depths of Fig. 6 (20, 32, 44,
56) and ResNet-110.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from helpers.core.device import resolve_device
from helpers.experiments.profiles import Profile
from helpers.experiments.results import (
    PARTS,
    ResultsFile,
    dataset_info,
    now,
    provenance,
)

__all__ = ["CIFAR10_DEPTHS", "Net", "degradation_nets", "Context"]

CIFAR10_DEPTHS = (20, 32, 44, 56)  # the paper's Fig. 6 (plain and residual)


@dataclass(frozen=True)
class Net:
    """One net of the experiments: "plain" or "resnet" at a depth of 6n+2."""

    kind: str  # "plain" | "resnet"
    depth: int

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.depth}"


def degradation_nets(
    profile: Profile,
    depths: tuple[int, ...] | None = None,
    resnet110: bool | None = None,
) -> list[Net]:
    """The degradation experiment's nets: shallow before deep, plain before residual."""
    if depths is None:
        depths = (
            CIFAR10_DEPTHS if profile.dataset == "cifar10" else tuple(profile.depths)
        )
    if resnet110 is None:
        resnet110 = profile.dataset == "cifar10"
    nets = [Net(kind, d) for d in sorted(depths) for kind in ("plain", "resnet")]
    if resnet110 and 110 not in depths:
        nets.append(Net("resnet", 110))
    # the most telling pairs first: shallowest and deepest of each kind, then the middle
    # depths
    ends = (min(depths), max(depths))
    return sorted(
        nets,
        key=lambda n: (
            n.depth not in ends and n.depth != 110,
            n.depth == 110,
            n.kind != "plain",
            n.depth,
        ),
    )


class Context:
    """Data, results files and trained nets shared by the tasks of one command."""

    def __init__(
        self,
        profile: Profile,
        out: Path,
        checkpoints: Path,
        seeds: list[int],
        command: str,
    ) -> None:
        self.profile, self.out, self.ckdir = profile, out, checkpoints
        self.train = profile.load("train")
        self.test = profile.load("test")
        data = dataset_info(profile, self.train, self.test)
        self.prov = provenance(profile, data, seeds, command)
        self.files = {p: ResultsFile(out / f"{p}.json", p, self.prov) for p in PARTS}
        self.device = resolve_device(profile.device)  # analyses run where training ran
        self.models: dict[tuple[str, int], torch.nn.Module] = {}  # (name, seed) -> net

    def model_args(self, net: Net, width: int | None = None) -> dict[str, Any]:
        """The registry name and keyword arguments that build ``net``; a run entry
        records them, so that its stored weights can be loaded into the same net."""
        return {
            "name": f"{net.kind}_cifar",
            "depth": net.depth,
            "width": width or self.profile.width,
            "in_channels": self.train.in_channels,
            "num_classes": self.train.num_classes,
        }

    def new_model(
        self, net: Net, seed: int, width: int | None = None
    ) -> torch.nn.Module:
        """``net`` freshly initialised from ``seed``, on the run's device."""
        from helpers.models import create_model

        torch.manual_seed(seed)
        model = create_model(**self.model_args(net, width))
        return model.to(self.device)

    def weights(self, net: Net, seed: int) -> Path:
        """Where the trained weights of ``net`` at ``seed`` are kept."""
        return self.ckdir / f"{net.name}-s{seed}.pt"

    def checkpoint(self, net: Net, seed: int) -> Path:
        """The epoch checkpoint an interrupted training run resumes from."""
        return self.ckdir / f"{net.name}-s{seed}.ckpt"

    def run_meta(self, seed: int, t0: float, started: str) -> dict[str, Any]:
        """The fields every run entry carries: seed, dates, wall time, commit, device."""
        return {
            "seed": seed,
            "started": started,
            "date": now(),
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "helpers_commit": self.prov["helpers"]["commit"],
            "device": self.prov["device"]["name"],
            "precision": self.prov["device"]["precision"],
        }

    def batch(self, data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``n`` images of ``data`` (no augmentation), normalised, on the
        device."""
        from helpers.data import DeviceLoader

        loader = DeviceLoader(
            data,
            batch_size=min(n, len(data)),
            train=False,
            augment=False,
            device=self.device,
            normalize=self.profile.normalize,
        )
        return next(iter(loader))
