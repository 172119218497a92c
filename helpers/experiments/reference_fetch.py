"""A stored reference run, downloaded where the repository's ``results/`` is not at hand.

On Colab the book's ``helpers`` is installed with pip, without ``results/``. There
:func:`fetch_reference` downloads one run's ``degradation.json`` and the weights files it
records from the repository at the installed version's tag, into the cache
(``<cache>/reference/<ref>/<profile>/``, on Google Drive after ``use_drive()``). Each
weights file is kept only when its SHA-256 matches the one its entry records; a file already
there with the right checksum is not fetched again, so a second call, or one after a
disconnect, costs nothing. :func:`helpers.experiments.reference_nets.reference_net` checks
the checksum again when it loads.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.core.paths import cache_root
from helpers.data.download import DownloadError, fetch
from helpers.experiments.reference_nets import reference_folder
from helpers.experiments.results import validate
from helpers.experiments.weights import sha256_of

__all__ = ["RAW_URL", "results_url", "fetch_reference", "local_or_fetched"]

RAW_URL = "https://raw.githubusercontent.com/{owner_repo}/{ref}/results/{name}/"


def results_url(repo_url: str, ref: str, name: str) -> str:
    """Where the files of run ``name`` lie in repository ``repo_url`` at ``ref``: GitHub's
    raw file server for a github.com repository, else ``<repo_url>/raw/<ref>/...``."""
    repo_url = repo_url.rstrip("/").removesuffix(".git")
    prefix = "https://github.com/"
    if repo_url.startswith(prefix):
        return RAW_URL.format(owner_repo=repo_url[len(prefix) :], ref=ref, name=name)
    return f"{repo_url}/raw/{ref}/results/{name}/"


def fetch_reference(
    name: str, base_url: str, into: Path | None = None, ref: str = "local"
) -> Path:
    """Download reference run ``name`` (its ``degradation.json`` and every weights file it
    records) from ``base_url`` into ``into`` (default ``<cache>/reference/<ref>/<name>``);
    returns that folder. Raises :class:`DownloadError` naming the URL and what to do."""
    folder = into or cache_root() / "reference" / ref / name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fetch(base_url + "degradation.json", folder / "degradation.json", None)
    except DownloadError as e:
        raise DownloadError(
            f"could not download reference run {name!r} ({e}); it is published with the "
            "book from the release that first holds it, so check the version, or train "
            "the nets instead (leave the reference option off)"
        ) from None
    doc = json.loads((folder / "degradation.json").read_text())
    validate(doc, f"{name}/degradation.json")
    for entry in doc["runs"]:
        record = entry.get("weights")
        if not record:
            continue
        target = folder / record["file"]
        if target.is_file() and sha256_of(target) == record["sha256"]:
            continue  # fetched before
        target.parent.mkdir(parents=True, exist_ok=True)
        fetch(base_url + record["file"], target, record["sha256"], "sha256")
    return folder


def local_or_fetched(name: str, repo_url: str, ref: str) -> Path:
    """The folder of reference run ``name``: this checkout's ``results/<name>`` when it holds
    the run, else the run downloaded from ``repo_url`` at ``ref`` into the cache."""
    local = reference_folder(name)
    if (local / "degradation.json").is_file():
        return local
    return fetch_reference(name, results_url(repo_url, ref, name), ref=ref)
