"""Code behind the resnet-book chapters: models, data, training, analysis, plots and widgets.

Import submodules directly, e.g. ``from helpers.models import create_model``.

``helpers.__version__`` is the package version and ``helpers.__commit__`` the full git commit
this code comes from (None when unknown); see ``helpers._version``.
"""

from helpers._version import package_version as _package_version

__version__ = _package_version()


def __getattr__(name: str) -> object:
    # The commit asks git, so it is computed only when someone reads it.
    if name == "__commit__":
        from helpers._version import commit

        return commit()
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
