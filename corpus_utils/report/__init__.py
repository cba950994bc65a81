"""Report layer: the figure style and the helpers that save every figure and table with its data, notebook
tables, HTML export and the index page.

Takes DataFrames, returns figures and files. Imports only :mod:`corpus_utils.core`.
"""
