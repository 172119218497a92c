"""The caption line of a reference run: what it trained, on what, where and for how long.

Read from the run's results files (:mod:`helpers.experiments.results`), in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from helpers.core.text import T, Text

__all__ = ["provenance_caption"]


# A CPU as a results file names it (helpers.experiments.results): "AMD EPYC, 1 thread".
_CPU_NAME = re.compile(r"^(?P<cpu>.+), (?P<n>\d+) threads?$")


def _device(name: str) -> Text | str:
    """A recorded device name in both languages (a GPU's name stays as it is)."""
    m = _CPU_NAME.match(name)
    if m is None:
        return name
    n = int(m["n"])
    if n == 1:
        return T("{cpu}, 1 thread", cpu=m["cpu"])
    return T("{cpu}, {n} threads", cpu=m["cpu"], n=n)


def provenance_caption(results: Mapping[str, Mapping[str, Any]]) -> Text:
    """One caption line: dataset and sizes, schedule, width, seeds, device, precision,
    versions, commit, date and wall time of the reference run."""
    doc = results.get("degradation") or next(iter(results.values()))
    prov = doc["provenance"]
    prof, data, dev = prov["profile"], prov["dataset"], prov["device"]
    cfg = prov["train_config"]
    if cfg.get("iterations"):
        sched = T("{n:,} iterations", n=cfg["iterations"])
    else:
        sched = T("{n} epochs", n=cfg["epochs"])
    seeds = sorted({r["seed"] for r in doc["runs"]})
    wall = sum(r["wall_time_s"] for d in results.values() for r in d["runs"])
    dates = sorted(r["date"][:10] for d in results.values() for r in d["runs"])
    commit = str(prov["helpers"]["commit"])[:7]
    listed = ", ".join(map(str, seeds))
    return T(
        "Reference run `{name}`: {title}, {train:,} training / {test:,} test images, "
        "width {width}, {schedule} at batch {batch}, {seeds}; {device}, {precision}; "
        "torch {torch}, helpers {commit}; {date}, {minutes:.0f} min in all.",
        name=prof["name"],
        title=data["title"],
        train=data["train_images"],
        test=data["test_images"],
        width=prof["width"],
        schedule=sched,
        batch=cfg["batch_size"],
        seeds=T("seeds {seed}", seed=listed)
        if len(seeds) > 1
        else T("seed {seed}", seed=listed),
        device=_device(dev["name"]),
        precision=dev["precision"],
        torch=prov["versions"]["torch"].split("+")[0],
        commit=commit,
        date=dates[-1],
        minutes=wall / 60,
    )
