# Setup: on Colab, install this book's `helpers` (this notebook's version; Colab's torch is
# kept) and report the GPU, profile and precision; tick USE_REFERENCE to load the book's
# converged nets (checksummed) instead of training them. Elsewhere it does nothing.
import importlib.util
import os
import subprocess
import sys

REPO_URL = "https://github.com/resnet-book/resnet-book"
REF = "v0.3.0"
USE_REFERENCE = False  # @param {type:"boolean"}
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    if not importlib.util.find_spec("helpers"):
        spec = os.environ.get("RESNET_BOOK_HELPERS", f"git+{REPO_URL}@{REF}")
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", spec]
        subprocess.run([*pip, "captum"], check=True)
        importlib.invalidate_caches()
    from helpers.book.setup import setup

    setup(REPO_URL, REF, reference=USE_REFERENCE)
