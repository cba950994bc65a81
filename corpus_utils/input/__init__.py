"""Input layer, bytes → documents: decoding, page families, tables, the page cache and the load report.

Imports only :mod:`corpus_utils.core`.
"""
