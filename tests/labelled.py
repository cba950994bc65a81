"""A labelled news corpus with known classes, hard enough to separate clustering methods.

Real news text is hard to cluster because most of its words say nothing about the class: reporting verbs
("said"), corpus-generic words ("year", "people", "government"), numbers, and names that occur in one
article only. Classes also overlap (a court case about a football club, a market report on a heatwave).
:func:`labelled_news` writes articles with those properties from five themes, undated and without any
registered formulation, so a test knows the true class of every document:

- each article draws about 35 % of its content words from its theme (Zipf-weighted, so a few theme
  words are common and most are rare), 10 % from one other theme, and the rest from a shared generic
  vocabulary, one-off names and numbers;
- lengths run from about 60 to 500 words in 2–6 paragraphs; class sizes are unequal (largest ≈ 2.5 × smallest).

Average-linkage clustering on cosine distance chains such articles into one big cluster; k-means and Ward
linkage on a reduced representation recover the classes (the thresholds are in ``tests/test_clusters_labelled.py``).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd

THEMES: dict[str, str] = {
    "courts": (
        "court judge trial prosecutor defendant jury verdict sentence prison appeal lawyer charges guilty "
        "fraud murder police arrest investigation evidence witness testimony bail hearing conviction judges "
        "attorney crime criminal case lawsuit ruling magistrate custody detective suspect robbery theft "
        "acquitted plea indictment inquest justice tribunal offender probation parole courtroom barrister"
    ),
    "markets": (
        "shares market investors stocks profit revenue bank prices inflation economy growth quarter earnings "
        "dividend bonds currency dollar interest rates trading index exports imports shareholders merger "
        "acquisition company firm chief executive sales forecast analysts recession tariffs oil commodity "
        "lending mortgage debt budget deficit valuation fund portfolio equity"
    ),
    "sport": (
        "match goal team season coach players league championship victory defeat striker midfielder "
        "tournament final cup score fans stadium injury transfer club captain referee penalty draw win "
        "squad goalkeeper olympic medal race athlete sprint record tennis cricket rugby innings wicket "
        "serve set fixture kickoff halftime"
    ),
    "health": (
        "hospital patients doctors nurses disease vaccine virus treatment clinic health cancer study "
        "researchers trial drug infection symptoms care surgery medical diagnosis outbreak pandemic "
        "ward therapy medicine pharmacy epidemic antibiotics immunity screening obesity diabetes "
        "mental wellbeing physician prescriptions ambulance emergency"
    ),
    "climate": (
        "climate emissions carbon warming temperatures flooding drought rainfall storm wildfire energy "
        "renewable solar wind turbines coal pollution species wildlife forest conservation glacier "
        "sea levels environment scientists weather heatwave hurricane biodiversity recycling plastic "
        "ocean ecosystem habitat deforestation methane"
    ),
    "politics": (
        "election vote voters parliament party candidate campaign polls senator minister opposition coalition "
        "ballot referendum mayor legislation bill constituency lawmakers senate congress debate manifesto "
        "democrats conservatives liberal cabinet prime governor primary turnout majority seats incumbent "
        "lobby reform veto"
    ),
    "technology": (
        "software internet computer users app smartphone data online digital technology google apple "
        "microsoft startup platform chip device network cyber security hackers broadband streaming website "
        "algorithm robot artificial intelligence cloud gadget silicon programmer download browser encryption "
        "laptop battery wireless"
    ),
    "education": (
        "school pupils teachers students university exam education classroom curriculum college degree "
        "tuition headteacher grades lessons graduates campus academic scholarship literacy primary secondary "
        "kindergarten lecture professor semester homework admissions diploma undergraduate enrolment "
        "textbook apprenticeship vocational"
    ),
}

GENERIC = (
    "said year people government new time week told report city country last first month officials "
    "according statement local national public spokesman added percent number million day years "
    "including plans group members part news including recent since during announced expected former "
    "president minister council community service state area region issue change support called"
)

FUNCTION = "the a of to and in that is was for on with as by at from it this be has have were which their its an are"

_SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vor", "sha", "bel", "dun", "fi", "gor", "hal", "jen", "kri", "mont", "nes")


def _zipf_weights(size: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _invented(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct invented lower-case words: the long tail of a real vocabulary."""
    words: dict[str, None] = {}
    while len(words) < count:
        words["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def _sentence(rng: random.Random, np_rng: np.random.Generator, words: list[str]) -> str:
    out: list[str] = []
    function = FUNCTION.split()
    for word in words:
        if rng.random() < 0.8:
            out.append(rng.choice(function))
        out.append(word)
    text = " ".join(out)
    return text[0].upper() + text[1:] + "."


def labelled_news(
    n_documents: int = 600, *, n_classes: int = 5, seed: int = 0, theme_share: float = 0.3, other_share: float = 0.1
) -> pd.DataFrame:
    """``n_documents`` undated news articles in ``n_classes`` classes (2 … 8).

    Returns
    -------
    pandas.DataFrame
        Columns ``title``, ``body`` (paragraphs separated by blank lines), ``label`` (the true class).
    """
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    themes = {name: words.split() + _invented(rng, 150) for name, words in list(THEMES.items())[:n_classes]}
    names = list(themes)
    generic = GENERIC.split() + _invented(rng, 1500)
    theme_weights = {name: _zipf_weights(len(words), 0.9) for name, words in themes.items()}
    generic_weights = _zipf_weights(len(generic), 1.0)
    class_weights = np.linspace(2.5, 1.0, n_classes)
    classes = np_rng.choice(len(names), size=n_documents, p=class_weights / class_weights.sum())
    rows = []
    for number, class_index in enumerate(classes):
        theme = names[class_index]
        other = names[(class_index + 1 + np_rng.integers(len(names) - 1)) % len(names)]
        people = [_name(rng) + " " + _name(rng) for _ in range(rng.randint(1, 4))]
        places = [_name(rng) for _ in range(rng.randint(1, 3))]
        n_paragraphs = rng.randint(2, 6)
        paragraphs = []
        for _ in range(n_paragraphs):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                words = []
                for _ in range(rng.randint(5, 12)):
                    draw = rng.random()
                    if draw < theme_share:
                        vocabulary = themes[theme]
                        words.append(vocabulary[np_rng.choice(len(vocabulary), p=theme_weights[theme])])
                    elif draw < theme_share + other_share:
                        vocabulary = themes[other]
                        words.append(vocabulary[np_rng.choice(len(vocabulary), p=theme_weights[other])])
                    elif draw < 0.88:
                        words.append(generic[np_rng.choice(len(generic), p=generic_weights)])
                    elif draw < 0.95:
                        words.append(rng.choice(people + places))
                    else:
                        words.append(str(rng.choice([1, 2, 3, 10, 12, 20, 100, 2019, 2020, 2021])))
                sentences.append(_sentence(rng, np_rng, words))
            paragraphs.append(" ".join(sentences))
        title = f"{places[0]} {rng.choice(themes[theme][:12])} {rng.choice(generic[:20])} {number}"
        rows.append({"title": title, "body": "\n\n".join(paragraphs), "label": theme})
    return pd.DataFrame(rows)


def write_labelled_news(target: Path, n_documents: int = 600, *, seed: int = 0) -> pd.DataFrame:
    """Write :func:`labelled_news` to ``target`` (CSV, columns ``title``, ``body``, ``label``); return the table."""
    table = labelled_news(n_documents, seed=seed)
    table.to_csv(target, index=False)
    return table
