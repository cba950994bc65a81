"""Planted boilerplate for the join's tests: templates, dated footers, shared sentences and mutated copies."""

from __future__ import annotations

import random

import pandas as pd

VOCABULARY = [f"w{index}" for index in range(400)]
CITIES = ["Suzhou", "Hefei", "Bozhou", "Tongling", "Wuhu", "Anqing", "Chuzhou", "Huainan"]


def random_text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def dated(template: str, rng: random.Random) -> str:
    date = f"{rng.randrange(2015, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return f"Published {date} in {rng.choice(CITIES)}. {template} Editor {rng.choice(VOCABULARY)}."


def mutated(text: str, rng: random.Random, edits: int) -> str:
    words = text.split(" ")
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
    return " ".join(words)


def planted_corpus(seed: int, n_documents: int = 240) -> pd.DataFrame:
    rng = random.Random(seed)
    footers = [random_text(rng, words) for words in (25, 60, 150)]
    sentences = [random_text(rng, 12) + "." for _ in range(30)]
    articles = [random_text(rng, rng.randrange(20, 80)) for _ in range(20)]
    rows = []
    for index in range(n_documents):
        paragraphs = [" ".join(rng.sample(sentences, rng.randrange(3, 8)))]  # shared sentences: big LSH buckets
        paragraphs.append(mutated(rng.choice(articles), rng, rng.randrange(0, 6)))
        if rng.random() < 0.8:
            paragraphs.append(dated(rng.choice(footers), rng))
        if rng.random() < 0.1:
            paragraphs.append(paragraphs[0])  # a repeat inside one document
        if rng.random() < 0.2:
            paragraphs.append("Short line " + str(index))
        rows.append({"doc_id": f"d{index:04d}", "body": "\n\n".join(paragraphs)})
    return pd.DataFrame(rows)
