# Setup: on Colab, install this book's `helpers` package and pick the GPU profile.
# Everywhere else (the website build, a local clone) this cell does nothing.
import os, sys
REPO_URL = "https://github.com/resnet-book/resnet-book"
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    try:
        import helpers
    except ImportError:
        import importlib, subprocess
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        f"git+{REPO_URL}", "captum", "torchinfo"], check=True)
        importlib.invalidate_caches()
    import torch
    if torch.cuda.is_available():
        os.environ.setdefault("RESNET_BOOK_PROFILE", "gpu")
