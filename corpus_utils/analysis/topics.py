"""Topic models (NMF on TF-IDF, LDA on counts) over documents or paragraphs, with readable topic labels."""

from __future__ import annotations

import re
import warnings

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning

from .labels import NO_SECTION, document_labels
from .sampling import sample_index
from ..core.checks import check_choice, check_topic_inputs
from ..core.columns import ARROW_TEXT_DTYPE, TEXT_DTYPE, as_str, release_arrow_memory, texts_of
from ..core.memo import Memo, digest_texts, memo_key
from ..input.load import PARAGRAPH_PART, load_paragraphs
from ..text.tokenizer import Tokenizer
from ..text.vectorizers import fit_relaxing_limits, make_vectorizer, relaxed_limits

__all__ = [
    "UNITS",
    "TOPIC_METHODS",
    "DEFAULT_N_TOPICS",
    "DEFAULT_MIN_WORDS",
    "DEFAULT_FIT_UNITS",
    "MIN_UNITS",
    "TopicModel",
    "UnitSelection",
    "select_units",
    "naming_terms",
    "text_units",
    "fit_topics",
    "topic_label",
    "topic_shares",
    "topic_share_table",
    "check_topic_inputs",
]

#: Units a corpus can be split into for topics and clusters.
UNITS = ("paragraph", "document")
#: ``"nmf"``: non-negative matrix factorisation of TF-IDF; ``"lda"``: latent Dirichlet allocation of counts.
TOPIC_METHODS = ("nmf", "lda")
#: Defaults shared by notebooks 04 and 05, so both fit the same topics.
DEFAULT_N_TOPICS = 6
DEFAULT_MIN_WORDS = 20
#: Past this many units, topics are fitted on a fixed-seed sample of this many and every unit is then placed on them
#: (notebooks 04 and 05's ``TOPIC_SAMPLE``). On the 378,625 paragraphs of 100,000 pages: 34 s -> 4 s, with the same
#: reconstruction error of all paragraphs within 0.05 % (docs/analyses.md, "Topics on a sample").
DEFAULT_FIT_UNITS = 50_000


def text_units(documents: pd.DataFrame, *, unit: str = "paragraph", min_words: int = DEFAULT_MIN_WORDS) -> pd.DataFrame:
    """The texts to model: one row per document or per paragraph, with a short label each.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``title``, ``body`` and ``n_words`` (the loader's documents table).
    unit : {"paragraph", "document"}
        Paragraphs come from :func:`corpus_utils.load_paragraphs`.
    min_words : int
        Units with fewer words are dropped (headings, picture captions, one-line slogans); the
        caller reports how many with ``len(documents or paragraphs) - len(result)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_id`` (``doc_id`` or ``doc_id#paragraph``), ``doc_id``, ``paragraph`` (0 for
        whole documents), ``label`` (``"D2 Suzhou: …"`` for documents, ``"D2 ¶5"`` for paragraphs, numbered as
        in :func:`corpus_utils.labels.document_labels`), ``text``, ``n_words``; in document order.

    Notes
    -----
    Cost: one pass over the bodies (splitting on blank lines and counting words).
    """
    return _units_at_least(documents, unit=unit, min_words=min_words)[0]


def _units_at_least(documents: pd.DataFrame, *, unit: str, min_words: int, memo: Memo | None = None
                    ) -> tuple[pd.DataFrame, int, int]:
    """:func:`text_units` with ``min_words``, the number of units of any length and their words. Paragraphs are made
    :data:`~corpus_utils.input.load.PARAGRAPH_PART` documents at a time and filtered part by part, so the text of
    the units left out is never held beside the kept ones (a second copy of the corpus at a million pages)."""
    check_choice(unit, UNITS, "unit")
    if min_words < 0:
        raise ValueError(f"min_words must be 0 or more, got {min_words}")
    n_units, n_words, parts = 0, 0, []
    for part in _unit_parts(documents, unit, memo):
        n_units, n_words = n_units + len(part), n_words + int(part["n_words"].sum())
        parts.append(part[part["n_words"] >= min_words])
    units = (parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)).reset_index(drop=True)
    text_dtype = units["text"].dtype if _arrow_backed(units["text"]) else TEXT_DTYPE
    units = units.astype({"unit_id": text_dtype, "doc_id": text_dtype, "paragraph": "int64", "label": text_dtype,
                          "text": text_dtype, "n_words": "int64"})
    release_arrow_memory()
    return units, n_units, n_words


def _arrow_backed(values: pd.Series) -> bool:
    return getattr(values.dtype, "storage", None) == "pyarrow"


def _unit_parts(documents: pd.DataFrame, unit: str, memo: Memo | None = None) -> Iterator[pd.DataFrame]:
    """The units of ``documents`` of any length, all documents at once or paragraphs a part at a time (their word
    counts kept in ``memo``, :func:`~corpus_utils.input.load.load_paragraphs`)."""
    if unit == "document":
        yield _document_units(documents)
        return
    for start in range(0, max(len(documents), 1), PARAGRAPH_PART):
        yield _paragraph_units(documents.iloc[start : start + PARAGRAPH_PART], first_number=start + 1, memo=memo)


def _document_units(documents: pd.DataFrame) -> pd.DataFrame:
    """:func:`text_units` of every document (no ``min_words`` yet)."""
    return pd.DataFrame(
        {
            "unit_id": documents["doc_id"].array,
            "doc_id": documents["doc_id"].array,
            "paragraph": 0,
            "label": document_labels(documents).to_numpy(),
            "text": documents["body"].fillna("").array,
            "n_words": documents["n_words"].astype("int64").to_numpy(),
        }
    )


def _paragraph_units(documents: pd.DataFrame, *, first_number: int = 1, memo: Memo | None = None) -> pd.DataFrame:
    """:func:`text_units` of every paragraph of ``documents`` (no ``min_words`` yet), the first document numbered
    ``first_number``. Ids and labels are joined in Arrow; the text columns keep the paragraphs' dtype, so a large
    corpus read from the store (Arrow buffers) is not turned into Python strings (4.5 million paragraphs of a
    million pages: about 8 GB more in a kernel)."""
    paragraphs = load_paragraphs(documents, memo=memo)
    dtype = paragraphs["text"].dtype if _arrow_backed(paragraphs["text"]) else TEXT_DTYPE
    doc_ids = _arrow_text(paragraphs["doc_id"])
    numbers = pc.add(pc.index_in(doc_ids, value_set=_arrow_text(documents["doc_id"])), first_number)  # D<n>: table order
    paragraph = pc.cast(pa.array(paragraphs["paragraph"].to_numpy()), pa.large_string())

    def joined(*parts: pa.Array | str) -> pd.Series:
        parts = [pa.scalar(part, pa.large_string()) if isinstance(part, str) else part for part in parts]
        return pd.Series(pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string())), dtype=dtype)

    return pd.DataFrame(
        {
            "unit_id": joined(doc_ids, "#", paragraph),
            "doc_id": pd.Series(doc_ids, dtype=dtype),
            "paragraph": paragraphs["paragraph"].to_numpy(),
            "label": joined("D", pc.cast(numbers, pa.large_string()), " ¶", paragraph),
            "text": paragraphs["text"].astype(dtype),
            "n_words": paragraphs["n_words"].to_numpy(),
        }
    )


def _arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array of ``large_string`` (its own buffers when it is Arrow-backed already)."""
    arrow = pa.array(values.astype(ARROW_TEXT_DTYPE)).cast(pa.large_string())
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow


def topic_label(terms: Sequence[str], *, number: int, n_terms: int = 3) -> str:
    """A readable topic name from its top terms: ``"T2 branch · meetings · lesson"``."""
    shown = [str(term).replace("_", " ") for term in list(terms)[:n_terms]]
    return f"T{number} " + " · ".join(shown)


_BARE_NUMBER = re.compile(r"^[\d.,%]+$")


def naming_terms(components: np.ndarray, terms: Sequence[str], *, n_terms: int = 3, pool: int = 30) -> list[list[str]]:
    """For each topic, the terms that name it: its heaviest terms, leaving out bare numbers ("1", "2020") and
    corpus-generic words — those among the ten heaviest terms of more than half the topics ("said" in news,
    "party" in Party media), which name every topic and so none. Number words inside formulations
    (``two_safeguards``) are kept. Falls back to the skipped terms when fewer than ``n_terms`` are left.
    """
    terms = np.asarray(terms, dtype=object)
    order = np.argsort(-components, axis=1, kind="stable")[:, :pool]
    n_topics = components.shape[0]
    generic: set[str] = set()
    if n_topics >= 3:
        heads, counts = np.unique(order[:, :10], return_counts=True)
        generic = {str(terms[head]) for head, count in zip(heads, counts) if count > n_topics / 2}
    chosen = []
    for row in order:
        candidates = [str(terms[index]) for index in row]
        kept = [term for term in candidates if term not in generic and not _BARE_NUMBER.match(term)]
        chosen.append((kept + [term for term in candidates if term not in kept])[:n_terms])
    return chosen


#: Topic models and clusters need at least this many units; below it, ``min_words`` is relaxed to 1.
MIN_UNITS = 3


@dataclass(frozen=True)
class UnitSelection:
    """The units long enough to model (:func:`select_units`) and what the threshold left out.

    Attributes
    ----------
    units : pandas.DataFrame
        :func:`text_units` of at least ``min_words`` words.
    min_words : int
        The threshold used: the one asked for, or 1 when fewer than :data:`MIN_UNITS` units reach it.
    n_units, n_words : int
        All units, whatever their length, and their words.
    """

    units: pd.DataFrame
    min_words: int
    n_units: int
    n_words: int

    @property
    def n_dropped(self) -> int:
        """Units under ``min_words`` words, left out."""
        return self.n_units - len(self.units)

    @property
    def words_dropped(self) -> int:
        """The words of the units left out."""
        return self.n_words - int(self.units["n_words"].sum())

    def documents_without_units(self, documents: pd.DataFrame) -> list[str]:
        """The ``doc_id`` of each document of ``documents`` with no unit left, sorted."""
        ids = _arrow_text(documents["doc_id"])  # in Arrow: pandas' isin took 21 s and 1.4 GB at a million pages
        kept = pc.unique(_arrow_text(self.units["doc_id"]))
        return sorted(ids.filter(pc.invert(pc.is_in(ids, value_set=kept))).to_pylist())


def select_units(documents: pd.DataFrame, *, unit: str = "paragraph", min_words: int = DEFAULT_MIN_WORDS,
                 memo: Memo | None = None) -> UnitSelection:
    """The units of :func:`text_units` long enough to model, as notebooks 04 and 05 take them.

    Units under ``min_words`` words are dropped; when fewer than :data:`MIN_UNITS` would be left (a corpus of
    short pages, or text without spaces between words), every unit of at least one word is kept instead, so
    notebooks 04 and 05 still have something to model (``min_words`` of the result says which).

    With ``memo`` (``prepared.memo``) the paragraphs' word counts are kept there and shared with notebooks 03 and
    06 (:func:`~corpus_utils.input.load.load_paragraphs`).

    Notes
    -----
    Only the kept units' text is held: the units are filtered a part at a time as they are made.
    """
    units, n_units, n_words = _units_at_least(documents, unit=unit, min_words=min_words, memo=memo)
    if len(units) < MIN_UNITS and min_words > 1:
        min_words = 1
        units, n_units, n_words = _units_at_least(documents, unit=unit, min_words=min_words, memo=memo)
    return UnitSelection(units, min_words, n_units, n_words)


@dataclass(frozen=True)
class TopicModel:
    """A fitted topic model and what the notebooks show of it.

    Attributes
    ----------
    method : str
        ``"nmf"`` or ``"lda"``.
    components : numpy.ndarray
        Topics × terms: each topic's term weights, normalised to sum 1 (the fitted model's ``components_``).
    matrix : scipy.sparse.csr_matrix
        Units × terms matrix the model was fitted on.
    doc_topic : numpy.ndarray
        Units × topics; each row sums to 1 (the unit's topic shares), or is all zeros for a unit with
        no term left after stop words and ``min_df``/``max_df``.
    terms : numpy.ndarray
        The vocabulary, in column order.
    topic_terms : pandas.DataFrame
        Columns ``topic`` (1-based), ``label``, ``rank`` (1-based), ``term``, ``weight`` (the term's
        weight in the topic, normalised to sum 1 over the vocabulary); ``n_top_terms`` rows per topic.
    labels : list of str
        One readable label per topic (:func:`topic_label` of :func:`naming_terms`: no bare numbers, no word that
        heads most topics).
    n_iter : int
        Iterations the solver ran (scikit-learn's ``n_iter_``).
    n_distinct_units : int
        Units with distinct rows in ``matrix`` (repeated paragraphs, or texts that differ only in words left out,
        count once): more topics than this would only split copies.
    stopped_at_limit : bool
        NMF stopped at its iteration limit before its fit converged (scikit-learn's ``ConvergenceWarning``).
    relaxed_note : str
        What :func:`~corpus_utils.text.vectorizers.fit_relaxing_limits` relaxed because ``min_df`` and ``max_df`` left
        no term ("" when nothing was), for the reader.
    n_fitted_units : int
        Units the solver was fitted on: all of them, or a fixed-seed sample (``fit_units``), every unit then placed on
        the fitted topics; 0 when not known.
    """

    method: str
    components: np.ndarray
    matrix: sparse.csr_matrix
    doc_topic: np.ndarray
    terms: np.ndarray
    topic_terms: pd.DataFrame
    labels: list[str]
    n_iter: int = 0
    n_distinct_units: int = 0
    stopped_at_limit: bool = False
    relaxed_note: str = ""
    n_fitted_units: int = 0

    def notes(self, *, requested: int, n_units: int, max_iter: int = 400) -> list[str]:
        """Sentences for the notebook: why fewer than ``requested`` topics were fitted, topics fitted on a sample of
        the units, and a fit that did not converge within ``max_iter`` iterations (none when none of this happened)."""
        notes = [self.relaxed_note] if self.relaxed_note else []
        if 0 < self.n_fitted_units < len(self.doc_topic):
            notes.append(f"Topics fitted on a fixed-seed sample of {self.n_fitted_units:,} of {len(self.doc_topic):,} units "
                         "(TOPIC_SAMPLE), then every unit placed on them; TOPIC_SAMPLE = None fits all of them (slower, and "
                         "not a truer fit: another sample, or all units, can settle on different topics that fit as closely).")
        if self.n_topics < requested:
            distinct = f" ({self.n_distinct_units:,} distinct)" if self.n_distinct_units < n_units else ""
            notes.append(f"N_TOPICS lowered from {requested} to {self.n_topics}: only {n_units:,} units{distinct} and "
                         f"{len(self.terms):,} terms to model.")
        if self.stopped_at_limit:
            notes.append(f"Caution: NMF stopped at its limit of {max_iter} iterations before its fit converged; the topics are "
                         "close to, not at, the solution (fewer or longer units, or more topics, usually converge).")
        return notes

    @property
    def n_topics(self) -> int:
        """Number of topics."""
        return len(self.labels)

    def dominant_topic(self) -> np.ndarray:
        """1-based topic with the largest share for each unit (0 for a unit with no terms)."""
        best = self.doc_topic.argmax(axis=1) + 1
        return np.where(self.doc_topic.sum(axis=1) > 0, best, 0)

    def overview(self, unit: str = "unit") -> pd.DataFrame:
        """One row per topic: ``topic``, ``label``, ``top terms`` (comma-separated) and ``<unit>s where it leads``
        (units whose largest share is this topic)."""
        numbers = range(1, self.n_topics + 1)
        dominant = pd.Series(self.dominant_topic()).value_counts().reindex(numbers, fill_value=0)
        return pd.DataFrame(
            {
                "topic": numbers,
                "label": self.labels,
                "top terms": self.topic_terms.groupby("topic")["term"].agg(", ".join).to_list(),
                f"{unit}s where it leads": dominant.to_list(),
            }
        )


def fit_topics(
    texts: Iterable[str],
    *,
    n_topics: int = DEFAULT_N_TOPICS,
    method: str = "nmf",
    random_state: int = 42,
    tokenizer: Tokenizer | None = None,
    min_df: int | float = 2,
    max_df: int | float = 0.9,
    max_features: int | None = 50_000,
    n_top_terms: int = 10,
    max_iter: int = 400,
    allow_fewer: bool = False,
    fit_units: int | None = DEFAULT_FIT_UNITS,
    memo: Memo | None = None,
) -> TopicModel:
    """Fit ``n_topics`` topics to ``texts`` with the project's tokeniser.

    Parameters
    ----------
    texts : iterable of str
        One text per unit (document or paragraph), e.g. ``text_units(documents)["text"]``.
    n_topics : int
        Number of topics (at least 1, at most the number of units and of terms).
    method : {"nmf", "lda"}
        ``"nmf"``: :class:`~sklearn.decomposition.NMF` (``init="nndsvda"``) on sublinear TF-IDF, usually the
        crisper topics on short texts; ``"lda"``: :class:`~sklearn.decomposition.LatentDirichletAllocation`
        (batch variational Bayes) on raw counts.
    random_state : int
        Fixes the initialisation: the same texts and settings give the same topics.
    tokenizer : Tokenizer, optional
        Default ``Tokenizer()`` (the notebooks' defaults).
    min_df, max_df, max_features
        Vocabulary limits passed to the vectoriser, relaxed for a handful of units
        (:func:`~corpus_utils.text.vectorizers.relaxed_limits`).
    n_top_terms : int
        Rows per topic in ``topic_terms``.
    max_iter : int
        Iterations of the solver.
    allow_fewer : bool
        With fewer terms in the vocabulary than ``n_topics``, fit one topic per term instead of raising
        ``ValueError``, and fit no more topics than distinct units (``n_distinct_units``); the model's ``n_topics``
        says how many were fitted.
    fit_units : int or None
        With more units than this, the solver is fitted on a fixed-seed sample of ``fit_units`` of them
        (:func:`~corpus_utils.analysis.sampling.sample_index`, seed ``random_state``) and every unit is then placed on
        the fitted topics with the model's ``transform``; None fits all units. The vocabulary and ``matrix`` always
        come from all units.
    memo : Memo, optional
        Where fits are kept (:class:`~corpus_utils.core.memo.Memo`): a fit of the same texts with the same
        settings and tokenizer is read back instead of computed (notebooks 04 and 05 share one this way), with
        identical numbers. ``n_top_terms`` only shapes ``topic_terms``, so it is not part of the key.

    Returns
    -------
    TopicModel

    Raises
    ------
    ValueError
        Unknown ``method``, ``n_topics`` < 1 or larger than the number of units or terms, or no terms left.

    Notes
    -----
    Cost: NMF is O(iterations × non-zeros × n_topics) over the fitted units, plus a ``transform`` of all units (an
    iteration costs about as much, and H stays fixed); LDA is several times slower per iteration.
    Memory: the sparse matrix plus two dense factors (units × topics, topics × terms); NMF works on a float32 copy of
    the matrix (about 1.5x faster; factors within 4e-4 of a float64 fit).
    """
    check_choice(method, TOPIC_METHODS, "method")
    if not isinstance(n_topics, (int, np.integer)) or n_topics < 1:
        raise ValueError(f"n_topics must be a whole number of at least 1, got {n_topics!r}")
    texts = texts_of(texts)
    if n_topics > len(texts):
        raise ValueError(f"n_topics={n_topics} is more than the {len(texts)} unit(s) to model; lower n_topics")
    if fit_units is not None and (not isinstance(fit_units, (int, np.integer)) or fit_units < n_topics):
        raise ValueError(f"fit_units must be None or a whole number of at least n_topics={n_topics}, got {fit_units!r}")
    settings = dict(n_topics=int(n_topics), method=method, random_state=random_state, min_df=min_df, max_df=max_df,
                    max_features=max_features, max_iter=max_iter, allow_fewer=allow_fewer,
                    fit_units=None if fit_units is None else int(fit_units))
    tokenizer = tokenizer or Tokenizer()
    key = (memo_key(texts=digest_texts(texts), tokenizer=tokenizer.key, fitted_in=_FIT_TYPE[method].__name__,
                    fields=_FACTOR_FIELDS, **settings) if memo is not None else "")
    def compute() -> dict:
        return _fit_factors(texts, tokenizer=tokenizer, memo=memo, **settings)

    factors = compute() if memo is None else memo.get_or_compute("topics", key, compute)
    model = _topic_model(method, factors, n_top_terms)
    return replace(model, stopped_at_limit=method == "nmf" and model.n_iter >= max_iter)


#: The type each method's solver works in. NMF: float32, on a float32 copy of the TF-IDF matrix (which stays float64
#: for the clusters of notebook 04): scikit-learn keeps float32 through the fit. On the 378,625 paragraphs of
#: 100,000 pages: 33.4 -> 22.8 s, the same 141 iterations, the same ten top terms of every topic in the same order,
#: factors within 4e-4 of a float64 fit (relative to their largest value), the dominant topic of 99.997 % of the
#: paragraphs unchanged.
_FIT_TYPE: dict[str, type] = {"nmf": np.float32, "lda": np.float64}
#: What a stored fit holds (part of its key: a fit stored with other fields is never read back as this one).
_FACTOR_FIELDS = "matrix,doc_topic,components,terms,n_iter,n_distinct,relaxed,n_fitted"


def _fit_factors(texts: list[str], *, n_topics: int, method: str, random_state: int, tokenizer: Tokenizer,
                 min_df: int | float, max_df: int | float, max_features: int | None, max_iter: int,
                 allow_fewer: bool, fit_units: int | None, memo: Memo | None = None
                 ) -> dict[str, np.ndarray | sparse.csr_matrix]:
    """Vectorise ``texts`` (their token ids read from or kept in ``memo``) and fit the model: the arrays a
    :class:`TopicModel` is made of."""
    def vectorised(low: int | float, high: int | float) -> tuple:
        vectorizer = make_vectorizer("tfidf" if method == "nmf" else "count", tokenizer=tokenizer, min_df=low, max_df=high,
                                     max_features=max_features, sublinear_tf=method == "nmf", memo=memo)
        return vectorizer, vectorizer.fit_transform(texts).tocsr()

    try:
        (vectorizer, matrix), relaxed = fit_relaxing_limits(vectorised, *relaxed_limits(len(texts), min_df, max_df))
    except ValueError as exc:  # scikit-learn: empty vocabulary / max_df < min_df, whatever the limits
        raise ValueError(f"no terms left to model ({exc}); lower min_df, raise max_df or check the stop words") from exc
    matrix.sort_indices()  # as NMF would in place: notebook 04's clusters then take the matrix without a copy
    terms = vectorizer.get_feature_names_out()
    if n_topics > len(terms):
        if not allow_fewer:
            raise ValueError(f"n_topics={n_topics} is more than the {len(terms)} term(s) in the vocabulary; lower n_topics")
        n_topics = len(terms)
    n_distinct = _distinct_rows(matrix)
    if allow_fewer:
        n_topics = max(1, min(n_topics, n_distinct))
    if method == "nmf":
        model = NMF(n_components=n_topics, init="nndsvda", random_state=random_state, max_iter=max_iter)
    else:
        model = LatentDirichletAllocation(
            n_components=n_topics, learning_method="batch", random_state=random_state, max_iter=min(max_iter, 100)
        )
    fitted_rows = sample_index(matrix.shape[0], fit_units or matrix.shape[0], random_state=random_state)
    weights = _fitted_weights(model, matrix.astype(_FIT_TYPE[method], copy=False), fitted_rows)
    if method == "lda":
        weights[np.asarray(matrix.sum(axis=1)).ravel() == 0] = 0.0
    weights = weights.astype(np.float64, copy=False)  # the factors downstream are float64 whatever the fit's type
    totals = weights.sum(axis=1, keepdims=True)
    doc_topic = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    fitted = model.components_.astype(np.float64, copy=False)
    components = fitted / np.maximum(fitted.sum(axis=1, keepdims=True), 1e-12)
    return {"matrix": matrix, "doc_topic": doc_topic, "components": components, "terms": np.asarray(terms, dtype=str),
            "n_iter": np.asarray(model.n_iter_, dtype=np.int64), "n_distinct": np.asarray(n_distinct, dtype=np.int64),
            "relaxed": np.asarray(relaxed, dtype=str), "n_fitted": np.asarray(len(fitted_rows), dtype=np.int64)}


def _fitted_weights(model: NMF | LatentDirichletAllocation, matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Fit ``model`` to the ``rows`` of ``matrix`` and return every row's topic weights: the fit's own when the rows
    are all of them, else the fitted model's ``transform`` of the whole matrix."""
    every_row = len(rows) == matrix.shape[0]
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):  # the notes say it (TopicModel.notes)
        warnings.simplefilter("ignore", ConvergenceWarning)  # scikit-learn's own words, printed as a traceback line
        if every_row:
            return model.fit_transform(matrix)
        model.fit(matrix[rows])
        return model.transform(matrix)


def _distinct_rows(matrix: sparse.csr_matrix) -> int:
    """How many distinct rows ``matrix`` holds, from two fixed random projections of each row (equal rows project
    equally; distinct ones coincide with probability about 0): sparse products, no row compared in Python."""
    if matrix.shape[0] == 0:
        return 0
    directions = np.random.default_rng(0).standard_normal((matrix.shape[1], 2))
    projected = matrix @ directions
    return len(np.unique(projected, axis=0))


def _topic_model(method: str, factors: dict, n_top_terms: int) -> TopicModel:
    """The :class:`TopicModel` of fitted arrays: top terms and labels per topic."""
    components, terms = factors["components"], factors["terms"].astype(object)
    n_topics = components.shape[0]
    top = min(n_top_terms, len(terms))
    order = np.argsort(-components, axis=1, kind="stable")[:, :top]
    labels = [topic_label(names, number=index + 1) for index, names in enumerate(naming_terms(components, terms))]
    topic_terms = pd.DataFrame(
        {
            "topic": np.repeat(np.arange(1, n_topics + 1), top),
            "label": np.repeat(labels, top),
            "rank": np.tile(np.arange(1, top + 1), n_topics),
            "term": terms[order].ravel(),
            "weight": np.take_along_axis(components, order, axis=1).ravel(),
        }
    )
    return TopicModel(method, components, factors["matrix"], factors["doc_topic"], terms, topic_terms, labels,
                      int(factors["n_iter"]), int(factors["n_distinct"]), relaxed_note=str(factors["relaxed"]),
                      n_fitted_units=int(factors["n_fitted"]))


def topic_share_table(
    units: pd.DataFrame, documents: pd.DataFrame, model: TopicModel, *, max_rows: int
) -> tuple[pd.DataFrame, bool]:
    """Topic shares per document, or per section when there are more than ``max_rows`` documents, for a bar chart.

    Parameters
    ----------
    units : pandas.DataFrame
        From :func:`text_units` (columns ``doc_id``, ``n_words``), the units ``model`` was fitted on.
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``title`` (bar names) and ``section`` (a missing one is :data:`~corpus_utils.analysis.labels.NO_SECTION`).
    model : TopicModel
    max_rows : int
        Up to this many documents with units, one row each; beyond, the ``max_rows`` largest sections by words.

    Returns
    -------
    (pandas.DataFrame, bool)
        :func:`topic_shares` with a column ``name`` (document label, or section cut to 40 characters) after the
        first, and whether the rows are sections.
    """
    sections = documents.set_index(documents["doc_id"].pipe(as_str))["section"].astype(object).fillna(NO_SECTION)
    units_by = units.assign(section=units["doc_id"].pipe(as_str).map(sections))
    if units["doc_id"].nunique() <= max_rows:
        shares = topic_shares(units_by, model.doc_topic, labels=model.labels, by="doc_id")
        shares.insert(1, "name", shares["doc_id"].pipe(as_str).map(document_labels(documents)))
        return shares, False
    shares = topic_shares(units_by, model.doc_topic, labels=model.labels, by="section")
    largest = shares.drop_duplicates("section").nlargest(max_rows, "n_words")["section"]
    shares = shares[shares["section"].isin(largest)]
    shares.insert(1, "name", shares["section"].pipe(as_str).str.slice(0, 40))
    return shares, True


def topic_shares(
    units: pd.DataFrame, doc_topic: np.ndarray, *, labels: Sequence[str], by: str = "doc_id"
) -> pd.DataFrame:
    """Topic shares per group of units (per document by default), weighted by the units' words.

    Parameters
    ----------
    units : pandas.DataFrame
        Takes column ``n_words`` and the grouping column ``by`` (e.g. ``doc_id`` or ``section``); rows aligned
        with ``doc_topic``.
    doc_topic : numpy.ndarray
        Units × topics shares (:attr:`TopicModel.doc_topic`).
    labels : sequence of str
        Topic labels, one per column.
    by : str
        Column of ``units`` to aggregate over.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``<by>``, ``topic`` (1-based), ``label``, ``share`` (sums to 1 per group,
        unless no unit of the group had any modelled term), ``n_units``, ``n_words``; groups in order of first
        appearance, topics in order.

    Notes
    -----
    Cost: one sparse groups × units product, O(units × topics).
    """
    check_topic_inputs(units, doc_topic, labels)
    codes, groups = pd.factorize(units[by].astype(object), sort=False)
    words = units["n_words"].to_numpy(dtype=float)
    indicator = sparse.csr_matrix((words, (codes, np.arange(len(units)))), shape=(len(groups), len(units)))
    weighted = np.asarray(indicator @ doc_topic)
    totals = weighted.sum(axis=1, keepdims=True)
    shares = np.divide(weighted, totals, out=np.zeros_like(weighted), where=totals > 0)
    n_topics = doc_topic.shape[1]
    n_units = np.bincount(codes, minlength=len(groups))
    n_words = np.bincount(codes, weights=words, minlength=len(groups)).astype("int64")
    return pd.DataFrame(
        {
            by: np.repeat(np.asarray(groups, dtype=object), n_topics),
            "topic": np.tile(np.arange(1, n_topics + 1), len(groups)),
            "label": np.tile(np.asarray(labels, dtype=object), len(groups)),
            "share": shares.ravel(),
            "n_units": np.repeat(n_units, n_topics),
            "n_words": np.repeat(n_words, n_topics),
        }
    )
