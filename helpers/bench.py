"""``python -m helpers.bench``: training throughput (see :mod:`helpers.experiments.bench`)."""

import sys

from helpers.experiments.bench import main

if __name__ == "__main__":
    sys.exit(main())
