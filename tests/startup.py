"""A pytest plugin loaded before all others (``-p tests.startup`` in pyproject's addopts).

nbval imports nbformat, whose schema validator imports jsonschema, which builds the grammars of the optional
``rfc3987_syntax`` package at import time: about four seconds at every pytest start. Neither the tests nor
nbformat check IRI formats, so the test process goes without it, as the command line does
(:func:`corpus_utils.run.cli.main`).
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
