"""Headless exports of a design: images and image batches, GLB, OpenUSD, the HTML review
report and CSV tables (`twin export …` and `twin.open(...)`).

Nothing here imports Qt: exports run in CI with no display. Every file is written through
`twin.files` (a temp file beside the target, then a rename).
"""
