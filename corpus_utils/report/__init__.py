"""Report layer: the figure style and helper that saves every figure with its data, plot helpers, HTML export.

Takes DataFrames, returns figures and files. Imports core only (and the analysis layer's labels).
"""
