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
from helpers.models import resnet_cifar  # noqa: F401,I001  resnet_cifar, plain_cifar, resnet20..., plain20...
from helpers.models import preact  # noqa: F401  preact_resnet_cifar, preact_resnet110/164/1001
from helpers.models import resnet_imagenet  # noqa: F401  resnet18..152, plain18, plain34
from helpers.models import alexnet, vgg, googlenet, densenet  # noqa: F401  related architectures
from helpers.models.introspect import residual_blocks
from helpers.models.pretrained import imagenet_classes, load_torchvision_weights
from helpers.models.registry import create_model, get_entry, list_models

__all__ = [
    "create_model",
    "list_models",
    "residual_blocks",
    "get_entry",
    "load_torchvision_weights",
    "imagenet_classes",
]
