"""Code behind the resnet-book chapters: models, data, training, analysis, plots and widgets.

Import submodules directly, e.g. ``from helpers.models import create_model``.
"""

__version__ = "0.1.0"
