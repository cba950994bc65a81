"""Report layer: the figure style and the helpers that save every figure and table with its data, the plots the
notebooks draw, notebook tables, HTML export and the index page.

Takes DataFrames, returns figures and files. Imports core and, for labels and periods, the analysis layer.
"""
