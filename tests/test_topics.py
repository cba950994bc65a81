"""Tests for corpus_utils.analysis.topics: units, topic models that recover known themes, word-weighted shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import THEMES
from corpus_utils import read_corpus
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.analysis.clusters import tfidf_matrix
from corpus_utils.analysis import topics as topics_module
from corpus_utils.analysis.topics import fit_topics, select_units, text_units, topic_label, topic_shares
from tests.labelled import write_labelled_news

THEME_WORDS = {"discipline": {"discipline", "warning", "clean"}, "branch": {"branch", "life", "meetings"}, "litigation": {"litigation", "interest", "public"}}


@pytest.fixture
def theme_documents(theme_corpus):
    folder, truth = theme_corpus
    return read_corpus(folder).documents, truth


@pytest.mark.parametrize("unit", ["document", "paragraph"])
@pytest.mark.parametrize("method", ["nmf", "lda"])
def test_each_theme_lands_in_one_topic(theme_documents, unit, method):
    documents, truth = theme_documents
    units = text_units(documents, unit=unit, min_words=5)
    model = fit_topics(units["text"], n_topics=3, method=method, tokenizer=Tokenizer.from_parameters())
    top5 = model.topic_terms[model.topic_terms["rank"] <= 5].groupby("topic")["term"].agg(set)
    owners = {}
    for theme, words in THEME_WORDS.items():
        holding = [topic for topic, terms in top5.items() if len(words & terms) >= 2]
        assert len(holding) == 1, (theme, top5.to_dict())
        owners[theme] = holding[0]
    assert sorted(owners.values()) == [1, 2, 3]
    dominant = model.dominant_topic()
    expected = units["doc_id"].astype(str).map(truth).map(owners).to_numpy()
    assert (dominant == expected).mean() >= 0.9


def test_fit_is_deterministic_and_shares_sum_to_one(theme_documents):
    documents, _ = theme_documents
    units = text_units(documents, unit="paragraph", min_words=5)
    first = fit_topics(units["text"], n_topics=4, random_state=42)
    second = fit_topics(units["text"], n_topics=4, random_state=42)
    pd.testing.assert_frame_equal(first.topic_terms, second.topic_terms)
    np.testing.assert_allclose(first.doc_topic.sum(axis=1), 1.0)
    assert first.labels == second.labels and len(first.labels) == 4
    assert list(first.topic_terms.columns) == ["topic", "label", "rank", "term", "weight"]
    assert (first.topic_terms.groupby("topic").size() == 10).all()


def test_nmf_fits_in_float32_and_tells_what_a_float64_fit_tells(theme_documents, monkeypatch):
    """The NMF solver works on a float32 copy (faster); its topics are those of a float64 fit: the same top terms in
    the same order, factors within 1e-3, the same dominant topic. The matrix kept for clustering stays float64."""
    documents, _ = theme_documents
    units = text_units(documents, unit="paragraph", min_words=5)["text"]
    fitted = fit_topics(units, n_topics=3, random_state=42)
    assert topics_module._FIT_TYPE["nmf"] is np.float32
    assert fitted.matrix.dtype == np.float64 and fitted.matrix.has_sorted_indices
    assert fitted.doc_topic.dtype == np.float64 and fitted.components.dtype == np.float64
    monkeypatch.setitem(topics_module._FIT_TYPE, "nmf", np.float64)
    reference = fit_topics(units, n_topics=3, random_state=42)
    pd.testing.assert_frame_equal(fitted.topic_terms.drop(columns="weight"), reference.topic_terms.drop(columns="weight"))
    np.testing.assert_allclose(fitted.components, reference.components, atol=1e-3 * reference.components.max())
    np.testing.assert_allclose(fitted.doc_topic, reference.doc_topic, atol=1e-3)
    assert (fitted.dominant_topic() == reference.dominant_topic()).all()
    assert not np.array_equal(fitted.components, reference.components)  # the two solvers did run in two types


def test_text_units_labels_and_min_words(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    body = "Short heading\n\n" + " ".join(["word"] * 25) + "\n\n" + " ".join(["other"] * 30)
    for name in ("a", "b"):
        (pages / f"{name}.txt").write_text(f"Party building\nTitle {name}\nTime: May 1, 2020 Author: News source:\n\n{body}\n", encoding="utf-8")
    documents = read_corpus(pages).documents
    paragraphs = text_units(documents, unit="paragraph", min_words=20)
    assert paragraphs["label"].tolist() == ["D1 ¶2", "D1 ¶3", "D2 ¶2", "D2 ¶3"]
    assert paragraphs["unit_id"].tolist()[0] == "a#2"
    assert len(text_units(documents, unit="paragraph", min_words=0)) == 6
    whole = text_units(documents, unit="document")
    assert whole["label"].str.startswith("D1 ").iloc[0] and whole["paragraph"].eq(0).all()


def _arrow_text(documents: pd.DataFrame) -> pd.DataFrame:
    return documents.astype({column: "string[pyarrow]" for column in ("doc_id", "title", "section", "body")})


@pytest.mark.parametrize("unit", ["paragraph", "document"])
@pytest.mark.parametrize("min_words", [0, 20])
def test_text_units_of_arrow_backed_documents_stay_arrow_backed_with_the_same_rows(tmp_path, unit, min_words):
    write_labelled_news(tmp_path / "news.csv", 40, seed=3)
    documents = read_corpus(tmp_path / "news.csv").documents
    documents.loc[documents.index[[0, 7]], "body"] = ""  # documents without a paragraph: later numbers must not shift
    python, arrow = text_units(documents, unit=unit, min_words=min_words), text_units(_arrow_text(documents), unit=unit, min_words=min_words)
    text_columns = ["unit_id", "doc_id", "label", "text"]
    assert (arrow.dtypes[text_columns] == "string[pyarrow]").all() and (python.dtypes[text_columns] == "string[python]").all()
    pd.testing.assert_frame_equal(arrow.astype(python.dtypes.to_dict()), python)
    if unit == "paragraph":
        numbers = pd.Series(range(1, len(documents) + 1), index=documents["doc_id"].tolist())
        expected = [f"D{numbers[doc]} ¶{paragraph}" for doc, paragraph in zip(python["doc_id"], python["paragraph"])]
        assert python["label"].tolist() == expected and not python["doc_id"].isin(documents["doc_id"].iloc[[0, 7]]).any()
        assert python["unit_id"].tolist() == [f"{doc}#{paragraph}" for doc, paragraph in zip(python["doc_id"], python["paragraph"])]


def test_select_units_keeps_the_long_ones_and_counts_what_it_left_out(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    bodies = {"a": "Short heading\n\n" + " ".join(["word"] * 25), "b": "One line only", "c": " ".join(["other"] * 30) + "\n\nTwo words\n\n" + " ".join(["third"] * 22)}
    for name, body in bodies.items():
        (pages / f"{name}.txt").write_text(f"Party building\nTitle {name}\nTime: May 1, 2020 Author: News source:\n\n{body}\n", encoding="utf-8")
    documents = read_corpus(pages).documents
    selection = select_units(documents, unit="paragraph", min_words=20)
    assert selection.units["unit_id"].tolist() == ["a#2", "c#1", "c#3"] and selection.min_words == 20
    assert (selection.n_units, selection.n_dropped, selection.n_words, selection.words_dropped) == (6, 3, 84, 7)
    assert selection.documents_without_units(documents) == ["b"]
    relaxed = select_units(documents, unit="paragraph", min_words=26)  # one unit reaches 26 words: fewer than MIN_UNITS
    assert relaxed.min_words == 1 and len(relaxed.units) == 6 and relaxed.n_dropped == 0
    assert select_units(documents, unit="document", min_words=26).units["doc_id"].tolist() == ["a", "b", "c"]  # relaxed too


@pytest.mark.parametrize("part", [1, 3])
def test_units_made_part_by_part_are_the_units_made_at_once(theme_documents, monkeypatch, part):
    documents = _arrow_text(theme_documents[0])
    median = int(select_units(documents, unit="paragraph", min_words=0).units["n_words"].median())
    whole = select_units(documents, unit="paragraph", min_words=median)
    monkeypatch.setattr(topics_module, "PARAGRAPH_PART", part)
    parts = select_units(documents, unit="paragraph", min_words=median)
    pd.testing.assert_frame_equal(parts.units, whole.units)
    assert (parts.n_units, parts.n_words) == (whole.n_units, whole.n_words) and whole.n_dropped > 0
    assert whole.units["label"].iloc[-1].startswith(f"D{len(documents)} ")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_topics": 0}, "n_topics"),
        ({"n_topics": 50}, "more than"),
        ({"method": "lsa"}, "method"),
    ],
)
def test_fit_topics_rejects_bad_options(kwargs, message):
    texts = [" ".join(sentences) for sentences in THEMES.values()]
    with pytest.raises(ValueError, match=message):
        fit_topics(texts, **kwargs)


def test_text_units_rejects_unknown_unit(theme_documents):
    with pytest.raises(ValueError, match="unit"):
        text_units(theme_documents[0], unit="sentence")


def test_topic_shares_weight_units_by_words():
    units = pd.DataFrame({"doc_id": ["a", "a", "b"], "n_words": [30, 10, 5]})
    doc_topic = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    shares = topic_shares(units, doc_topic, labels=["T1 x", "T2 y"])
    assert shares["share"].round(3).tolist() == [0.75, 0.25, 0.5, 0.5]
    assert shares["n_words"].tolist() == [40, 40, 5, 5]
    with pytest.raises(ValueError, match="rows"):
        topic_shares(units.iloc[:2], doc_topic, labels=["a", "b"])


def test_topic_label_reads_formulations():
    assert topic_label(["two_safeguards", "branch", "life", "x"], number=2) == "T2 two safeguards · branch · life"


@pytest.mark.parametrize("method", ["lda", "nmf"])
def test_topic_labels_skip_bare_numbers_and_corpus_generic_words(method):
    from tests.labelled import GENERIC, labelled_news

    table = labelled_news(400, seed=0)
    topics = fit_topics(table["body"], n_topics=5, method=method, tokenizer=Tokenizer())
    named = [word for label in topics.labels for word in label.split(" ", 1)[1].split(" · ")]
    assert not [word for word in named if word.isdigit()]
    assert not set(named) & {"said", "year", "people"} and set(named) & set(GENERIC.split()) <= set()
    heads = topics.topic_terms[topics.topic_terms["rank"] <= 3]["term"]
    if method == "lda":  # the raw top terms do carry generic words: the labels leave them out on purpose
        assert {"year", "people"} & set(heads)


def test_no_more_topics_than_distinct_units_and_the_notes_say_so():
    """Six weather reports whose two paragraphs differ only in a number: two distinct units, so two topics (six
    would split copies, and scikit-learn printed a RuntimeWarning fitting them)."""
    import warnings

    texts = [f"Rain is expected in the morning with temperatures around {10 + day} degrees." if part == 0 else
             "Winds from the north will ease by the evening, and the weekend looks dry and sunny." for day in range(6) for part in (0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fit_topics(texts, n_topics=6, min_df=2, allow_fewer=True)  # each number is in one unit only: left out
    assert (model.n_topics, model.n_distinct_units, model.stopped_at_limit) == (2, 2, False)
    assert model.notes(requested=6, n_units=12) == [f"N_TOPICS lowered from 6 to 2: only 12 units (2 distinct) and {len(model.terms)} terms to model."]
    assert fit_topics(texts, n_topics=6, min_df=1, allow_fewer=True).n_distinct_units == 7  # the numbers kept: 7 distinct
    assert fit_topics(texts, n_topics=6, min_df=2).n_topics == 6  # without allow_fewer, what was asked


def test_a_fit_stopped_at_its_iteration_limit_is_said_in_words_not_by_a_library_warning(theme_corpus):
    import warnings

    folder, _ = theme_corpus
    texts = text_units(read_corpus(folder).documents, unit="paragraph", min_words=5)["text"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's ConvergenceWarning would fail here
        stopped = fit_topics(texts, n_topics=4, min_df=1, max_iter=2)
    assert stopped.stopped_at_limit and stopped.n_iter == 2
    assert stopped.notes(requested=4, n_units=len(texts), max_iter=2) == [
        "Caution: NMF stopped at its limit of 2 iterations before its fit converged; the topics are close to, not at, the "
        "solution (fewer or longer units, or more topics, usually converge)."]
    converged = fit_topics(texts, n_topics=4, min_df=1)
    assert not converged.stopped_at_limit and converged.notes(requested=4, n_units=len(texts)) == []


def test_limits_that_leave_no_term_are_relaxed_and_the_notes_say_so():
    template = ["Strict discipline and the two safeguards. " * (3 + index % 4) for index in range(30)]  # one template
    model = fit_topics(template, n_topics=4, min_df=2, max_df=0.9, allow_fewer=True)
    assert sorted(model.terms) == ["discipline", "strict", "two_safeguards"]
    assert model.notes(requested=4, n_units=30)[0].startswith("MAX_DF = 0.9 left no term")
    own_words = [f"alpha{index} beta{index} gamma{index}" for index in range(30)]  # no word in two units
    model = fit_topics(own_words, n_topics=3, min_df=2, max_df=0.9, allow_fewer=True)
    assert len(model.terms) == 90 and model.notes(requested=3, n_units=30)[0].startswith("MIN_DF = 2 left no term")
    usual = fit_topics(own_words[:20] + template[:10], n_topics=2, min_df=1, max_df=0.9, allow_fewer=True)
    assert usual.relaxed_note == "" and usual.notes(requested=2, n_units=30) == []
    with pytest.raises(ValueError, match="no terms left to model"):  # stop words only: nothing to relax into
        fit_topics(["the and of it"] * 10, n_topics=2, allow_fewer=True)
    matrix, terms = tfidf_matrix(template, min_df=2, max_df=0.9)  # the clusters take the same vocabulary
    assert sorted(terms) == ["discipline", "strict", "two_safeguards"] and matrix.shape == (30, 3)


@pytest.mark.parametrize("method", ["nmf", "lda"])
def test_topics_fitted_on_a_sample_are_that_samples_fit_with_every_unit_placed_on_them(theme_documents, method):
    """Past ``fit_units`` units the solver sees a fixed-seed sample of them (seed ``random_state``); every unit is
    then placed on the fitted topics by the model's ``transform``. Reference: scikit-learn on the same rows."""
    from sklearn.decomposition import NMF, LatentDirichletAllocation

    from corpus_utils.analysis.sampling import sample_index

    units = text_units(theme_documents[0], unit="paragraph", min_words=5)["text"]
    half = len(units) // 2
    model = fit_topics(units, n_topics=3, method=method, random_state=7, fit_units=half)
    rows = sample_index(len(units), half, random_state=7)
    if method == "nmf":
        reference = NMF(n_components=3, init="nndsvda", random_state=7, max_iter=400)
        matrix = model.matrix.astype(np.float32)
    else:
        reference = LatentDirichletAllocation(n_components=3, learning_method="batch", random_state=7, max_iter=100)
        matrix = model.matrix
    reference.fit(matrix[rows])
    weights = reference.transform(matrix).astype(np.float64)
    np.testing.assert_allclose(model.components, reference.components_ / reference.components_.sum(axis=1, keepdims=True),
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(model.doc_topic, weights / weights.sum(axis=1, keepdims=True), rtol=1e-6, atol=1e-12)
    assert model.n_fitted_units == half and model.doc_topic.shape == (len(units), 3)
    assert f"sample of {half:,} of {len(units):,} units" in " ".join(model.notes(requested=3, n_units=len(units)))


@pytest.mark.parametrize("fit_units", [None, 10_000])
def test_topics_fitted_on_every_unit_say_nothing_of_a_sample(theme_documents, fit_units):
    units = text_units(theme_documents[0], unit="paragraph", min_words=5)["text"]
    model = fit_topics(units, n_topics=3, fit_units=fit_units)
    reference = fit_topics(units, n_topics=3, fit_units=None)
    np.testing.assert_array_equal(model.doc_topic, reference.doc_topic)
    assert model.n_fitted_units == len(units)
    assert not any("sample" in note for note in model.notes(requested=3, n_units=len(units)))


@pytest.mark.parametrize(("n_classes", "seed"), [(3, 0), (5, 1), (7, 2)])
def test_topics_fitted_on_a_quarter_of_the_units_find_the_classes_as_a_full_fit_does(n_classes, seed):
    """On the labelled news corpus (tests/labelled.py), each unit's leading topic tells its true class as well
    (normalised mutual information within 0.03) when the topics were fitted on a fixed-seed quarter of the units."""
    from sklearn.metrics import normalized_mutual_info_score

    from tests.labelled import labelled_news

    table = labelled_news(800, n_classes=n_classes, seed=seed, theme_share=0.28)
    scores = {}
    for fit_units in (None, 200):
        model = fit_topics(table["body"], n_topics=n_classes, tokenizer=Tokenizer(), fit_units=fit_units)
        scores[fit_units] = normalized_mutual_info_score(table["label"], model.dominant_topic())
    assert scores[200] >= scores[None] - 0.03 and scores[200] >= 0.8, scores


def test_fit_units_below_the_number_of_topics_is_refused():
    texts = [" ".join(sentences) for sentences in THEMES.values()]
    with pytest.raises(ValueError, match="fit_units"):
        fit_topics(texts, n_topics=3, fit_units=2)
