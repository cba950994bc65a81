"""The figures the notebooks draw, one call each: bars, heatmaps, small multiples, maps, trees and time axes.

Every helper takes the numbers to draw (DataFrames, arrays, labels) and returns the
:class:`~matplotlib.figure.Figure`; the caller saves it with
:func:`~corpus_utils.report.figures.save_figure` together with the data behind it. Titles and axis
labels are arguments, never guessed, so each figure says what it shows. All labels are drawn as plain
text (``text.parse_math`` is off in :data:`~corpus_utils.report.figures.STYLE`), so a ``$`` in a scraped title never
turns into mathematics.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, to_hex
from matplotlib.figure import Figure

from ..analysis.labels import short_title
from ..analysis.periods import period_midpoints
from ..analysis.timeline import section_counts_per_period

__all__ = [
    "BLUE", "GREEN", "RED", "GREY",
    "bar_chart", "heatmap", "panel_grid", "bar_panel", "stacked_share_bars", "dispersion_plot",
    "scatter_groups", "annotate_points", "dendrogram_plot", "event_colours", "draw_events", "period_ticks", "legend_beside",
    "publication_timeline", "trend_panel", "annotate_period_counts",
    "palette", "cycle_colours", "readable_labels", "dot_strip", "MIN_HISTOGRAM_VALUES", "paired_dots",
]

BLUE, GREEN, RED, GREY = "#4c72b0", "#55a868", "#c44e52", "#8c8c8c"


def palette(n: int) -> Any:
    """A qualitative colormap for ``n`` groups: ``tab10`` up to 10, else ``tab20``; index it modulo its ``N``."""
    return plt.get_cmap("tab20" if n > 10 else "tab10")


_TOKEN = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")


def readable_labels(labels: Sequence[Any]) -> list[Any]:
    """Labels as a reader should see them: a formulation token becomes its registered label in both languages
    (``two_safeguards`` → ``"Two Safeguards (两个维护)"``, :func:`~corpus_utils.text.registry.readable_terms`), another
    underscore token its words (``my_slogan`` → ``"my slogan"``); everything else is left as it is. Every
    bar, tick and legend label of this module goes through it."""
    from ..text.registry import readable_terms

    text = [label for label in labels if isinstance(label, str)]
    named = dict(zip(text, readable_terms(text)))
    return [
        (named[label] if named[label] != label else label.replace("_", " ") if _TOKEN.match(label) else label)
        if isinstance(label, str) else label
        for label in labels
    ]


def cycle_colours() -> list[str]:
    """The colours of matplotlib's current property cycle, in order."""
    return plt.rcParams["axes.prop_cycle"].by_key()["color"]


def bar_chart(
    labels: Sequence[Any],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    color: Any = BLUE,
    width: float = 8,
    bar_height: float = 0.28,
    base_height: float = 1.5,
    min_bars: int = 0,
    top_first: bool = True,
    integer_axis: bool = False,
    zero_line: bool = False,
) -> Figure:
    """Horizontal bars, one per label; the first label on top (``top_first``), the figure as tall as the bars need.

    Height: ``bar_height * max(len(labels), min_bars) + base_height`` inches. ``color`` may be one colour
    or one per bar; ``integer_axis`` puts whole numbers on the value axis; ``zero_line`` draws x = 0.
    """
    labels, values = readable_labels(list(labels)), list(values)
    fig, ax = plt.subplots(figsize=(width, bar_height * max(len(labels), min_bars) + base_height))
    if top_first:
        labels, values = labels[::-1], values[::-1]
        color = color[::-1] if isinstance(color, (list, np.ndarray)) else color
    ax.barh(labels, values, color=color)
    if zero_line:
        ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if integer_axis:
        ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


#: Below this many values a histogram's bars are mostly ones and zeros: draw one dot per value instead.
MIN_HISTOGRAM_VALUES = 20


def length_bars(lengths: pd.DataFrame, *, title: str, color: Any = BLUE) -> Figure:
    """A histogram of document lengths from :func:`~corpus_utils.analysis.overview.length_histogram`: one bar per bin,
    and the row gathering the longest documents (``overflow``), if any, as a hatched bar of the same width, labelled
    with the lengths it holds."""
    regular, longest = lengths[~lengths["overflow"]], lengths[lengths["overflow"]]
    fig, ax = plt.subplots(figsize=(8, 4))
    widths = regular["bin_end"] - regular["bin_start"]
    ax.bar(regular["bin_start"], regular["documents"], width=widths, align="edge", color=color, edgecolor="white")
    for row in longest.itertuples():
        width = float(widths.iloc[-1]) if len(widths) else 1.0
        ax.bar([row.bin_start + 0.5 * width], [row.documents], width=width, align="edge", color="white", edgecolor=color, hatch="///")
        ax.annotate(f"{row.documents:,} over {row.bin_start:,.0f}\n(up to {row.bin_end:,.0f})", (row.bin_start + width, row.documents),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="Document length (words)", ylabel="Documents", title=title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig


def dot_strip(values: Sequence[float], labels: Sequence[str], *, xlabel: str, ylabel: str, title: str,
              color: Any = BLUE) -> Figure:
    """One labelled dot per value, largest on top: the distribution of fewer than
    :data:`MIN_HISTOGRAM_VALUES` values, where a histogram would be mostly empty bins."""
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    shown = [str(labels[index]) for index in order]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(shown) + 1.5))
    ax.scatter(np.asarray(values, dtype=float)[order], range(len(shown)), color=color, zorder=2)
    ax.hlines(range(len(shown)), 0, np.asarray(values, dtype=float)[order], color=color, linewidth=0.8, alpha=0.5)
    ax.set_yticks(range(len(shown)), readable_labels(shown))
    ax.set_xlim(left=0)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return fig


def paired_dots(grid: pd.DataFrame, *, xlabel: str, ylabel: str, title: str) -> Figure:
    """One row per index entry, one coloured dot per column, joined by a line: the same items measured in a few
    groups (a formulation's share of documents in the Chinese originals and in the English translations).
    The first row is drawn on top; long labels wrap; missing values are left out; the legend names the columns."""
    rows = [textwrap.fill(label, 48) for label in readable_labels([str(item) for item in grid.index])][::-1]
    values = grid.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.42 * max(len(rows), 3) + 1.8))
    positions = np.arange(len(rows))
    ax.hlines(positions, values.min(axis=1), values.max(axis=1), color=GREY, linewidth=1, zorder=1)
    colours = cycle_colours()
    for number, column in enumerate(values.columns):
        ax.scatter(values[column], positions, color=colours[number % len(colours)], label=str(column), zorder=2, s=36)
    ax.set_yticks(positions, rows)
    ax.set_xlim(left=0)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_beside(ax)
    return fig


def heatmap(
    values: np.ndarray | pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    figsize: tuple[float, float],
    xticklabels: Sequence[Any] | None = None,
    yticklabels: Sequence[Any] | None = None,
    image_options: Mapping[str, Any] | None = None,
    xtick_options: Mapping[str, Any] | None = None,
    ytick_options: Mapping[str, Any] | None = None,
    cell_text: Callable[[Any], str | None] | None = None,
    cell_colour: Callable[[Any], str] | None = None,
    colorbar_label: str | None = None,
) -> Figure:
    """A grid of coloured cells (``imshow``) with labelled rows and columns, optional numbers in the cells.

    ``xticklabels``/``yticklabels`` default to the DataFrame's columns/index. ``image_options`` go to
    ``imshow`` (``cmap``, ``aspect``, ``vmin``, ``vmax``); ``xtick_options``/``ytick_options`` to the tick
    labels (``rotation``, ``ha``, ``fontsize``). ``cell_text(value)`` writes a cell's text (``None``:
    nothing), in ``cell_colour(value)`` when given. ``colorbar_label`` adds a colour bar.
    """
    grid = values.to_numpy() if isinstance(values, pd.DataFrame) else np.asarray(values)
    xticklabels = readable_labels(list(values.columns) if xticklabels is None else list(xticklabels))
    yticklabels = readable_labels(list(values.index) if yticklabels is None else list(yticklabels))
    fig, ax = plt.subplots(figsize=figsize)
    image = ax.imshow(grid, **dict(image_options or {}))
    if cell_text is not None:
        for (row, column), value in np.ndenumerate(grid):
            text = cell_text(value)
            if text is not None:
                colour = {"color": cell_colour(value)} if cell_colour is not None else {}
                ax.text(column, row, text, ha="center", va="center", fontsize=8, **colour)
    ax.set_xticks(range(grid.shape[1]), xticklabels, **dict(xtick_options or {}))
    ax.set_yticks(range(grid.shape[0]), yticklabels, **dict(ytick_options or {}))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if colorbar_label is not None:
        fig.colorbar(image, ax=ax, label=colorbar_label)
    return fig


def panel_grid(
    n_panels: int,
    *,
    panel_width: float,
    panel_height: float,
    extra_height: float = 0.0,
    ncols: int = 3,
    sharex: bool = False,
) -> tuple[Figure, list[Axes]]:
    """Small multiples: a grid of at most ``ncols`` columns holding ``n_panels`` axes; unused cells are hidden.

    The figure is ``panel_width`` per column wide and ``panel_height`` per row (+ ``extra_height``) tall.
    Returns the figure and the ``n_panels`` axes in reading order.
    """
    ncols = max(1, min(ncols, n_panels))
    nrows = -(-n_panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_width * ncols, panel_height * nrows + extra_height),
                             squeeze=False, sharex=sharex)
    flat = list(axes.ravel())
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def bar_panel(ax: Axes, labels: Sequence[Any], values: Sequence[float], *, title: str, xlabel: str, color: Any,
              title_size: float = 9) -> None:
    """One panel of horizontal bars, the first label on top (for :func:`panel_grid`)."""
    ax.barh(readable_labels(list(labels))[::-1], list(values)[::-1], color=color)
    ax.set_title(title, fontsize=title_size)
    ax.set_xlabel(xlabel)


def collocate_panels(tables: Mapping[str, pd.DataFrame], *, measure: str, measure_label: str, top: int, title: str) -> Figure:
    """One panel per node: its ``top`` collocates as bars of ``measure`` (tables from
    :func:`corpus_utils.analysis.collocations.collocates`); a node without collocates says so in its panel."""
    fig, axes = panel_grid(max(len(tables), 1), panel_width=4.2, panel_height=0.26 * top + 1.4, extra_height=0.6, ncols=3)
    for ax, colour, (node, table) in zip(axes, cycle_colours(), tables.items()):
        shown = table.head(top)
        heading = f"{readable_labels([node])[0]} ({table.attrs.get('node_count', 0)} occurrences)"
        if shown.empty:
            ax.text(0.5, 0.5, "no collocate passes\nthe thresholds", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(heading, fontsize=9)
            ax.set_xlabel(measure_label)
            ax.set_yticks([])
            continue
        bar_panel(ax, shown["collocate"], shown[measure], title=heading, xlabel=measure_label, color=colour)
    fig.suptitle(title, fontweight="bold")
    return fig


def stacked_share_bars(wide: pd.DataFrame, *, colours: Any, labels: Sequence[str], title: str, xlabel: str,
                       legend_title: str) -> Figure:
    """One horizontal bar per row of ``wide`` (rows × groups of shares summing to 1), stacked by column.

    Column ``c`` (1-based group numbers) gets ``colours((c - 1) % colours.N)`` and the legend text ``labels[c - 1]``.
    """
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.35 * max(len(wide), 5)))
    left = np.zeros(len(wide))
    for column in wide.columns:
        ax.barh(wide.index, wide[column], left=left, color=colours((column - 1) % colours.N), label=labels[column - 1])
        left += wide[column].to_numpy()
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title=legend_title)
    return fig


def dispersion_plot(positions: pd.DataFrame, labels: pd.Series, terms: Sequence[str], *, title: str) -> Figure:
    """Where each term occurs along each document: one row per document, one tick per occurrence.

    ``positions`` has columns ``doc_id``, ``term``, ``position`` (0–1); ``labels`` maps doc_id → row label,
    in row order. Each term gets its colour and a legend entry with its number of occurrences.
    """
    row_of = {doc_id: row for row, doc_id in enumerate(labels.index)}
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) * len(terms) / 2 + 2))
    colours = cycle_colours()
    for index, term in enumerate(terms):
        hits = positions[positions["term"] == term]
        offset = (index - (len(terms) - 1) / 2) * 0.8 / max(len(terms), 1)
        ax.scatter(hits["position"], hits["doc_id"].map(row_of) + offset, marker="|", s=120,
                   color=colours[index % len(colours)], label=f"{readable_labels([term])[0]} ({len(hits)})")
    ax.set_yticks(range(len(labels)), labels.to_numpy())
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Position in document (0 = start, 1 = end, among counted tokens)")
    ax.set_ylabel("Document")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def scatter_groups(
    ax: Axes,
    points: pd.DataFrame,
    groups: Sequence[tuple[str, pd.Series]],
    *,
    size: float,
    alpha: float | None = None,
    colours: Sequence[Any] | None = None,
) -> None:
    """Scatter ``points`` (columns ``x``, ``y``) group by group: ``groups`` is a list of (legend label, row mask).

    Group ``i`` gets ``colours[i]`` (default: matplotlib's cycle, in order).
    """
    colours = list(colours) if colours is not None else cycle_colours()
    options = {} if alpha is None else {"alpha": alpha}
    for index, (label, mask) in enumerate(groups):
        part = points[mask]
        ax.scatter(part["x"], part["y"], s=size, color=colours[index % len(colours)], label=label, **options)


def annotate_points(ax: Axes, points: pd.DataFrame, texts: Sequence[str], *, fontsize: float, offset: tuple[int, int]) -> None:
    """Write ``texts`` beside ``points`` (columns ``x``, ``y``), ``offset`` points up and to the right."""
    for text, x, y in zip(texts, points["x"], points["y"]):
        ax.annotate(text, (x, y), textcoords="offset points", xytext=offset, fontsize=fontsize)


def dendrogram_plot(linkage: np.ndarray, leaf_names: Sequence[str], *, leaf_clusters: Sequence[int], colours: Colormap,
                    max_leaves: int, title: str, ylabel: str,
                    xlabel: str = "Ward distance (k leading LSA dimensions)") -> tuple[Figure, list[str]]:
    """An agglomerative tree drawn sideways, at most ``max_leaves`` leaves (the top branches when there are more).

    A dashed line marks the cut into k clusters. Every link inside one cluster has that cluster's colour (``colours(cluster - 1)``, as on the cluster map);
    links joining clusters are black. ``leaf_clusters`` gives each leaf's cluster number (1..k) in linkage order.
    Returns the figure and the leaves drawn, top down.
    """
    from scipy.cluster.hierarchy import dendrogram, to_tree

    n_leaves = len(leaf_names)
    leaf_clusters = np.asarray(leaf_clusters)
    link_cluster: dict[int, int] = {}
    if len(linkage):
        for node in to_tree(linkage, rd=True)[1][n_leaves:]:
            members = np.unique(leaf_clusters[node.pre_order()])
            link_cluster[node.id] = int(members[0]) if len(members) == 1 else 0
    link_colour = {node: (to_hex(colours((cluster - 1) % colours.N)) if cluster else "black") for node, cluster in link_cluster.items()}
    truncated = n_leaves > max_leaves
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.2 * min(n_leaves, max_leaves)))
    if len(linkage):
        with warnings.catch_warnings():  # every merge at distance 0 (units all alike): matplotlib widens the axis itself
            warnings.filterwarnings("ignore", message="Attempting to set identical low and high xlims", category=UserWarning)
            tree = dendrogram(linkage, labels=np.asarray(leaf_names), orientation="left", link_color_func=link_colour.get,
                              truncate_mode="lastp" if truncated else None, p=max_leaves, leaf_font_size=8, ax=ax)
        leaves = list(tree["ivl"])
        k = len(np.unique(leaf_clusters))
        if 1 < k <= n_leaves - 1:
            ax.axvline(0.5 * (linkage[-k, 2] + linkage[-k + 1, 2]), color="tab:red", linestyle="--", linewidth=1)
    else:
        leaves = [str(name) for name in leaf_names]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig, leaves


# ---------------------------------------------------------------- time axes


def event_colours(events: pd.DataFrame) -> dict[str, Any]:
    """One colour per event ``kind`` (``Set1``), in sorted order of kinds."""
    return {kind: plt.get_cmap("Set1")(index % 9) for index, kind in enumerate(sorted(events["kind"].astype(str).unique()))}


def draw_events(ax: Axes, events: pd.DataFrame, colours: Mapping[str, Any], *, label_marks: bool = True) -> list:
    """Dotted vertical lines at the events' dates, coloured by kind, with their marks (``E1`` …) above the axes.

    ``events`` has columns ``mark``, ``date``, ``event``, ``kind``. Returns legend handles, one per event
    (``"E3 2019-05 Theme education launched"`` in its kind's colour), so the key travels with the figure.
    """
    handles = []
    for position, row in enumerate(events.itertuples()):
        colour = colours[str(row.kind)]
        ax.axvline(row.date, color=colour, linestyle=":", linewidth=1.2, zorder=0)
        if label_marks:
            ax.annotate(
                row.mark, (row.date, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 1 + 8 * (position % 2)),
                textcoords="offset points", fontsize=7, ha="center", va="bottom", color=colour,
            )
        name = short_title(str(row.event), max_chars=48)
        handles.append(plt.Line2D([], [], color=colour, linestyle=":", label=f"{row.mark} {row.date:%Y-%m} {name} ({row.kind})"))
    return handles


def annotate_bars(ax: Axes, x: Sequence[Any], heights: Sequence[float], *, fontsize: float = 8) -> None:
    """Write each non-zero bar's height above it, so the printed count and the bar length are the same number."""
    for position, height in zip(x, heights):
        if height:
            ax.annotate(f"{height:g}", (position, height), ha="center", va="bottom", fontsize=fontsize)


def finish_time_axes(ax: Axes, events: pd.DataFrame, colours: Mapping[str, Any], title: str) -> None:
    """Draw ``events`` (:func:`draw_events`), put their key beside the axes (:func:`legend_beside`) and set a
    ``title`` with room above for the event marks: the last step of every figure on a time axis."""
    legend_beside(ax, draw_events(ax, events, colours))
    ax.set_title(title, pad=26)


def period_ticks(ax: Axes, grid: pd.DataFrame, midpoints: pd.Series) -> None:
    """Label a time axis with the period names of ``grid`` (at most 12 labels), at the ``midpoints`` of the periods."""
    step = int(np.ceil(len(grid) / 12))
    ax.set_xticks(midpoints[::step], grid["period"].astype(str)[::step])


def legend_beside(ax: Axes, extra_handles: Sequence[Any] = (), *, fontsize: float = 8) -> None:
    """The axes' legend plus ``extra_handles`` (e.g. event kinds), to the right of the axes."""
    ax.legend(handles=ax.get_legend_handles_labels()[0] + list(extra_handles), loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize=fontsize)


def publication_timeline(
    dated: pd.DataFrame, grid: pd.DataFrame, *, period: str, max_marks: int
) -> tuple[Figure, Axes, pd.DataFrame, str]:
    """When each document was published: one labelled mark per document on its section's row, or — past
    ``max_marks`` documents — stacked bars of documents per period and section (the 8 largest sections).

    ``dated`` has columns ``doc_id``, ``date``, ``section``, ``label``; ``grid`` is the period range. Returns the
    figure, its axes (for events and titles), the data drawn and a phrase naming the mode.
    """
    if len(dated) <= max_marks:
        sections = sorted(dated["section"].unique())
        fig, ax = plt.subplots(figsize=(11, 1.8 + 0.9 * len(sections)))
        colours = plt.get_cmap("tab10")
        for index, section in enumerate(sections):
            part = dated[dated["section"] == section].sort_values("date")
            ax.scatter(part["date"], np.full(len(part), index), s=60, color=colours(index % 10), label=section, zorder=3)
            for offset, row in enumerate(part.itertuples()):
                ax.annotate(str(row.label), (row.date, index), xytext=(4, 8 + 10 * (offset % 2)), textcoords="offset points",
                            fontsize=7, rotation=12)
        ax.set_yticks(range(len(sections)), [short_title(section, max_chars=40) for section in sections])
        ax.set_ylim(-0.6, len(sections) - 0.1)
        ax.set_ylabel("section")
        data = dated[["doc_id", "label", "section", "date"]].sort_values(["date", "doc_id"])
        return fig, ax, data.astype({"date": str}), "one mark per document"
    wide = section_counts_per_period(dated, grid, period=period)
    fig, ax = plt.subplots(figsize=(11, 5))
    bottom = np.zeros(len(wide))
    middles = period_midpoints(grid).to_numpy()
    width = (grid["end"] - grid["start"]).dt.days.to_numpy() * 0.8
    for index, column in enumerate(wide.columns):
        ax.bar(middles, wide[column].to_numpy(), width=width, bottom=bottom, color=plt.get_cmap("tab10")(index % 10),
               label=short_title(column, max_chars=40))
        bottom += wide[column].to_numpy()
    ax.set_ylabel(f"documents per {period}")
    data = wide.reset_index().melt(id_vars="period", var_name="section", value_name="n_documents")
    return fig, ax, data, f"documents per {period} and section"


def trend_panel(ax: Axes, rows: pd.DataFrame, *, title: str, colour: Any,
                period_documents: Mapping[str, int] | None = None) -> None:
    """One term's rate per period: dots sized and labelled by the documents using the term (``n_documents``),
    a line through ``x``/``per_1000_words``, the y axis from 0.

    With ``period_documents`` (documents per period), the line skips every period holding fewer than two
    documents: one article's rate is a point, not part of a trend. Dot areas run from 20 to 200 points²,
    scaled to the panel's largest count, so they stay inside the panel at any corpus size.
    """
    line = rows["per_1000_words"].astype(float)
    if period_documents is not None:
        totals = rows["period"].astype(str).map(lambda period: period_documents.get(period, 0))
        line = line.where(totals.to_numpy() >= 2)
    ax.plot(rows["x"], line, color=colour, linewidth=1, zorder=1)
    used = rows[rows["n_documents"] > 0]
    largest = max(int(used["n_documents"].max()) if len(used) else 1, 1)
    ax.scatter(used["x"], used["per_1000_words"], s=20 + 180 * used["n_documents"] / largest, color=colour, zorder=2)
    for row in used.itertuples():
        ax.annotate(f"{row.n_documents}", (row.x, row.per_1000_words), xytext=(0, 9), textcoords="offset points",
                    ha="center", fontsize=7)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("per 1,000 words")
    ax.set_ylim(bottom=0, top=max(1.0, float(rows["per_1000_words"].max(skipna=True) or 0) * 1.25))


def annotate_period_counts(ax: Axes, periods: pd.DataFrame) -> None:
    """Write each period's number of documents (``n_documents`` > 0) under the axis, at the period's middle."""
    for row in periods[periods["n_documents"] > 0].itertuples():
        ax.annotate(f"{row.n_documents} doc", (row.start + (row.end - row.start) / 2, 0), xytext=(0, -2),
                    textcoords="offset points", ha="center", va="top", fontsize=7, color="dimgrey")
