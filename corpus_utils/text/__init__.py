"""Text layer, documents → tokens: the one :class:`~corpus_utils.text.tokenizer.Tokenizer`, phrase matching,
the formulation registry, the machine-translation variant table, stop lists and vectorisers.

Imports only :mod:`corpus_utils.core`.
"""
