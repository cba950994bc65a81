"""Benchmarks: synthetic corpora of any size in the sites' page layouts, and timings of every stage against a floor.

Run ``python -m bench run --sizes 1000,10000,100000`` from the repository root (see the README's
"Benchmarks" section). Nothing runs at import time.
"""

__all__: list[str] = []
