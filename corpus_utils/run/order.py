"""Which notebook the runner starts next: one whose stored inputs are ready, so that no kernel holds a core waiting.

Notebooks share results through the derived store (:mod:`corpus_utils.core.memo`): 02's token ids are read by 03, 04, 05,
06 and 07, 04's topic fit by 05, 03's near-duplicate paragraphs by 06. A notebook started before the one computing
such a result waits for it (the store's lock) and then reads it: the numbers are the same whatever the order, but a
kernel waiting holds one of the run's places. Started in reading order two at a time on 100,000 pages, 05 waited 57 s
for 04's fit while 06, which could have run, had not started. The runner therefore starts, whenever a place is free,
the first notebook (in reading order) whose producers have all finished, and the first one still waiting only when
none is ready. One at a time (``--jobs 1``) this is the reading order. When memory is short for the corpus, a
notebook also starts only when its kernel is expected to fit beside the running ones (the runner's per-notebook
estimates); a light notebook then runs beside a heavy one, and a heavy one waits until it can.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

__all__ = ["READS_RESULTS_OF", "producers_of", "next_to_start"]

#: Notebook → the notebooks whose stored results it reads (it computes them itself when run alone).
READS_RESULTS_OF: Mapping[str, tuple[str, ...]] = {
    "03_tfidf_similarity": ("02_term_frequency",),  # the token ids
    "04_topic_clustering": ("02_term_frequency",),  # the token ids of the paragraphs
    "05_timeline": ("02_term_frequency", "04_topic_clustering"),  # the token ids; the topic fit
    "06_formulations": ("02_term_frequency", "03_tfidf_similarity"),  # ids, units, variant counts; near-duplicates
    "07_explore": ("02_term_frequency",),  # the token ids
}


def producers_of(name: str, reads: Mapping[str, tuple[str, ...]] = READS_RESULTS_OF) -> tuple[str, ...]:
    """The notebooks ``name`` reads from, with its language suffix (``05_timeline.en`` reads ``04_topic_clustering.en``).

    Examples
    --------
    >>> producers_of("05_timeline.zh")
    ('02_term_frequency.zh', '04_topic_clustering.zh')
    >>> producers_of("01_corpus_overview")
    ()
    """
    base, dot, language = name.partition(".")
    return tuple(producer + dot + language for producer in reads.get(base, ()))


def next_to_start(pending: Sequence[str], running: Collection[str],
                  reads: Mapping[str, tuple[str, ...]] = READS_RESULTS_OF, *,
                  fits: Callable[[str], bool] | None = None) -> str | None:
    """The notebook of ``pending`` (in reading order) to start now, or None when it is better to wait.

    Parameters
    ----------
    pending : sequence of str
        Notebooks not started yet, in the order the run lists them (not empty).
    running : collection of str
        Notebooks started and not yet ended. Every other notebook has ended (succeeded or not: a failed producer's
        result will not come) or is not part of this run.
    reads : mapping
        Notebook → producers, default :data:`READS_RESULTS_OF`.
    fits : callable, optional
        Whether a notebook's kernel fits in the memory the running ones leave (the runner's
        :class:`~corpus_utils.run.runner.MemoryBudget`); by default every one does.

    Returns
    -------
    str or None
        The first of ``pending`` none of whose producers is pending or running (ready); the first of ``pending`` when
        each one still has a producer to wait for. With ``fits``, the first ready one that fits; when none is ready,
        the first that fits of those waiting. None while others run and nothing of that kind fits (a place frees memory
        when it ends; a waiting notebook does not take the memory of a ready one, whose results others may wait for);
        with nothing running, the first ready one (it has the machine to itself).

    Examples
    --------
    >>> next_to_start(["05_timeline", "06_formulations", "07_explore"], running={"04_topic_clustering"})
    '06_formulations'
    >>> next_to_start(["03_tfidf_similarity", "04_topic_clustering"], running={"02_term_frequency"})
    '03_tfidf_similarity'
    >>> next_to_start(["05_timeline", "06_formulations", "07_explore"], running={"04_topic_clustering"},
    ...               fits=lambda name: name != "06_formulations")
    '07_explore'
    >>> print(next_to_start(["02_term_frequency", "07_explore"], running={"01_corpus_overview"},
    ...                     fits=lambda name: name == "07_explore"))  # 07 would wait for 02: better 02 when 01 ends
    None
    >>> print(next_to_start(["06_formulations"], running={"04_topic_clustering"}, fits=lambda name: False))
    None
    """
    if not pending:
        raise ValueError("no notebook left to start")
    busy = {*pending, *running}
    candidates = [name for name in pending if not busy.intersection(producers_of(name, reads))] or list(pending)
    if fits is None:
        return candidates[0]
    return next((name for name in candidates if fits(name)), None if running else candidates[0])
