"""``python -m corpus_utils run``: the command line of :mod:`corpus_utils.run.cli`."""

import sys

from .run.cli import main

if __name__ == "__main__":
    sys.exit(main())
