"""Tests for corpus_utils.report.plots: each helper draws what it is given, in the order given, with its labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from corpus_utils.analysis.periods import period_midpoints, period_range
from corpus_utils.report.plots import (
    annotate_period_counts,
    bar_chart,
    bar_panel,
    dendrogram_plot,
    length_bars,
    palette,
    dispersion_plot,
    draw_events,
    event_colours,
    heatmap,
    panel_grid,
    period_ticks,
    publication_timeline,
    stacked_share_bars,
    trend_panel,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tick_texts(ax, axis="y"):
    return [label.get_text() for label in (ax.get_yticklabels() if axis == "y" else ax.get_xticklabels())]


@pytest.mark.parametrize(("top_first", "expected"), [(True, ["c", "b", "a"]), (False, ["a", "b", "c"])])
def test_bar_chart_order_size_and_labels(top_first, expected):
    fig = bar_chart(["a", "b", "c"], [3, 2, 1], title="T", xlabel="X", ylabel="Y", top_first=top_first,
                    bar_height=0.5, base_height=1.0, min_bars=4, zero_line=True)
    ax = fig.axes[0]
    assert _tick_texts(ax) == expected  # bottom to top
    assert fig.get_size_inches()[1] == pytest.approx(0.5 * 4 + 1.0)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "X", "Y")
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == ([1, 2, 3] if top_first else [3, 2, 1])
    assert any(line.get_xdata()[0] == 0 for line in ax.get_lines())


def test_bar_chart_colours_follow_their_bars_when_reversed():
    fig = bar_chart(["a", "b"], [1, 2], title="T", xlabel="X", ylabel="Y", color=["red", "blue"])
    faces = [patch.get_facecolor() for patch in fig.axes[0].patches]
    assert faces == [matplotlib.colors.to_rgba("blue"), matplotlib.colors.to_rgba("red")]


def test_heatmap_cells_ticks_text_and_colorbar():
    grid = pd.DataFrame([[0, 2], [3, 0]], index=["r1", "r2"], columns=["c1", "c2"])
    fig = heatmap(grid, title="T", xlabel="X", ylabel="Y", figsize=(4, 3), cell_text=lambda v: str(v) if v else None,
                  cell_colour=lambda v: "white", colorbar_label="n")
    ax = fig.axes[0]
    assert _tick_texts(ax, "x") == ["c1", "c2"] and _tick_texts(ax) == ["r1", "r2"]
    assert sorted(text.get_text() for text in ax.texts) == ["2", "3"]
    assert all(text.get_color() == "white" for text in ax.texts)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "n"
    np.testing.assert_array_equal(ax.images[0].get_array(), grid.to_numpy())


def test_heatmap_without_text_or_colorbar():
    fig = heatmap(np.eye(3), xticklabels="abc", yticklabels="xyz", title="T", xlabel="X", ylabel="Y", figsize=(3, 3))
    assert len(fig.axes) == 1 and not fig.axes[0].texts


@pytest.mark.parametrize(("n", "ncols", "shape"), [(1, 3, (1, 1)), (4, 3, (2, 3)), (6, 3, (2, 3)), (5, 2, (3, 2))])
def test_panel_grid_hides_unused_cells(n, ncols, shape):
    fig, axes = panel_grid(n, panel_width=2, panel_height=1.5, extra_height=0.5, ncols=ncols)
    assert len(axes) == n and len(fig.axes) == shape[0] * shape[1]
    assert sum(ax.get_visible() for ax in fig.axes) == n
    assert tuple(fig.get_size_inches()) == pytest.approx((2 * shape[1], 1.5 * shape[0] + 0.5))
    bar_panel(axes[0], ["x", "y"], [1, 2], title="P", xlabel="w", color="k")
    assert _tick_texts(axes[0]) == ["y", "x"] and axes[0].get_title() == "P"


def test_stacked_share_bars_stack_to_one():
    wide = pd.DataFrame({1: [0.25, 1.0], 2: [0.75, 0.0]}, index=["doc a", "doc b"])
    fig = stacked_share_bars(wide, colours=plt.get_cmap("tab10"), labels=["T1", "T2"], title="T", xlabel="share",
                             legend_title="topic")
    ax = fig.axes[0]
    right_edges = [patch.get_x() + patch.get_width() for patch in ax.patches]
    assert max(right_edges) == pytest.approx(1.0)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["T1", "T2"]


def test_dispersion_plot_counts_occurrences_per_term():
    positions = pd.DataFrame({"doc_id": ["a", "a", "b"], "term": ["x", "y", "x"], "position": [0.1, 0.5, 0.9]})
    labels = pd.Series(["D1 A", "D2 B"], index=["a", "b"])
    fig = dispersion_plot(positions, labels, ["x", "y"], title="T")
    ax = fig.axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["x (2)", "y (1)"]
    assert _tick_texts(ax) == ["D1 A", "D2 B"]


def test_dendrogram_plot_draws_every_leaf_and_colours_links_by_cluster():
    from matplotlib.colors import to_hex
    from scipy.cluster.hierarchy import linkage

    points = np.array([[0.0], [0.1], [5.0], [5.1], [9.0]])
    clusters = [1, 1, 2, 2, 2]
    colours = palette(2)
    fig, leaves = dendrogram_plot(linkage(points, "ward"), list("abcde"), leaf_clusters=clusters, colours=colours, max_leaves=10,
                                  title="T", ylabel="u")
    assert sorted(leaves) == list("abcde")
    drawn = {to_hex(collection.get_color()[0]) for collection in fig.axes[0].collections}
    assert drawn == {to_hex(colours(0)), to_hex(colours(1)), "#000000"}  # two clusters, black links joining them
    fig, leaves = dendrogram_plot(linkage(points, "ward"), list("abcde"), leaf_clusters=clusters, colours=colours, max_leaves=3,
                                  title="T", ylabel="u")
    assert len(leaves) == 3


def test_a_dendrogram_of_units_all_alike_draws_without_a_warning():
    import warnings

    from scipy.cluster.hierarchy import linkage

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be a line on the notebook's stderr
        fig, leaves = dendrogram_plot(linkage(np.zeros((4, 2)), "ward"), list("abcd"), leaf_clusters=[1, 1, 1, 1],
                                      colours=palette(1), max_leaves=10, title="T", ylabel="u")
    low, high = fig.axes[0].get_xlim()
    assert sorted(leaves) == list("abcd") and low != high


def test_events_periods_and_timelines():
    dates = pd.to_datetime(pd.Series(["2019-03-01", "2019-09-01", "2021-01-01"]))
    grid = period_range(dates, "year")
    events = pd.DataFrame({"date": pd.to_datetime(["2019-06-01", "2020-06-01"]), "kind": ["congress", "plenum"], "mark": ["E1", "E2"],
                           "event": ["19th Party Congress", "Fifth Plenary Session"]})
    colours = event_colours(events)
    assert list(colours) == ["congress", "plenum"]
    dated = pd.DataFrame({"doc_id": ["a", "b", "c"], "date": dates, "section": ["s1", "s2", "s1"], "label": ["A", "B", "C"]})
    fig, ax, data, mode = publication_timeline(dated, grid, period="year", max_marks=10)
    assert mode == "one mark per document" and data["doc_id"].tolist() == ["a", "b", "c"]
    handles = draw_events(ax, events, colours)
    assert [handle.get_label() for handle in handles] == ["E1 2019-06 19th Party Congress (congress)", "E2 2020-06 Fifth Plenary Session (plenum)"]
    assert sorted(text.get_text() for text in ax.texts if text.get_text().startswith("E")) == ["E1", "E2"]
    fig, ax, data, mode = publication_timeline(dated, grid, period="year", max_marks=2)
    assert mode == "documents per year and section" and data["n_documents"].sum() == 3
    period_ticks(ax, grid, period_midpoints(grid))
    assert _tick_texts(ax, "x") == ["2019", "2020", "2021"]


def test_trend_panel_and_period_counts():
    rows = pd.DataFrame({"x": [1, 2, 3], "per_1000_words": [0.0, 2.0, 4.0], "n_documents": [0, 1, 2]})
    fig, ax = plt.subplots()
    trend_panel(ax, rows, title="term", colour="red")
    assert ax.get_ylim() == pytest.approx((0, 5.0))
    assert [text.get_text() for text in ax.texts] == ["1", "2"]
    periods = pd.DataFrame({"start": pd.to_datetime(["2019-01-01", "2020-01-01"]), "end": pd.to_datetime(["2019-12-31", "2020-12-31"]),
                            "n_documents": [0, 3]})
    annotate_period_counts(ax, periods)
    assert ax.texts[-1].get_text() == "3 doc"


def test_formulation_tokens_are_drawn_with_their_labels():
    from corpus_utils.report.plots import bar_chart, readable_labels

    assert readable_labels(["two_safeguards", "my_slogan", "party", 2020]) == ["Two Safeguards (两个维护)", "my slogan", "party", 2020]
    fig = bar_chart(["two_safeguards", "party"], [2, 1], title="T", xlabel="x", ylabel="y")
    assert [label.get_text() for label in fig.axes[0].get_yticklabels()] == ["party", "Two Safeguards (两个维护)"]


def test_dot_strip_draws_one_labelled_dot_per_value():
    from corpus_utils.report.plots import dot_strip

    fig = dot_strip([300, 2000, 900], ["D1", "D2", "D3"], xlabel="words", ylabel="document", title="T")
    assert [label.get_text() for label in fig.axes[0].get_yticklabels()] == ["D1", "D3", "D2"]
    assert len(fig.axes[0].collections[0].get_offsets()) == 3


def test_trend_lines_skip_single_document_periods_and_dots_stay_bounded():
    from corpus_utils.report.plots import trend_panel

    rows = pd.DataFrame({"period": ["2019", "2020", "2021", "2022"], "x": [0, 1, 2, 3], "per_1000_words": [1.0, 2.0, 3.0, 4.0],
                         "n_documents": [5000, 1, 2500, 2]})
    fig, ax = plt.subplots()
    trend_panel(ax, rows, title="t", colour="red", period_documents={"2019": 9000, "2020": 1, "2021": 4000, "2022": 3})
    line = ax.lines[0].get_ydata()
    assert np.isnan(line[1]) and not np.isnan(line[[0, 2, 3]]).any()
    sizes = ax.collections[0].get_sizes()
    assert sizes.max() == 200 and sizes.min() >= 20


def test_length_bars_draw_the_giant_pages_as_one_hatched_bar_of_the_usual_width():
    lengths = pd.DataFrame({"bin_start": [100.0, 200.0, 300.0], "bin_end": [200.0, 300.0, 90_000.0],
                            "documents": [5, 2, 3], "overflow": [False, False, True]})
    ax = length_bars(lengths, title="Lengths").axes[0]
    bars = ax.patches
    assert [bar.get_height() for bar in bars] == [5, 2, 3] and {bar.get_width() for bar in bars} == {100.0}
    assert [bool(bar.get_hatch()) for bar in bars] == [False, False, True]
    assert "3 over 300\n(up to 90,000)" in [text.get_text() for text in ax.texts]
    assert ax.get_xlim()[1] < 1_000  # the axis ends near the bins, not at the longest page
