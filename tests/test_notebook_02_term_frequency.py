"""Run notebook 02 through papermill on the theme corpus with other terms, limits and boilerplate removal."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import execute_notebook, notebook_text

from corpus_utils import read_corpus
from corpus_utils.analysis.boilerplate import remove_boilerplate
from corpus_utils.analysis.collocations import collocates
from corpus_utils.analysis.kwic import concordance, kwic, sort_concordance
from corpus_utils.analysis.terms import token_stream
from corpus_utils.text.tokenizer import Tokenizer
from reference import term_frequencies


def test_term_frequency_notebook_on_theme_corpus(theme_corpus, tmp_path):
    folder, truth = theme_corpus
    figures = tmp_path / "figures"
    executed = execute_notebook(
        "02_term_frequency", tmp_path / "out", CORPUS=str(folder), FIGURES_DIR=str(figures),
        TOP_N=5, EXTRA_STOP_WORDS=["procuratorate"], EXCLUDE_BOILERPLATE=True, BOILERPLATE_THRESHOLD=0.9,
        MAX_DOCS_FOR_HEATMAP=5, HEATMAP_TERMS=6, KWIC_TERMS=["public interest litigation", "two_safeguards"],
        KWIC_LIMIT=3, DISPERSION_TERMS=["litigation", "branch"], MAX_DISPERSION_DOCS=4, CONCORDANCE_SORT=["2L", "date"],
        COLLOCATION_NODES=["branch", "litigation"], COLLOCATION_LEFT=3, COLLOCATION_RIGHT=2, COLLOCATION_MEASURE="logdice",
        COLLOCATION_MIN_COUNT=2, COLLOCATION_MIN_DOCUMENTS=2,
    )
    for stem in ("02_top_unigrams", "02_top_bigrams", "02_top_trigrams", "02_term_heatmap", "02_dispersion", "02_collocates"):
        for suffix in (".png", ".svg", ".csv"):
            assert (figures / f"{stem}{suffix}").is_file(), f"{stem}{suffix} missing"

    # the same counts as the library gives on the boilerplate-free documents, with the extra stop word
    documents = remove_boilerplate(read_corpus(folder).documents, threshold=0.9, min_documents=2)
    tokenizer = Tokenizer.from_parameters(extra_stop_words=["procuratorate"], merge_formulations=True)
    expected = term_frequencies(documents, tokenizer=tokenizer, top=5)
    unigrams = pd.read_csv(figures / "02_top_unigrams.csv")
    assert unigrams["term"].tolist() == expected["term"].tolist()
    assert unigrams["count"].tolist() == expected["count"].tolist()
    assert "procuratorate" not in set(unigrams["term"])

    heatmap = pd.read_csv(figures / "02_term_heatmap.csv")  # 12 documents > 5: one row per section
    assert sorted(heatmap["row"]) == sorted(set(documents["section"])) and heatmap.shape[1] == 1 + 6
    dispersion = pd.read_csv(figures / "02_dispersion.csv")
    assert dispersion["doc_id"].nunique() <= 4 and set(dispersion["term"]) <= {"litigation", "branch"}
    assert dispersion["position"].between(0, 1).all()

    printed = notebook_text(executed)
    removed = int(documents["n_boilerplate_paragraphs"].sum())
    assert f"Boilerplate removed: {removed} paragraph(s) repeated across documents." in printed
    assert "12 documents > MAX_DOCS_FOR_HEATMAP = 5: rows are the 3 largest sections, not documents." in printed
    assert "12 documents > MAX_DISPERSION_DOCS = 4: a random sample of 4 is drawn." in printed
    # the full concordance, every line, in the asked order, in CSV and in the HTML page
    expected_lines = sort_concordance(concordance(documents, ["public interest litigation", "two_safeguards"], tokenizer=tokenizer,
                                                  window=6, chars=15), ["2L", "date"])
    written = pd.read_csv(figures / "02_concordance.csv", keep_default_na=False)
    assert len(written) == len(expected_lines) > 3 * 2
    assert written["start"].tolist() == expected_lines["start"].tolist()
    assert written["doc_id"].tolist() == expected_lines["doc_id"].tolist()
    assert (figures / "02_concordance.html").read_text(encoding="utf-8").count("<tr>") == len(expected_lines) + 1
    for term in ("public interest litigation", "two_safeguards"):
        found = len(kwic(documents, term, limit=None, tokenizer=tokenizer))
        assert f"{term!r}: {found} line(s) in " in printed

    # collocates ranked by log-Dice in a 3-left / 2-right window, as the library computes them
    stream = token_stream(documents, tokenizer=tokenizer)
    written = pd.read_csv(figures / "02_collocates.csv")
    for node in ("branch", "litigation"):
        table = collocates(stream, node, tokenizer=tokenizer, left=3, right=2, measure="logdice", min_count=2, min_documents=2)
        mine = written[written["node"] == node]
        assert mine["collocate"].tolist() == table["collocate"].tolist() and not mine.empty
        assert mine["logdice"].tolist() == pytest.approx(table["logdice"].round(4).tolist())
    units = pd.read_csv(figures / "02_multiword_units.csv")
    assert set(units["tokens"]) <= {2, 3} and (units["count"] >= 3).all()
