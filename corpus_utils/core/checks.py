"""The checks of an argument: a whole number (``top``, ``k``, ``n_jobs`` …), a choice among names, a topic model's rows
and labels against its units.

Nothing here imports more than the standard library: a notebook checks its parameters in its first cells, and
importing scikit-learn for its ``check_scalar`` took 1.5 s of every kernel's start, also in the notebooks that never
fit a model (01, 05, 07)."""

from __future__ import annotations

from numbers import Integral

__all__ = ["check_choice", "check_topic_inputs", "check_whole_number", "is_number_within"]


def is_number_within(value: object, kind: type, *, min_val: float | None = None, max_val: float | None = None,
                     include_boundaries: str = "both") -> bool:
    """Whether ``value`` is an instance of ``kind`` (``numbers.Integral`` or ``numbers.Real``; never a bool, never NaN)
    within ``min_val`` … ``max_val``; ``include_boundaries`` (``"both"``, ``"left"``, ``"right"``, ``"neither"``)
    says which bounds are allowed, as in scikit-learn's ``check_scalar``."""
    if isinstance(value, bool) or not isinstance(value, kind) or value != value:
        return False
    if min_val is not None and (value < min_val or (value == min_val and include_boundaries in ("right", "neither"))):
        return False
    return max_val is None or not (value > max_val or (value == max_val and include_boundaries in ("left", "neither")))


def check_whole_number(value: object, name: str, *, min_val: int = 1, allow_none: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a whole number of at least ``min_val`` (not a bool),
    or ``None`` when ``allow_none``.

    A bool, which Python counts as an integer, is refused, so ``top=True`` never means ``top=1``.
    """
    if value is None and allow_none:
        return
    if not is_number_within(value, Integral, min_val=min_val):
        raise ValueError(f"{name} must be a whole number of at least {min_val}{' or None' if allow_none else ''}, got {value!r}")


def check_choice(value: object, choices: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming ``name`` and the allowed values unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_topic_inputs(units, doc_topic, labels) -> None:
    """Raise ``ValueError`` unless ``doc_topic`` (units × topics) has one row per row of ``units`` and one column per
    label of ``labels``."""
    if len(units) != doc_topic.shape[0]:
        raise ValueError(f"units has {len(units)} rows but doc_topic has {doc_topic.shape[0]}; pass the units the model was fitted on")
    if len(labels) != doc_topic.shape[1]:
        raise ValueError(f"{len(labels)} labels for {doc_topic.shape[1]} topics")
