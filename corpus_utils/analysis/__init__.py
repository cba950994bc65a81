"""Analysis layer, tokens → tables: terms, KWIC, similarity, topics, clusters, periods and timeline, keyness,
formulations, co-occurrence, boilerplate and the corpus overview.

Each function takes the loader's DataFrames (or a sparse matrix) and a
:class:`~corpus_utils.text.tokenizer.Tokenizer`, and returns DataFrames. Imports core, input and text.
"""
