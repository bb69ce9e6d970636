"""Headless exports of a design: images now; glTF/GLB, OpenUSD and reports later.

Nothing here imports Qt: exports run in CI with no display.
"""
