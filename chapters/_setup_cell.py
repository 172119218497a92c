# Setup: on Colab, install this book's `helpers` at this notebook's version (Colab's torch is
# kept), then report the GPU, profile and precision. Elsewhere it does nothing.
import importlib
import os
import subprocess
import sys

REPO_URL = "https://github.com/resnet-book/resnet-book"
REF = "v0.2.0"
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    try:
        import helpers  # noqa: F401  (installed?)
    except ImportError:
        spec = os.environ.get("RESNET_BOOK_HELPERS", f"git+{REPO_URL}@{REF}")
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
        subprocess.run([*pip, spec, "captum"], check=True)
        importlib.invalidate_caches()
    from helpers.book.setup import setup

    setup()  # optional: use_drive() keeps runs on Google Drive
