"""The data sets' class names in the book's other language, for the sentences that name
classes ("Shirt taken for T-shirt/top"). The data sets keep their own English names, which
the figures and the stored runs use (helpers.data.datasets)."""

from __future__ import annotations

from helpers.core.text import T, Text

__all__ = ["CLASS_TITLES", "class_title"]

CLASS_TITLES: dict[str, Text] = {
    "airplane": T("airplane"),  # CIFAR-10
    "automobile": T("automobile"),
    "bird": T("bird"),
    "cat": T("cat"),
    "deer": T("deer"),
    "dog": T("dog"),
    "frog": T("frog"),
    "horse": T("horse"),
    "ship": T("ship"),
    "truck": T("truck"),
    "T-shirt/top": T("T-shirt/top"),  # Fashion-MNIST
    "Trouser": T("Trouser"),
    "Pullover": T("Pullover"),
    "Dress": T("Dress"),
    "Coat": T("Coat"),
    "Sandal": T("Sandal"),
    "Shirt": T("Shirt"),
    "Sneaker": T("Sneaker"),
    "Bag": T("Bag"),
    "Ankle boot": T("Ankle boot"),
}


def class_title(name: str) -> Text | str:
    """A class name for a sentence, in both languages where the book translates it."""
    return CLASS_TITLES.get(name, name)
