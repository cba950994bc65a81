"""No step widens an Arrow-backed text column into fixed-width NumPy strings.

pandas 2 turns an Arrow-backed column's ``astype(str)`` into a NumPy array as wide as its longest text (four bytes
per character, every row): the bodies of 100,000 generated pages asked for 19 GB. The steps below take a corpus with
one long page, where such an array would be about 160 MB, and must stay far below that.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from corpus_utils.analysis.boilerplate import remove_boilerplate
from corpus_utils.analysis.formulations import find_formulations
from corpus_utils.analysis.keyness import keyness
from corpus_utils.analysis.terms import token_streams
from corpus_utils.analysis.topics import text_units
from corpus_utils.core.memo import Memo
from corpus_utils.core import columns
from corpus_utils.core.columns import TextSequence, as_str, select_rows, select_where, take_rows, text_rows, texts_of
from corpus_utils.input.load import load_paragraphs
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.variants import count_variants, load_variant_table

N_DOCUMENTS = 200
LONG_WORDS = 40_000  # 200,000 characters: a fixed-width array of 200 such rows takes 160 MB
WIDE_ARRAY_BYTES = N_DOCUMENTS * LONG_WORDS * 5 * 4
ARROW = "string[pyarrow]"  # the columns a user may build, and TEXT_DTYPE's other choice (see core/columns.py)


@pytest.fixture(scope="module")
def documents() -> pd.DataFrame:
    short = "Grass-roots procuratorates strengthened party building this year.\n\nThe clean government campaign went on."
    bodies = [short] * (N_DOCUMENTS - 1) + ["supervision " * (LONG_WORDS // 2) + "\n\nThe end."]
    return pd.DataFrame({
        "doc_id": [f"d{number:03d}" for number in range(N_DOCUMENTS)],
        "title": [f"Page {number}" for number in range(N_DOCUMENTS)],
        "section": ["Party building", "Clean government"] * (N_DOCUMENTS // 2),
        "date": pd.to_datetime(["2019-05-01", "2021-05-01"] * (N_DOCUMENTS // 2)),
        "body": bodies,
        "n_words": [len(body.split()) for body in bodies],
        "duplicate_of": [None] * N_DOCUMENTS,
    }).astype({"doc_id": ARROW, "title": ARROW, "section": ARROW, "body": ARROW, "duplicate_of": ARROW})


def _peak_bytes(step) -> int:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_measure_sees_a_widened_column(documents):
    assert _peak_bytes(lambda: documents["body"].astype(str)) > WIDE_ARRAY_BYTES * 0.9
    assert _peak_bytes(lambda: documents["body"].pipe(as_str)) < WIDE_ARRAY_BYTES / 8


STEPS = {
    "paragraphs": lambda documents: load_paragraphs(documents),
    "paragraph units": lambda documents: text_units(documents, unit="paragraph"),
    "document units": lambda documents: text_units(documents, unit="document"),
    "token streams": lambda documents: token_streams(documents, [Tokenizer()]),
    "variants": lambda documents: count_variants(documents, load_variant_table()),
    "boilerplate removal": lambda documents: remove_boilerplate(documents),
    "keyness": lambda documents: keyness(documents, "section", "Party building"),
    "formulations": lambda documents: find_formulations(documents),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_no_step_widens_the_text(documents, name):
    assert _peak_bytes(lambda: STEPS[name](documents)) < WIDE_ARRAY_BYTES / 4


def test_as_str_is_astype_str_without_the_wide_array():
    values = pd.Series(["a", None, "廉政"], dtype=ARROW, index=[4, 5, 6])
    assert as_str(values).tolist() == values.astype(str).tolist() == ["a", "<NA>", "廉政"]
    assert as_str(values).index.tolist() == [4, 5, 6] and as_str(values).dtype == object


def test_text_rows_gives_every_row_in_order_a_chunk_at_a_time():
    frame = pd.DataFrame({"doc_id": pd.array([f"d{n}" for n in range(7)], dtype=ARROW),
                          "body": pd.array(["x", None, "廉政", "", "b", "c", "d"], dtype=ARROW)})
    expected = list(zip(frame["doc_id"].tolist(), frame["body"].tolist()))
    for chunk in (1, 3, 7, 100):
        assert list(text_rows(frame, ["doc_id", "body"], chunk=chunk)) == expected
    assert list(text_rows(frame.iloc[:0], ["doc_id", "body"])) == []


def test_text_sequence_is_the_column_as_python_strings_however_it_is_read():
    values = pd.Series(["x", None, "廉政", "", "b", "c", "d"], dtype=ARROW, index=[9, 8, 7, 6, 5, 4, 3])
    expected = ["x", "", "廉政", "", "b", "c", "d"]
    for chunk in (1, 3, 7, 100):
        texts = TextSequence(values, chunk=chunk)
        assert len(texts) == 7 and list(texts) == expected
        assert texts[2:5] == expected[2:5] and texts[::3] == expected[::3] and texts[-2:] == expected[-2:]
        assert [texts[i] for i in range(-7, 7)] == expected + expected
        assert all(type(text) is str for text in texts)


def test_texts_of_converts_only_arrow_columns_lazily():
    arrow = pd.Series(["a", None], dtype=ARROW)
    lazy = texts_of(arrow)
    assert isinstance(lazy, TextSequence) and texts_of(lazy) is lazy
    assert list(texts_of(arrow)) == ["a", ""]
    python = pd.Series(["party building", None], dtype="string[python]")
    listed = texts_of(python)
    assert listed == ["party building", ""] and listed[0] is python.iloc[0]  # the table's own string, not a copy
    assert texts_of(pd.Series([1, None, "b"], dtype=object)) == ["1", "", "b"]
    assert texts_of(iter([3, "x"])) == ["3", "x"]


def _many_documents(n: int = 2_000) -> pd.DataFrame:
    bodies = [f"Document {number} on party building. " + "It is the one that was in it and of all of them. " * 60
              + "\n\nThe second paragraph." for number in range(n)]  # mostly stop words: few token ids to read back
    return pd.DataFrame({"doc_id": [f"d{number}" for number in range(n)], "body": bodies,
                         "n_words": [len(body.split()) for body in bodies]}).astype({"doc_id": ARROW, "body": ARROW})


@pytest.mark.parametrize("name", ["token streams", "variants"])
def test_reading_back_a_stored_result_never_holds_the_corpus_as_python_strings(tmp_path, monkeypatch, name):
    monkeypatch.setattr(columns, "CHUNK_ROWS", 100)  # a twentieth of the corpus at a time
    documents = _many_documents()
    text_bytes = int(documents["body"].str.len().sum())  # about 7 MB: one byte per character
    step = {"token streams": lambda: token_streams(documents, [Tokenizer()], memo=Memo(tmp_path)),
            "variants": lambda: count_variants(documents, load_variant_table(), memo=Memo(tmp_path))}[name]
    step()  # computed and stored
    assert _peak_bytes(step) < text_bytes / 3  # read back: the texts are hashed a slice at a time


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "string[python]", object])
def test_take_rows_equals_iloc_across_arrow_chunks(dtype):
    rng = np.random.default_rng(3)
    chunks = [pa.array([f"t{chunk}-{row}" if row % 5 else None for row in range(rng.integers(0, 40))], type=pa.large_string())
              for chunk in range(12)]  # uneven chunks, empty ones, missing values
    arrow = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.large_string())), index=np.arange(1000, 1000 + sum(map(len, chunks))))
    values = arrow if dtype == "string[pyarrow]" else arrow.astype(dtype)
    for positions in (rng.integers(0, len(values), 50), np.arange(len(values))[::-1], np.zeros(0, dtype=np.int64)):
        taken = take_rows(values, positions)
        pd.testing.assert_series_equal(taken, values.iloc[positions].reset_index(drop=True))
    with pytest.raises(IndexError):
        take_rows(arrow, np.array([len(arrow)]))


def _chunked_frame(rng: np.random.Generator) -> pd.DataFrame:
    """An Arrow-backed text column of uneven chunks (empty ones, missing values) beside a number and a date."""
    chunks = [pa.array([f"t{chunk}-{row}" if row % 5 else None for row in range(rng.integers(0, 40))], type=pa.string())
              for chunk in range(12)]
    body = pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.string()))
    n = len(body)
    return pd.DataFrame({"doc_id": [f"d{row}" for row in range(n)], "body": body, "n_words": np.arange(n) * 3,
                         "date": pd.to_datetime(np.where(np.arange(n) % 4, "2021-01-02", None))}, index=np.arange(500, 500 + n))


def test_select_rows_equals_iloc_and_keeps_arrow_chunks_apart():
    rng = np.random.default_rng(5)
    frame = _chunked_frame(rng)
    n = len(frame)
    for positions in (np.sort(rng.choice(n, 30, replace=False)), rng.integers(0, n, 40), np.arange(n)[::-1],
                      np.arange(n), np.arange(10, n - 10), np.zeros(0, dtype=np.int64)):
        pd.testing.assert_frame_equal(select_rows(frame, positions), frame.iloc[positions])
    mask = frame["date"].notna()
    pd.testing.assert_frame_equal(select_where(frame, mask), frame[mask])
    # ascending rows from several chunks stay in their own chunks: pandas' take would have joined all twelve first
    chunked = frame["body"].array.__arrow_array__()
    starts = np.cumsum([0, *(len(chunk) for chunk in chunked.chunks)])[:-1]
    touched = [start for start, chunk in zip(starts, chunked.chunks) if len(chunk)][:3]
    picked = select_rows(frame, np.array(touched))["body"].array.__arrow_array__()
    assert picked.num_chunks == len(touched)
    # most rows, in long runs (every dated document, say): slices of the chunks, the text not copied
    long = pd.DataFrame({"body": pd.arrays.ArrowStringArray(pa.chunked_array([pa.array([f"c{c}r{r}" for r in range(500)])
                                                                             for c in range(3)]))})
    most = np.flatnonzero(np.arange(len(long)) % 200 != 7)
    pd.testing.assert_frame_equal(select_rows(long, most), long.iloc[most])
    texts = {chunk.buffers()[2].address for chunk in long["body"].array.__arrow_array__().chunks}
    sliced = select_rows(long, most)["body"].array.__arrow_array__()
    assert sliced.num_chunks > 3 and {chunk.buffers()[2].address for chunk in sliced.chunks} <= texts
    with pytest.raises(IndexError):
        select_rows(frame, np.array([n]))
    plain = frame.astype({"body": "string[python]"})
    pd.testing.assert_frame_equal(select_rows(plain, positions=np.array([3, 1])), plain.iloc[[3, 1]])
