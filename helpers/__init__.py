"""Code behind the resnet-book chapters: models, data, training, analysis, plots and widgets.

Import submodules directly, e.g. ``from helpers.models import create_model``.

``helpers.__version__`` is the book's version, and ``helpers.__commit__`` the full git commit this
code comes from (None when unknown); see ``helpers.core.versions``.
"""

# The one place the version is written: pyproject.toml reads it (tool.setuptools.dynamic), the
# book prints it, and the Colab setup cell installs the tag v<__version__>.
__version__ = "0.3.0"


def __getattr__(name: str) -> object:
    # The commit asks git, so it is computed only when someone reads it.
    if name == "__commit__":
        from helpers.core.versions import commit

        return commit()
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
