"""Stable keys for rows that are named but may share a name: the name, a repeat counted.

Why one home: a viewpoint names the parts it selects, hides or traces (twin.viewpoint), and a
BCF export gives each part an IFC GUID made from its key (twin.store.bcf_guid); both must tell
two parts called "PDU-A" apart the same way, or a viewpoint exported to BCF and read back
would point at the wrong one. Row order decides: the first "PDU-A" is `PDU-A`, the second
`PDU-A#2`. Vectorised: a campus has 218,621 parts, few of them repeats.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


def repeat_counted(names: Iterable[object]) -> list[str]:
    """Each name as a key, in order: a name met before gets `#k` for its k-th occurrence."""
    text = np.array([str(n) for n in names], dtype=object) if not isinstance(names, np.ndarray) \
        else np.asarray(names).astype(str).astype(object)
    if not len(text):
        return []
    _, first, inverse = np.unique(text.astype(str), return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")             # rows grouped by name, row order kept inside
    grouped = inverse[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    rank = np.empty(len(text), np.int64)
    rank[order] = np.arange(len(text)) - np.repeat(starts, np.diff(np.r_[starts, len(text)]))
    out = text.copy()
    for i in np.flatnonzero(rank > 0).tolist():
        out[i] = f"{text[i]}#{rank[i] + 1}"
    return out.tolist()
