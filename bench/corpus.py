"""Generate realistic synthetic corpora of N pages from the seeds: same page layouts, Heaps-like growing vocabulary.

Sentences of the shipped seeds are recombined into new articles. Pinyin proper names, numbers and
about one content word in a hundred are replaced by draws from a growing stream of invented names
and words: a new type appears with probability ``K·β·n^(β-1)`` at the n-th draw, otherwise a
uniformly chosen earlier draw is repeated (rich get richer, so frequencies are Zipf-like). The
vocabulary therefore keeps growing with N as real text does (Heaps' law), instead of saturating at
the seeds' 2,000 words. About one long word in five is swapped for another seed word, so that
copies of a seed sentence differ as real sentences do (without it, every seed sentence would recur
thousands of times as a near-duplicate at N = 100,000, which no real site does).

Pages are rendered in the three families the loader knows: procuratorate pages (breadcrumb, section
line, title, ``Time: … Author: … News source: … [Font size: …`` header, numbered headings, blank
lines, credits), repost pages (meta block and summary twice, reporter line, footer chrome) and a few
plain pages. Dates are spread uniformly over 2015–2024. About 1 % of articles repeat an earlier
body (reposts), a few files use CRLF line ends or a UTF-8 byte-order mark.

Everything is deterministic from ``seed``, and the first ``n`` pages of a larger corpus are the
corpus of size ``n``. Cost: linear in N; about 10 s per 100,000 pages on one core.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PINYIN_WORD",
    "Page",
    "HeapsStream",
    "SeedMaterial",
    "load_seed_material",
    "generate_pages",
    "write_folder",
    "write_parquet",
    "write_corpus",
]

_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ue|ui|er|a|o|e|i|u)"
)
#: A capitalised word made of one to four pinyin syllables ("Suzhou", "Jinbin"): treated as a proper name.
PINYIN_WORD = re.compile(rf"(?:{_SYLLABLE}){{1,4}}", re.I)
_KEEP_NAMES = frozenset({"Xi", "Jinping", "China", "Chinese", "Anhui"})
#: English words that happen to spell pinyin ("Notice" = no-ti-ce) and occur capitalised in the seeds.
_NOT_NAMES = frozenset(
    "A I He We In On An No So To Do Me Ten Tan Long Hang Ran Bang Ban Men Pin Gang Fan Bin Sun Den Pen Hen Tie "
    "Bureau During Educating Era Going June Leading League Make Meeting Mobilize Notice Ode Pioneer Police Side "
    "Since Some Taking".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\"“(])")
_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"^(\d{1,3}(?:,\d{3})*|\d+)([%.,;:)]*)$")

_SYLLABLES = (
    "zhang wang li zhao liu chen yang huang zhou wu xu sun ma zhu hu guo he lin gao luo zheng liang xie song tang "
    "han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren shen yao jin "
    "fang qiu xia tan jia zou shi xiong meng qin yan hou bai hao kong kang mao qiu duan lei ling ming hua xin jun "
    "bo ning hong yun an ping qing rui yong chun mei lan xue wen"
).split()
_PREFIXES = ("", "re", "de", "inter", "counter", "multi", "sub", "over", "non", "pre", "co", "self-", "cross-", "anti", "trans")
_SUFFIXES = ("", "ization", "ness", "ment", "ity", "ism", "ist", "ive", "ing", "ed", "al", "ly", "ship", "wise")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_SECTIONS = (
    ("Party conduct and clean government construction", 5),
    ("Party building", 4),
    ("Procuratorial Highlights", 3),
    ("Procuratorial work", 3),
    ("Theme education", 2),
    ("Discipline inspection and supervision", 2),
    ("Public interest litigation", 1),
    ("Youth work", 1),
)
_SOURCES = ("", "", "", "People's Daily Online", "Procuratorial Daily", "Xinhua", "Legal Daily", "China Procuratorate Network")
_PLACE_KINDS = ("City", "County", "District", "Province")
_FOOTER = (
    "Scan the QR code to read on your phone",
    "Relevant information",
    "Time of issue : {related}",
    "OFFICIAL ACCOUNTS",
    "Welcome to follow our official public account",
    "ONLINE MESSAGE",
    "All rights reserved © {year} {place} Procuratorate Website: www.example.org ICP备{icp}号-1",
)


@dataclass(frozen=True)
class Page:
    """One generated page: its file name, the rendered page text, and the fields written to the Parquet table."""

    doc_id: str
    layout: str
    title: str
    date: dt.date
    section: str
    source: str
    paragraphs: tuple[str, ...]
    text: str
    newline: str = "\n"
    bom: bool = False

    @property
    def body(self) -> str:
        """The article paragraphs joined by a blank line (what the loader's ``body`` column holds)."""
        return "\n\n".join(self.paragraphs)

    def encoded(self) -> bytes:
        """The page file's bytes: UTF-8, with the page's line ends and optional byte-order mark."""
        text = self.text.replace("\n", self.newline) if self.newline != "\n" else self.text
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


class HeapsStream:
    """An endless stream of type ids whose number of distinct types grows like ``scale · n^beta``.

    At the n-th draw a new type is created with probability ``min(1, scale·beta·n^(beta-1))``;
    otherwise an earlier draw is repeated, chosen uniformly (so frequent types get more frequent).
    """

    def __init__(self, rng: random.Random, *, beta: float = 0.6, scale: float = 12.0) -> None:
        self.rng = rng
        self.beta = beta
        self.scale = scale
        self.history: list[int] = []
        self.n_types = 0

    def draw(self) -> int:
        """The next type id (0, 1, 2, … in order of first appearance)."""
        n = len(self.history) + 1
        if self.rng.random() < self.scale * self.beta * n ** (self.beta - 1.0):
            value = self.n_types
            self.n_types += 1
        else:
            value = self.history[int(self.rng.random() * len(self.history))]
        self.history.append(value)
        return value


def _scrambled(type_id: int, size: int) -> int:
    """A fixed permutation of ``range(size)`` applied to ``type_id % size``, plus the overflow above ``size``."""
    multiplier = 2654435761
    while math.gcd(multiplier, size) != 1:
        multiplier += 2
    return (type_id % size) * multiplier % size + (type_id // size) * size


def _pinyin_name(type_id: int) -> str:
    """A unique capitalised pinyin word of two or more syllables for ``type_id`` (``Xuefeng``, ``Tongling``)."""
    count = len(_SYLLABLES)
    number = _scrambled(type_id, count * count)
    parts = []
    while number or len(parts) < 2:
        number, digit = divmod(number, count)
        parts.append(_SYLLABLES[digit])
    return "".join(parts).capitalize()


def _invented_word(type_id: int, roots: tuple[str, ...]) -> str:
    """A unique English-looking lower-case word for ``type_id`` built from prefix + seed root + suffix."""
    size = len(_SUFFIXES) * len(roots) * len(_PREFIXES)
    number = _scrambled(type_id, size)
    number, suffix = divmod(number, len(_SUFFIXES))
    number, root = divmod(number, len(roots))
    rest, prefix = divmod(number, len(_PREFIXES))
    word = _PREFIXES[prefix] + roots[root] + _SUFFIXES[suffix]
    while rest:
        rest, digit = divmod(rest, len(_SYLLABLES))
        word += _SYLLABLES[digit]
    return word


@dataclass(frozen=True)
class _Template:
    """A seed sentence cut into literal parts and slots: ``("name", words, tail)``, ``("number", tail, is_year)``, ``("word", original)``."""

    parts: tuple[object, ...]
    n_words: int


@dataclass(frozen=True)
class SeedMaterial:
    """What the generator recombines: sentence templates per seed page, headings, title phrases and word roots."""

    themes: tuple[tuple[_Template, ...], ...]
    headings: tuple[str, ...]
    title_phrases: tuple[str, ...]
    roots: tuple[str, ...]


def _is_name(word: str, position: int) -> bool:
    core = word.strip(".,;:!?\"“”'’()")
    if core.endswith(("'s", "’s")):
        core = core[:-2]
    return (
        position > 0
        and core not in _KEEP_NAMES
        and core not in _NOT_NAMES
        and bool(PINYIN_WORD.fullmatch(core))
        and core[:1].isupper()
    )


def _template(sentence: str, rng: random.Random) -> _Template:
    words = _TOKEN.findall(sentence)
    parts: list[object] = []
    literal: list[str] = []
    index = 0

    def flush() -> None:
        if literal:
            parts.append(" ".join(literal) + " ")
            literal.clear()

    while index < len(words):
        word = words[index]
        if _is_name(word, index):
            run = 1
            while index + run < len(words) and _is_name(words[index + run], index + run) and run < 2:
                run += 1
            tail = re.sub(r"^.*?([.,;:!?\"“”'’()s]*)$", r"\1", words[index + run - 1]) if not words[index + run - 1][-1:].isalpha() else ""
            flush()
            parts.append(("name", run, tail))
            parts.append(" ")
            index += run
            continue
        number = _NUMBER.match(word)
        if number and index > 0:
            flush()
            parts.append(("number", number[2], bool(re.fullmatch(r"(?:19|20)\d\d", number[1]))))
            parts.append(" ")
        elif word.isalpha() and word.islower() and len(word) >= 5 and rng.random() < 0.6:
            flush()
            parts.append(("word", word))
            parts.append(" ")
        else:
            literal.append(word)
        index += 1
    flush()
    merged: list[object] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if merged and isinstance(merged[-1], str):
        merged[-1] = merged[-1].rstrip()
    return _Template(tuple(merged), len(words))


def load_seed_material(seeds_dir: Path | None = None) -> SeedMaterial:
    """Cut the seed pages (through the project's loader) into sentence templates, headings and title phrases."""
    from corpus_utils.input.load import read_corpus
    from corpus_utils.core.paths import SEEDS_DIR

    documents = read_corpus(seeds_dir or SEEDS_DIR).documents
    rng = random.Random(0)
    themes: list[tuple[_Template, ...]] = []
    headings: list[str] = []
    roots: set[str] = set()
    for body in documents["body"].astype(str):
        sentences: list[_Template] = []
        for paragraph in body.split("\n\n"):
            paragraph = re.sub(r"^\s*\d+、\s*", "", paragraph).strip()
            pieces = [piece.strip() for piece in _SENTENCE_END.split(paragraph) if piece.strip()]
            if len(pieces) == 1 and len(pieces[0].split()) <= 12:
                headings.append(pieces[0].rstrip("."))
                continue
            sentences.extend(_template(piece, rng) for piece in pieces if len(piece.split()) >= 4)
            roots.update(word for word in re.findall(r"\b[a-z]{5,9}\b", paragraph))
        themes.append(tuple(sentences))
    titles = [str(title) for title in documents["title"].astype(str)]
    phrases = sorted({phrase for phrase in headings if 3 <= len(phrase.split()) <= 12} | {t.split(": ", 1)[-1] for t in titles})
    return SeedMaterial(tuple(themes), tuple(sorted(set(headings))), tuple(phrases), tuple(sorted(roots)))


class _Filler:
    """Fills template slots from the Heaps streams."""

    def __init__(self, rng: random.Random, roots: tuple[str, ...]) -> None:
        self.rng = rng
        self.roots = roots
        self.names = HeapsStream(rng, beta=0.6, scale=25.0)
        self.words = HeapsStream(rng, beta=0.6, scale=30.0)

    def name(self, words: int = 1) -> str:
        first = _pinyin_name(self.names.draw())
        if words == 1:
            return first
        return first + " " + _pinyin_name(self.names.draw())

    def person(self) -> str:
        return self.name(2)

    def place(self) -> str:
        return f"{self.name(1)} {self.rng.choice(_PLACE_KINDS)}"

    def sentence(self, template: _Template) -> str:
        rng = self.rng
        out: list[str] = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] == "name":
                out.append(self.name(part[1]) + part[2])
            elif part[0] == "number":
                value = str(rng.randint(2015, 2024)) if part[2] else str(int(10 ** (rng.random() * 4)))
                out.append(value + part[1])
            else:
                roll = rng.random()
                if roll < 0.06:
                    out.append(_invented_word(self.words.draw(), self.roots))
                elif roll < 0.4:
                    out.append(self.roots[int(rng.random() * len(self.roots))])  # another seed word
                else:
                    out.append(part[1])
        return "".join(out)


def _weighted_choice(rng: random.Random, items: tuple, cumulative: list[float]):
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _date_text(date: dt.date, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.8:
        return f"{_MONTHS[date.month - 1]} {date.day}, {date.year}"
    if roll < 0.95:
        return f"{date.isoformat()} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return f"{date.day} {_MONTHS[date.month - 1][:3]} {date.year}"


def _render_procuratorate(page: dict, fill: _Filler, rng: random.Random) -> str:
    lines = []
    if rng.random() < 0.15:
        lines.append(f"Current location: home page >> {page['section']}")
    lines += [page["section"], page["title"]]
    author = fill.person() if rng.random() < 0.3 else ""
    lines.append(f"Time: {_date_text(page['date'], rng)} Author: {author} News source: {page['source']} [Font size: large | in | Small")
    lines.append("")
    for paragraph in page["paragraphs"]:
        if paragraph in page["headings"]:
            lines.append(f"   {paragraph}  ")
        else:
            lines.append(("   " if rng.random() < 0.5 else "") + paragraph)
        lines.extend([""] * (1 + (rng.random() < 0.2) * rng.randint(1, 12)))
    for label in ("Planning/review", "Editor", "Picture"):
        if rng.random() < 0.5:
            lines += [f"{label}: {fill.person()}", ""]
    return "\n".join(lines) + "\n"


def _render_repost(page: dict, fill: _Filler, rng: random.Random) -> str:
    meta = [
        f"- Categories:{page['section']}",
        f"- Author:{fill.person() if rng.random() < 0.2 else ''}",
        f"- Origin:{page['source'] or 'People' + chr(39) + 's Daily Online'}",
        f"- Time of issue:{page['date'].isoformat()}",
        f"- Views:{rng.randint(0, 5000)}",
    ]
    summary = f"(Summary description){page['paragraphs'][0]}"
    lines = [page["title"], *meta, summary, page["title"], summary, *meta, *page["paragraphs"]]
    reporters = ", ".join(fill.person() for _ in range(rng.randint(1, 4)))
    lines.append(f"(Reporters {reporters})")
    lines.append(f'"People\'s Daily" ({_MONTHS[page["date"].month - 1]} {page["date"].day:02d}, {page["date"].year} {rng.randint(1, 20):02d} edition)')
    related = f"{page['date'].isoformat()} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}:00"
    footer = [line.format(related=related, year=page["date"].year, place=fill.name(1), icp=rng.randint(10**9, 10**10 - 1)) for line in _FOOTER]
    return "\n".join(lines + footer) + "\n"


def _render_plain(page: dict, fill: _Filler, rng: random.Random) -> str:
    return page["title"] + "\n\n" + "\n\n".join(page["paragraphs"]) + "\n"


def generate_pages(n: int, *, seed: int = 42, material: SeedMaterial | None = None) -> Iterator[Page]:
    """Yield ``n`` synthetic pages, deterministic from ``seed``; the first k pages do not depend on ``n``.

    Articles have a lognormal number of sentences (median 12, about 450 words on average), 75 % of
    them from one seed page's sentences (its theme) and the rest from any; layouts are 72 %
    procuratorate, 24 % repost, 4 % plain. Cost: O(total words).
    """
    if n < 0:
        raise ValueError(f"n must be ≥ 0, got {n}")
    material = material or load_seed_material()
    rng = random.Random(seed)
    fill = _Filler(rng, material.roots)
    all_sentences = tuple(itertools.chain.from_iterable(material.themes))
    theme_weights = list(itertools.accumulate(math.sqrt(len(theme)) for theme in material.themes))
    section_weights = list(itertools.accumulate(weight for _, weight in _SECTIONS))
    sections = tuple(name for name, _ in _SECTIONS)
    first_day, n_days = dt.date(2015, 1, 1).toordinal(), (dt.date(2024, 12, 31) - dt.date(2015, 1, 1)).days + 1
    recent_bodies: list[tuple[str, ...]] = []
    for index in range(n):
        theme = _weighted_choice(rng, material.themes, theme_weights)
        if recent_bodies and rng.random() < 0.01:
            paragraphs = recent_bodies[int(rng.random() * len(recent_bodies))]
            headings: set[str] = set()
        else:
            n_sentences = max(1, min(160, int(math.exp(rng.gauss(math.log(9), 0.7)))))
            paragraphs_list: list[str] = []
            headings = set()
            remaining = n_sentences
            while remaining > 0:
                if paragraphs_list and rng.random() < 0.12:
                    words = fill.sentence(rng.choice(theme)).rstrip(".;").split()  # a heading: a sentence's opening
                    heading = f"{len(headings) + 1}、 {' '.join(words[: rng.randint(5, 12)])}"
                    paragraphs_list.append(heading)
                    headings.add(heading)
                size = min(remaining, rng.randint(1, 5))
                sentences = [fill.sentence(rng.choice(theme) if rng.random() < 0.75 else rng.choice(all_sentences)) for _ in range(size)]
                paragraphs_list.append(" ".join(sentences))
                remaining -= size
            paragraphs = tuple(paragraphs_list)
            recent_bodies.append(paragraphs)
            if len(recent_bodies) > 500:
                recent_bodies.pop(0)
        date = dt.date.fromordinal(first_day + int(rng.random() * n_days))
        title_roll = rng.random()
        phrase = rng.choice(material.title_phrases)
        title = f"{fill.name(1)}: {phrase}" if title_roll < 0.5 else (f"{fill.place()} Procuratorate: {phrase}" if title_roll < 0.7 else phrase)
        page = {
            "title": title,
            "date": date,
            "section": _weighted_choice(rng, sections, section_weights),
            "source": rng.choice(_SOURCES),
            "paragraphs": paragraphs,
            "headings": headings,
        }
        layout_roll = rng.random()
        if layout_roll < 0.72:
            layout, text = "procuratorate", _render_procuratorate(page, fill, rng)
        elif layout_roll < 0.96:
            layout, text = "repost", _render_repost(page, fill, rng)
        else:
            layout, text = "plain", _render_plain(page, fill, rng)
        digest = hashlib.sha1(f"{seed}:{index}".encode()).hexdigest()[:16]
        yield Page(
            doc_id=f"{index:06d}_{digest}",
            layout=layout,
            title=title,
            date=date,
            section=page["section"] if layout != "plain" else "",
            source=page["source"],
            paragraphs=paragraphs,
            text=text,
            newline="\r\n" if rng.random() < 0.002 else "\n",
            bom=rng.random() < 0.002,
        )


def write_folder(pages: Iterable[Page], folder: Path) -> int:
    """Write each page as ``<doc_id>.txt`` into ``folder`` (created); return the number of files written."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in pages:
        (folder / f"{page.doc_id}.txt").write_bytes(page.encoded())
        count += 1
    return count


def write_corpus(n: int, folder: Path, parquet: Path, *, seed: int = 42,
                 generate: Callable[..., Iterator[Page]] | None = None) -> int:
    """Generate ``n`` pages once and write them both as a folder of files and as one Parquet table; ``generate``
    makes the pages (default :func:`generate_pages`; :func:`bench.corpus_zh.generate_pages_zh` for Chinese)."""

    def pages_also_to_folder() -> Iterator[Page]:
        folder.mkdir(parents=True, exist_ok=True)
        for page in (generate or generate_pages)(n, seed=seed):
            (folder / f"{page.doc_id}.txt").write_bytes(page.encoded())
            yield page

    return write_parquet(pages_also_to_folder(), parquet)


def write_parquet(pages: Iterable[Page], target: Path, *, row_group: int = 10_000) -> int:
    """Write pages as one Parquet table (columns doc_id, title, date, section, source, body), streaming row groups.

    ``body`` is what the loader reads from the page file; plain pages (no header) have no date or section.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [("doc_id", pa.string()), ("title", pa.string()), ("date", pa.timestamp("ns")), ("section", pa.string()),
         ("source", pa.string()), ("body", pa.string())]
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in itertools.batched(pages, row_group) if hasattr(itertools, "batched") else _batched(pages, row_group):
            columns = {
                "doc_id": [page.doc_id for page in batch],
                "title": [page.title for page in batch],
                "date": [None if page.layout == "plain" else dt.datetime.combine(page.date, dt.time()) for page in batch],
                "section": [page.section or None for page in batch],
                "source": [page.source or None for page in batch],
                "body": [page.body for page in batch],
            }
            writer.write_table(pa.table(columns, schema=schema))
            count += len(batch)
    return count


def _batched(items: Iterable[Page], size: int) -> Iterator[tuple[Page, ...]]:
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch
