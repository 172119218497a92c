"""Model zoo of the book: ResNets (CIFAR and ImageNet forms), plain nets and related CNNs.

>>> from helpers.models import create_model, list_models, residual_blocks
>>> model = create_model("resnet20", in_channels=1)   # Fashion-MNIST
>>> len(residual_blocks(model))
9

Every model has ``forward_features(x)`` (image -> last feature maps, (B, C, h, w)) and
``forward_head(f)`` (feature maps -> logits), with ``forward(x) == forward_head(forward_features(x))``.
One file per family; importing a family module registers its names.
"""

# Registration order = list_models() order: the book's own nets first, then the related CNNs.
from . import resnet_cifar  # noqa: F401,I001  resnet_cifar, plain_cifar, resnet20..., plain20...
from . import preact  # noqa: F401  preact_resnet_cifar, preact_resnet110/164/1001
from . import resnet_imagenet  # noqa: F401  resnet18..152, plain18, plain34
from . import alexnet, vgg, googlenet, densenet  # noqa: F401  related architectures
from .introspect import residual_blocks
from .pretrained import imagenet_classes, load_torchvision_weights
from .registry import create_model, get_entry, list_models

__all__ = [
    "create_model",
    "list_models",
    "residual_blocks",
    "get_entry",
    "load_torchvision_weights",
    "imagenet_classes",
]
