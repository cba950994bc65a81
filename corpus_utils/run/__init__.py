"""Run layer, the roof: notebook parameters and their rules, the papermill runner, the command line.

Only this layer knows that notebooks exist.
"""
