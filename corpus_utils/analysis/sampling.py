"""Fixed-seed samples: the one way every analysis and figure picks a subset of a large corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sample_index", "sample_rows"]


def sample_index(n_units: int, size: int, *, random_state: int = 42) -> np.ndarray:
    """Sorted positions of a fixed-seed sample of ``min(size, n_units)`` units (all of them when ``n_units <= size``)."""
    if n_units <= size:
        return np.arange(n_units)
    return np.sort(np.random.default_rng(random_state).choice(n_units, size=size, replace=False))


def sample_rows(table: pd.DataFrame, size: int, *, random_state: int = 42) -> pd.DataFrame:
    """The rows of ``table`` at :func:`sample_index` positions, in table order (the whole table when it is small)."""
    return table.iloc[sample_index(len(table), size, random_state=random_state)]
