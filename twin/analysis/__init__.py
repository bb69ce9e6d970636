"""Design analyses on the model's arrays: numpy only, no VTK, no Qt.

Each analysis takes a `Design` and returns per-part (or per-cable) values plus findings.
"""
