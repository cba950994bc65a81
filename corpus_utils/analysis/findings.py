"""What a run found, in sentences computed from its own numbers (never prose written for one corpus).

Each notebook ends with one of these functions. They take the tables the notebook already computed and return
:class:`Findings`: plain-text sentences, each with the numbers it rests on and a caution where the evidence is
thin (few documents, ties, a flat curve). Scraped text (titles, terms) is quoted as text; the notebooks print
it, so nothing in it is ever read as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..input.language import language_counts
from .explore import TermProfile
from .labels import tied_with
from .overview import count_by

__all__ = [
    "THIN_GROUP",
    "Findings",
    "overview_findings",
    "term_findings",
    "similarity_findings",
    "cluster_findings",
    "timeline_findings",
    "formulation_findings",
    "term_profile_findings",
]

#: Groups (periods, sections) with fewer documents than this describe those documents, not a trend.
THIN_GROUP = 5


@dataclass
class Findings:
    """Sentences about one run; ``str()`` gives one bullet per line."""

    sentences: list[str] = field(default_factory=list)

    def add(self, sentence: str) -> None:
        self.sentences.append(sentence)

    def __str__(self) -> str:
        if not self.sentences:
            return "- Nothing to report on this corpus."
        return "\n".join(f"- {sentence}" for sentence in self.sentences)

    def __repr__(self) -> str:
        return str(self)


def _quoted(text: object, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


def _readable(term: object) -> str:
    return str(term).replace("_", " ")


def overview_findings(documents: pd.DataFrame, files: pd.DataFrame) -> Findings:
    """The corpus at a glance: files loaded and skipped, dates, lengths, sections, duplicates.

    ``documents`` (the documents described: all loaded, or a subcorpus or language of them) takes ``date``,
    ``n_words``, ``section``, ``duplicate_of``; ``files`` (the load report, every input file) takes ``status``.
    """
    found = Findings()
    n_documents = len(documents)
    loaded = int((files["status"] == "loaded").sum())
    skipped = len(files) - loaded
    found.add(f"{len(files):,} file(s) read: {loaded:,} document(s) loaded, {skipped:,} skipped"
              + (" (see the problems table for why)." if skipped else "."))
    if n_documents < loaded:
        found.add(f"The rest describes {n_documents:,} of the {loaded:,} documents, those the subcorpus parameters and "
                  "LANGUAGE chose.")
    if not n_documents:
        return found
    dated = documents["date"].dropna()
    if dated.empty:
        found.add("No document has a date: nothing in this corpus can be placed on a time axis.")
    else:
        found.add(f"{len(dated):,} of {n_documents:,} documents are dated, from {dated.min():%Y-%m-%d} to {dated.max():%Y-%m-%d}"
                  + (f"; {n_documents - len(dated)} undated." if len(dated) < n_documents else "."))
    lengths = documents["n_words"]
    found.add(f"Lengths run from {int(lengths.min()):,} to {int(lengths.max()):,} words (median {lengths.median():,.0f})"
              + ("; the longest is more than ten times the shortest, so per-1,000-word rates are the fair comparison."
                 if lengths.min() > 0 and lengths.max() > 10 * lengths.min() else "."))
    sections = count_by(documents, "section")  # in the order of 01's bars: count, then name
    top, most = sections["section"].iat[0], int(sections["documents"].iat[0])
    top_share = most / n_documents
    tie = tied_with(sections, "section", "documents", formatted=_quoted)
    found.add(f"{len(sections):,} section(s); the largest, {_quoted(top)}, holds {most} document(s) ({top_share:.0%}){tie}"
              + (": the corpus mostly speaks for that section." if top_share > 0.5 and len(sections) > 1 else "."))
    if "language" in documents.columns:
        groups = language_counts(documents["language"])
        if len(groups.drop("und", errors="ignore")) > 1:
            found.add("Languages: " + ", ".join(f"{group} {count:,}" for group, count in groups.items())
                      + " document(s). Their words differ: with LANGUAGE = \"auto\" (the default) notebooks 02–05 analyse one "
                        "language at a time; with LANGUAGE = \"all\" their counts mix the languages.")
    duplicates = int(documents["duplicate_of"].notna().sum())
    found.add(f"{duplicates:,} document(s) repeat an earlier body word for word" + (": every count includes them again (the duplicate_of column says which to drop)." if duplicates else "."))
    return found


def term_findings(unigrams: pd.DataFrame, bigrams: pd.DataFrame, *, n_documents: int, n_words: int) -> Findings:
    """The most frequent words and phrases and how widely they are used.

    ``unigrams`` and ``bigrams`` take ``term``, ``count``, ``per_1000_words``, ``documents``, most frequent first.
    """
    found = Findings()
    if unigrams.empty:
        found.add(f"No term is left to count in {n_words:,} words: check the stop list (EXTRA_STOP_WORDS).")
        return found
    top = unigrams.iloc[0]
    found.add(f"The most frequent term is {_quoted(_readable(top['term']))}: {int(top['count']):,} times "
              f"({top['per_1000_words']:.1f} per 1,000 words), in {int(top['documents']):,} of {n_documents:,} document(s).")
    if len(unigrams) > 1:
        second = unigrams.iloc[1]
        ratio = top["count"] / max(second["count"], 1)
        if ratio >= 1.5:
            found.add(f"It is used {ratio:.1f} times as often as the runner-up, {_quoted(_readable(second['term']))}.")
        elif top["count"] == second["count"]:
            found.add(f"It ties with {_quoted(_readable(second['term']))}: their order is arbitrary.")
        else:
            found.add(f"The runner-up, {_quoted(_readable(second['term']))}, is close ({int(second['count']):,} times): no single word dominates.")
    shown = unigrams.head(10)
    narrow = shown[shown["documents"] <= max(1, n_documents // 5)]
    if n_documents >= 5 and len(narrow):
        found.add(f"{len(narrow):,} of the top {len(shown):,} terms come from at most {max(1, n_documents // 5)} document(s) "
                  f"(e.g. {_quoted(_readable(narrow.iloc[0]['term']))}): one article's subject, not the corpus's vocabulary.")
    if not bigrams.empty:
        found.add(f"The most frequent phrase is {_quoted(_readable(bigrams.iloc[0]['term']))} ({int(bigrams.iloc[0]['count']):,} times, "
                  f"{int(bigrams.iloc[0]['documents']):,} document(s)).")
    if n_documents < THIN_GROUP:
        found.add(f"With {n_documents:,} document(s), these counts describe those texts, not a genre.")
    return found


def similarity_findings(pairs: pd.DataFrame, nearest: pd.Series, *, n_documents: int, n_near_duplicates: int,
                        n_sources: int | None = None, near_duplicates_listed: bool = True) -> Findings:
    """How alike the documents are.

    ``pairs`` takes ``doc_a``, ``doc_b``, ``similarity`` (most similar first); ``nearest`` is each source document's
    similarity to its nearest other document. ``n_sources``: how many documents' neighbours were searched when they
    are a sample (None: every document); the sentences then speak of the sample and estimate the whole corpus.
    ``near_duplicates_listed``: False when there were too many near-duplicate paragraph pairs to list, and
    ``n_near_duplicates`` counts only the pairs of identical paragraphs in different documents.
    """
    found = Findings()
    if pairs.empty:
        found.add(f"With {n_documents:,} document(s) there is no pair to compare.")
        return found
    sampled = n_sources is not None and n_sources < n_documents
    best = pairs.iloc[0]
    among = f" among the neighbours of {n_sources:,} sampled documents (of {n_documents:,})" if sampled else ""
    found.add(f"The closest pair{among} is {_quoted(best['doc_a'])} and {_quoted(best['doc_b'])} "
              f"(cosine {best['similarity']:.2f}).")
    if len(pairs) > 1 and pairs["similarity"].iloc[1] == best["similarity"]:
        found.add("Other pairs tie with it: which one is listed first is arbitrary.")
    median = float(nearest.median())
    kind = ("near-copies" if median >= 0.8 else "closely related" if median >= 0.5 else
            "sharing some vocabulary" if median >= 0.2 else "mostly unrelated in vocabulary")
    found.add(f"The median {'sampled ' if sampled else ''}document's nearest neighbour has cosine {median:.2f}: "
              f"documents are typically {kind}.")
    high = int((nearest >= 0.8).sum())
    if high and sampled:
        found.add(f"{high:,} of the {n_sources:,} sampled documents ({high / n_sources:.1%}) have a neighbour at cosine 0.8 "
                  f"or more: likely reposts or templates; about {round(high / n_sources * n_documents):,} of all "
                  f"{n_documents:,} at that rate.")
    elif high:
        found.add(f"{high:,} document(s) have a neighbour at cosine 0.8 or more: likely reposts or templates.")
    if near_duplicates_listed:
        found.add(f"{n_near_duplicates:,} pair(s) of near-duplicate paragraphs are shared across documents.")
    else:
        found.add(f"At least {n_near_duplicates:,} pairs of identical paragraphs are shared across documents: templates or "
                  "footers repeated in very many documents, which inflate counts and similarities (06 lists them as families).")
    return found


def cluster_findings(
    topic_shares: pd.Series,
    *,
    k: int,
    warnings: Sequence[str],
    agreement: float | None,
    cluster_sizes: pd.Series,
    n_units: int,
    unit: str,
) -> Findings:
    """Topics and clusters: the strongest topic, the number of clusters and how far to trust the grouping.

    ``topic_shares`` is each topic label's share of the words; ``cluster_sizes`` the units per cluster.
    """
    found = Findings()
    if len(topic_shares):
        ordered = topic_shares.sort_values(ascending=False, kind="stable")
        found.add(f"The strongest topic is {_quoted(ordered.index[0])}, with {ordered.iloc[0]:.0%} of the words of {n_units:,} {unit}s"
                  + (f"; the next is {_quoted(ordered.index[1])} ({ordered.iloc[1]:.0%})." if len(ordered) > 1 else "."))
    if k < 2:
        repeated = [warning for warning in warnings if "(repeated units)" in warning]  # choose_k's reason: copies, not few units
        found.add(f"The {n_units:,} {unit}(s) are too few to cluster: {repeated[0]}." if repeated
                  else f"{n_units:,} {unit}(s) are too few to cluster.")
        return found
    largest = cluster_sizes.max() / max(cluster_sizes.sum(), 1)
    found.add(f"{k} clusters; the largest holds {largest:.0%} of the {unit}s" + (
        " — nearly everything in one group, so the grouping says little." if largest > 0.8 else "."))
    if agreement is not None:
        strength = "strong" if agreement >= 0.8 else "moderate" if agreement >= 0.5 else "weak"
        found.add(f"k-means and Ward clustering agree with adjusted Rand index {agreement:.2f} ({strength} agreement)"
                  + ("; trust only the groups both methods find." if agreement < 0.8 else "."))
    if warnings:
        found.add("The number of clusters is uncertain: " + "; ".join(warnings) + ".")
    else:
        found.add("The choice of k is clear: best silhouette, not at the edge of the range, both methods concur.")
    if n_units < 30:
        found.add(f"With {n_units:,} {unit}s, read the clusters as a first map, not a classification.")
    return found


def timeline_findings(
    per_period: pd.DataFrame, carried: pd.DataFrame | None, leaders: pd.DataFrame | None, *, period: str
) -> Findings:
    """When the corpus was published and what rose and fell.

    ``per_period`` takes ``period``, ``n_documents`` (an ``undated`` row allowed); ``carried`` takes ``term``,
    ``occurrences``, ``periods_used``, ``max_documents_in_a_period``; ``leaders`` takes ``period``, ``label``.
    """
    found = Findings()
    dated = per_period[per_period["period"].astype(str) != "undated"]
    if dated.empty or int(dated["n_documents"].sum()) == 0:
        found.add("No document has a date, so nothing can be said about time.")
        return found
    ranked = dated.sort_values(["n_documents", "period"], ascending=[False, True], kind="stable")
    peak = ranked.iloc[0]
    tie = tied_with(ranked, "period", "n_documents")
    covered = int((dated["n_documents"] > 0).sum())
    single = covered == 1  # one period: no trend, no leader over time
    if single:
        found.add(f"Every dated document falls in one {period}, {peak['period']} ({int(peak['n_documents']):,} document(s)): "
                  "there is no change over time to describe" + (f" (a shorter PERIOD than {period!r} may show one)."
                                                                 if period != "month" else "."))
    else:
        found.add(f"The busiest {period} is {peak['period']} with {int(peak['n_documents']):,} document(s){tie}; "
                  f"{covered:,} of {len(dated):,} {period}(s) in the range have any document.")
    thin = int(((dated["n_documents"] > 0) & (dated["n_documents"] < THIN_GROUP)).sum())
    if thin and not single:
        found.add(f"{thin:,} of those {covered:,} {period}(s) hold fewer than {THIN_GROUP} documents: their points describe "
                  "single articles, not trends.")
    carried = carried if carried is not None else pd.DataFrame(columns=["term", "occurrences"])
    used = carried[carried["occurrences"] > 0]
    unused = carried[carried["occurrences"] == 0]
    if len(used) and not single:
        widest = used.sort_values(["periods_used", "occurrences"], ascending=False, kind="stable").iloc[0]
        found.add(f"The most widely followed term is {_quoted(_readable(widest['term']))}: {int(widest['occurrences']):,} "
                  f"occurrence(s) in {int(widest['periods_used']):,} {period}(s), at most {int(widest['max_documents_in_a_period']):,} "
                  f"document(s) in any one {period}.")
    if len(unused):
        found.add("Never used in the dated documents: " + ", ".join(_quoted(_readable(term)) for term in unused["term"]) + ".")
    if leaders is not None and len(leaders) and not single:
        most = leaders["label"].value_counts()
        tied = int((most == most.iloc[0]).sum())
        if tied > 1:
            found.add(f"No single topic dominates: {tied} topics each lead {int(most.iloc[0]):,} of {len(leaders):,} {period}(s).")
        else:
            found.add(f"The topic leading the most {period}s is {_quoted(most.index[0])} ({int(most.iloc[0]):,} of {len(leaders):,}).")
    return found


def _language_findings(by_language: pd.DataFrame) -> list[str]:
    """The widest gap between languages, and the English rendering chosen for the formulation that gap concerns."""
    languages = sorted(set(by_language["language"]) - {"und"})
    if len(languages) < 2:
        return []
    shares = by_language.pivot(index="canonical", columns="language", values="share_documents").reindex(columns=languages).fillna(0.0)
    gaps = (shares.max(axis=1) - shares.min(axis=1)).sort_values(ascending=False, kind="stable")
    canonical = gaps.index[0]
    label = by_language.loc[by_language["canonical"] == canonical, "label"].iloc[0]
    parts = ", ".join(f"{shares.loc[canonical, language]:.0%} of {language} documents" for language in languages)
    sentences = [f"The languages differ most on {_quoted(_readable(canonical) if label is None else label)}: {parts}."]
    english = by_language[(by_language["canonical"] == canonical) & (by_language["language"] == "en")]
    if len(english):
        row = english.iloc[0]
        sentences.append(f"The English texts render it {_quoted(row['main_rendering'])} {row['main_rendering_share']:.0%} of the time"
                         + (f" (all renderings: {row['renderings']})." if row["main_rendering_share"] < 1 else "."))
    return sentences


def formulation_findings(
    found_formulations: pd.DataFrame,
    *,
    n_registered: int,
    n_documents: int,
    multi_rendered: int,
    key_terms: pd.DataFrame | None,
    target: str | None,
    cautions: Sequence[str] = (),
    by_language: pd.DataFrame | None = None,
) -> Findings:
    """Which formulations the corpus uses, in how many renderings, how the languages differ, and what sets a
    group apart.

    ``found_formulations`` takes ``canonical``, ``label``, ``documents``, ``occurrences`` (formulations that
    occur, most used first); ``key_terms`` takes ``term``, ``g2``, ``key_for``, ``df_target``, ``n_target`` (or is
    None); ``cautions`` are :func:`~corpus_utils.analysis.keyness.keyness_cautions` sentences; ``by_language``
    (optional) is :func:`~corpus_utils.analysis.formulations.formulations_by_language`.
    """
    found = Findings()
    if found_formulations.empty:
        found.add(f"None of the {n_registered} registered formulations occurs in the {n_documents:,} document(s); "
                  "the candidate lists show what the corpus repeats instead.")
    else:
        top = found_formulations.iloc[0]
        found.add(f"{len(found_formulations):,} of {n_registered} registered formulations occur. The most used is "
                  f"{_quoted(top['label'])}, in {int(top['documents']):,} of {n_documents:,} document(s) ({int(top['occurrences']):,} times).")
        ties = found_formulations[found_formulations["documents"] == top["documents"]]
        if len(ties) > 1:
            found.add(f"{len(ties):,} formulations tie at {int(top['documents']):,} document(s): their order is arbitrary.")
        found.add(f"{multi_rendered} formulation(s) appear in more than one rendering (translation or script): counting "
                  "renderings separately would split them.")
    if by_language is not None:
        for sentence in _language_findings(by_language):
            found.add(sentence)
    if key_terms is not None and len(key_terms):
        for_target = key_terms[key_terms["key_for"] == "target"]
        if len(for_target):
            first = for_target.iloc[0]
            tied = for_target[for_target["g2"].round(6) == round(float(first["g2"]), 6)]
            if len(tied) > 1:
                found.add(f"{len(tied):,} terms tie as the most characteristic of {target} (G2 {first['g2']:.2f}), e.g. "
                          + ", ".join(_quoted(_readable(term)) for term in tied["term"].head(3)) + ".")
            else:
                found.add(f"The term most characteristic of {target} is {_quoted(_readable(first['term']))} "
                          f"(G2 {first['g2']:.2f}, in {int(first['df_target']):,} of {int(first['n_target']):,} target documents).")
    for caution in cautions:
        found.add(f"Keyness caution: {caution}.")
    return found


def term_profile_findings(profile: TermProfile) -> Findings:
    """One term across the corpus: how often and how widely, its peak period, its renderings and first collocate.

    ``profile`` from :func:`corpus_utils.analysis.explore.term_profile`.
    """
    found = Findings()
    term = _quoted(_readable(profile.term))
    if profile.n_occurrences == 0:
        found.add(f"{term} does not occur in the {profile.n_documents:,} documents analysed.")
        return found
    using = profile.n_using
    found.add(f"{term} occurs {profile.n_occurrences:,} time(s), in {using:,} of {profile.n_documents:,} documents "
              f"({using / profile.n_documents:.0%})" + (": one document carries it, so it describes that text, not the corpus."
                                                         if using == 1 else "."))
    dated = profile.trend[profile.trend["n_documents"] > 0]
    if len(dated) > 1:
        peak = dated.loc[dated["per_1000_words"].idxmax()]
        thin = int(peak["n_documents"]) < THIN_GROUP
        found.add(f"Its rate peaks in {peak['period']} at {peak['per_1000_words']:.2f} per 1,000 words"
                  + (f", on {int(peak['n_documents'])} document(s): too few to call it a trend." if thin else
                     f" ({int(peak['n_documents'])} documents that period)."))
    renderings = profile.lines["rendering"].value_counts()
    if len(renderings) > 1:
        tied = [_quoted(name) for name, count in renderings.iloc[1:].items() if count == renderings.iloc[0]]
        found.add(f"It is written {len(renderings)} ways; the most common, {_quoted(renderings.index[0])}, in "
                  f"{renderings.iloc[0] / renderings.sum():.0%} of the lines" + (f", tied with {', '.join(tied)}." if tied else "."))
    if not profile.collocates.empty:
        first = profile.collocates.iloc[0]
        found.add(f"Its first collocate is {_quoted(first['collocate'])} ({first['observed']}× nearby, in {first['documents']} "
                  f"document(s))" + (", below the G2 of 10.83 that chance would reach 1 time in 1,000." if first["g2"] < 10.83 else "."))
    return found
