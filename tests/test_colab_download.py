"""Dataset downloads (helpers.data.download): into the cache, never the working directory; a
failure names the URL, the error and the manual fix, and leaves nothing half-written.
Served by a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
from conftest import make_fake_cifar, make_fake_fmnist

from helpers.data import DatasetError, download, load_dataset
from helpers.data.download import DownloadError


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch) -> Path:
    """Empty cache, no RESNET_BOOK_DATA, no Debian data, and a working directory to watch."""
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)
    monkeypatch.delenv("RESNET_BOOK_NO_DOWNLOAD", raising=False)
    monkeypatch.setattr(download, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return tmp_path


def files_under(path: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(path)) for p in path.rglob("*"))
        if path.exists()
        else []
    )


def serve_fmnist(server, monkeypatch) -> None:
    url, www = server
    make_fake_fmnist(www, n_train=100, n_test=50)
    monkeypatch.setattr(download, "FMNIST_URL", url)
    monkeypatch.setattr(
        download, "FMNIST_MD5", {p.name: md5(p) for p in sorted(www.iterdir())}
    )


def test_fashion_mnist_downloads_into_the_cache(isolated, server, monkeypatch) -> None:
    serve_fmnist(server, monkeypatch)
    ds = load_dataset("fashion-mnist", "test")
    assert len(ds) == 50
    target = isolated / "cache" / "data" / "fashion-mnist"
    assert Path(ds.source) == target.resolve()
    assert files_under(isolated / "cwd") == [], (
        "nothing is written to the working directory"
    )
    assert files_under(isolated / "cache" / "data") == ["fashion-mnist"] + [
        f"fashion-mnist/{name}" for name in sorted(download.FMNIST_MD5)
    ]


def test_cifar_downloads_unpacks_and_removes_the_archive(isolated, server, monkeypatch):
    url, www = server
    make_fake_cifar(isolated / "src", per_batch=20, n_test=20)
    archive = www / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(isolated / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(download, "CIFAR_URL", url + archive.name)
    monkeypatch.setattr(download, "CIFAR_MD5", md5(archive))
    assert len(load_dataset("cifar10", "train", val_size=0)) == 100
    data = isolated / "cache" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-batches-py"]
    assert files_under(isolated / "cwd") == []


def test_missing_file_names_url_error_and_manual_fix(isolated, server, monkeypatch):
    serve_fmnist(server, monkeypatch)
    url, www = server
    (
        www / "t10k-labels-idx1-ubyte.gz"
    ).unlink()  # the last file fails: three are on disk
    with pytest.raises(DownloadError) as info:
        load_dataset("fashion-mnist", "train")
    message = str(info.value)
    assert f"{url}t10k-labels-idx1-ubyte.gz" in message and "404" in message
    assert "To place the files by hand" in message and "fashion-mnist" in message
    assert files_under(isolated / "cache" / "data") == [], "nothing half-written"
    assert files_under(isolated / "cwd") == []


def test_checksum_mismatch_keeps_nothing(isolated, server, monkeypatch):
    serve_fmnist(server, monkeypatch)
    monkeypatch.setitem(download.FMNIST_MD5, "train-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        load_dataset("fashion-mnist", "train")
    assert files_under(isolated / "cache" / "data") == []


def test_unreachable_server(isolated, monkeypatch):
    monkeypatch.setattr(
        download, "CIFAR_URL", "http://127.0.0.1:9/cifar-10-python.tar.gz"
    )
    with pytest.raises(DownloadError) as info:
        load_dataset("cifar10", "test")
    message = str(info.value)
    assert "http://127.0.0.1:9/cifar-10-python.tar.gz" in message
    assert "cifar-10-batches-py" in message and "URLError" in message
    assert files_under(isolated / "cache" / "data") == []


def test_download_disabled_says_so(isolated, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_NO_DOWNLOAD", "1")
    with pytest.raises(DatasetError, match="downloading is disabled"):
        load_dataset("cifar10", "test")


def test_damaged_cifar_archive_is_deleted_and_nothing_kept(
    isolated, server, monkeypatch
) -> None:
    url, www = server
    archive = www / "cifar-10-python.tar.gz"
    archive.write_bytes(b"not a tar archive")
    monkeypatch.setattr(download, "CIFAR_URL", url + archive.name)
    monkeypatch.setattr(download, "CIFAR_MD5", md5(archive))
    with pytest.raises(DownloadError, match="cannot unpack") as info:
        load_dataset("cifar10", "test")
    assert "To place the files by hand" in str(info.value)
    assert files_under(isolated / "cache" / "data") == [], "archive and staging removed"
