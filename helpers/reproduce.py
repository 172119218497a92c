"""``python -m helpers.reproduce``: the book's reference runs (see :mod:`helpers.experiments.reproduce`)."""

import sys

from helpers.experiments.reproduce import main

if __name__ == "__main__":
    sys.exit(main())
