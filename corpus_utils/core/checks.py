"""The checks of an argument: a whole number (``top``, ``k``, ``n_jobs`` …) through scikit-learn's ``check_scalar``, and a choice among names."""

from __future__ import annotations

from numbers import Integral

__all__ = ["check_choice", "check_whole_number"]


def check_whole_number(value: object, name: str, *, min_val: int = 1, allow_none: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a whole number of at least ``min_val`` (not a bool),
    or ``None`` when ``allow_none``.

    scikit-learn's :func:`~sklearn.utils.check_scalar` checks type and bound; a bool, which Python counts as an
    integer, is refused first, so ``top=True`` never means ``top=1``.
    """
    if value is None and allow_none:
        return
    from sklearn.utils import check_scalar

    message = f"{name} must be a whole number of at least {min_val}{' or None' if allow_none else ''}, got {value!r}"
    if isinstance(value, bool):
        raise ValueError(message)
    try:
        check_scalar(value, name, Integral, min_val=min_val)
    except (TypeError, ValueError):
        raise ValueError(message) from None


def check_choice(value: object, choices: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming ``name`` and the allowed values unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
