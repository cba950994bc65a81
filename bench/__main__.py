"""``python -m bench run|generate``: see :mod:`bench.run`."""

from .run import main

raise SystemExit(main())
