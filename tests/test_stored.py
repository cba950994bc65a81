"""Text columns read from a Parquet file are recognised in the parts cut from them, and a reference reads back the
same rows (``corpus_utils.core.stored``; the Dask side is in ``test_dask.py``)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus_utils.core import columns as columns_module
from corpus_utils.core import stored as stored_module
from corpus_utils.core.columns import ARROW_TEXT_DTYPE, TextSequence, select_rows, take_rows
from corpus_utils.core.stored import StoredPart, StoredRows, forget_columns, remember_columns, stored_part, stored_rows

BODIES = [f"第{number}段 paragraph {number} " * (number % 5 + 1) for number in range(30)]


@pytest.fixture(autouse=True)
def nothing_remembered():
    forget_columns()
    yield
    forget_columns()


def _write(path, bodies=BODIES, row_group=7):
    """``bodies`` (one missing) with ids and a title column, in row groups of ``row_group`` rows."""
    titles = [None if number == 4 else f"title {number}" for number in range(len(bodies))]
    table = pa.table({"doc_id": [f"d{number}" for number in range(len(bodies))], "title": titles, "body": bodies})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def _read(path):
    """The file as the corpus store reads a large corpus: text columns Arrow-backed."""
    text = pd.api.types.pandas_dtype(ARROW_TEXT_DTYPE)
    return pq.read_table(path).to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


@pytest.fixture
def stored(tmp_path):
    path = _write(tmp_path / "documents.parquet")
    frame = _read(path)
    assert remember_columns(frame, path) == 3
    return path, frame


@pytest.fixture(params=[2, 3, 5_000], ids=lambda rows: f"batches of {rows}")
def batch_rows(request, monkeypatch):
    """Rows a worker decodes at a time: fewer than a row group (7 rows), not dividing it, or more."""
    monkeypatch.setattr(stored_module, "READ_BATCH_ROWS", request.param)
    return request.param


def test_a_whole_column_and_a_slice_across_row_groups_are_found_and_read_back(stored, batch_rows):
    path, frame = stored
    whole = stored_rows(frame["body"])
    assert whole.runs == ((0, 30),) and whole.path == str(path) and whole.column == "body"
    pd.testing.assert_series_equal(whole.read(), frame["body"], check_names=False)
    part = stored_rows(frame["body"].iloc[5:23])  # rows of three row groups
    assert part.runs == ((5, 23),) and part.n_rows == 18
    pd.testing.assert_series_equal(part.read(), frame["body"].iloc[5:23].reset_index(drop=True), check_names=False)
    assert abs(part.nbytes - pa.array(frame["body"].iloc[5:23].tolist(), type=pa.large_string()).nbytes) <= 8 * 3


def test_a_selection_that_keeps_runs_of_the_chunks_is_read_back_run_by_run(stored, monkeypatch, batch_rows):
    path, frame = stored
    monkeypatch.setattr(columns_module, "SLICE_MIN_RUN", 2)
    positions = np.r_[2:9, 15:18, 25:30]
    selected = select_rows(frame, positions)
    rows = stored_rows(selected["body"])
    assert rows.runs == ((2, 9), (15, 18), (25, 30))
    pd.testing.assert_series_equal(rows.read(), selected["body"].reset_index(drop=True), check_names=False)


def test_changed_copied_or_python_texts_are_not_taken_for_stored_rows(stored):
    _, frame = stored
    assert stored_rows(frame["body"].str.upper()) is None                   # other text
    assert stored_rows(take_rows(frame["body"], np.array([3, 1, 2]))) is None  # rows copied out of order
    assert stored_rows(frame["body"].astype("string[python]")) is None       # Python strings
    assert stored_rows(frame["title"].fillna("")) is None                    # a missing title filled: new buffers
    forget_columns()
    assert stored_rows(frame["body"]) is None


def test_only_the_latest_files_are_remembered(tmp_path):
    frames = []
    for number in range(stored_module.KEEP_FILES + 1):
        path = _write(tmp_path / f"{number}.parquet")
        frames.append(_read(path))
        remember_columns(frames[-1], path)
    assert stored_rows(frames[0]["body"]) is None
    assert all(stored_rows(frame["body"]) is not None for frame in frames[1:])


def test_a_part_loads_as_the_column_table_or_texts_it_stands_for(stored):
    _, frame = stored
    for items, start, stop, expected in [(frame["body"], 3, 17, frame["body"].iloc[3:17]),
                                         (frame, 6, 21, frame.iloc[6:21])]:
        part = stored_part(items, start, stop)
        assert isinstance(part, StoredPart)
        loaded = pickle.loads(pickle.dumps(part)).load()
        (pd.testing.assert_frame_equal if isinstance(expected, pd.DataFrame) else pd.testing.assert_series_equal)(loaded, expected)
    texts = TextSequence(frame["body"])
    part = stored_part(texts, 10, 30)
    assert part.kind == "texts" and part.load() == texts[10:30]
    mixed = frame.assign(doc_id=frame["doc_id"].astype(object))  # ids as Python strings travel as they are
    framed = dict(stored_part(mixed, 0, 30).columns)
    assert isinstance(framed["body"], StoredRows) and not isinstance(framed["doc_id"], StoredRows)
    pd.testing.assert_frame_equal(stored_part(mixed, 2, 12).load(), mixed.iloc[2:12])


def test_a_reference_is_far_smaller_than_the_texts_it_stands_for(tmp_path):
    path = _write(tmp_path / "big.parquet", bodies=[f"text {number} " * 400 for number in range(2_000)], row_group=500)
    frame = _read(path)
    remember_columns(frame, path)
    part = stored_part(frame["body"], 100, 1_900)
    assert part.stored_bytes > 100 * len(pickle.dumps(part))
    assert stored_part(frame["body"].str.strip(), 100, 1_900) is None


def test_a_file_that_is_not_the_one_read_is_refused_with_what_to_do(stored):
    path, frame = stored
    rows = stored_rows(frame["body"])
    _write(path, bodies=BODIES + ["one more"])
    with pytest.raises(OSError, match="CORPUS_UTILS_CACHE_DIR"):
        rows.read()


def test_paragraphs_of_stored_texts_are_cut_by_the_worker_from_the_texts_holding_them(tmp_path):
    from corpus_utils.core.words import PARAGRAPH_SEPARATOR
    from corpus_utils.text.encoded import _Paragraphs

    bodies = [PARAGRAPH_SEPARATOR.join(f"text {number} paragraph {line}" for line in range(number % 4 + 1)) for number in range(40)]
    path = _write(tmp_path / "paragraphs.parquet", bodies=bodies, row_group=9)
    frame = _read(path)
    remember_columns(frame, path)
    paragraphs = _Paragraphs(TextSequence(frame["body"]))
    for start, stop in [(0, len(paragraphs)), (3, 17), (20, 21), (len(paragraphs) - 5, len(paragraphs))]:
        part = stored_part(paragraphs, start, stop)
        assert part.split is not None and pickle.loads(pickle.dumps(part)).load() == paragraphs[start:stop]
    assert stored_part(_Paragraphs(TextSequence(frame["body"].str.lower())), 0, 5) is None
