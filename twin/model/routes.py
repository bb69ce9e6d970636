"""How a cable's route is stored: its status code and the `route` column's tray-id text.

Why in the model: the generator writes routes (`twin.geometry.routing`), the store reads them
back into a `Design`, and the exports write them out again; the stored form is the model's
business, so the store need not import the geometry that computes routes.
"""

from __future__ import annotations

import numpy as np

#: Route status per cable.
LOCAL, TRAYS, DIRECT, NO_PATH, UNROUTED = 0, 1, 2, 3, 4
STATUS_NAMES = ("inside its rack", "through trays", "direct (no trays)", "direct (no tray path)", "not routed")
#: How each status is stored in `cables.route_status`.
STATUS_CODES = ("rack", "trays", "direct", "no-tray-path", "unrouted")


def path_texts(paths: list[tuple[int, ...]], path: np.ndarray, tray_ids: np.ndarray) -> np.ndarray:
    """Each cable's tray path as stored in the `route` column: tray ids, space-separated.

    `paths` are the distinct tray paths (tuples of tray rows), `path` each cable's index into
    them (-1: no trays), `tray_ids` the trays' database ids by row."""
    texts = np.array([" ".join(str(int(tray_ids[t])) for t in p) for p in paths] + [""], dtype=object)
    return texts[np.where(path >= 0, path, len(paths))]


def parse_route_texts(texts: np.ndarray, tray_ids: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]], list[str]]:
    """Stored `route` texts → (path index per cable, -1 for none; distinct paths as tray rows; problems).

    Parsed once per distinct text, so 300,000 cables over a few hundred trays cost one unique().
    """
    uniq, inverse = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
    order = np.argsort(tray_ids)
    sorted_ids = np.asarray(tray_ids)[order]
    paths: list[tuple[int, ...]] = []
    code = np.full(len(uniq), -1, np.int64)
    problems = []
    for u, text in enumerate(uniq.tolist()):
        if not text.strip():
            continue
        rows = []
        for token in text.replace(",", " ").split():
            try:
                tid = int(token)
            except ValueError:
                problems.append(f"route {text!r}: {token!r} is not a tray id")
                continue
            pos = np.searchsorted(sorted_ids, tid)
            if pos < len(sorted_ids) and sorted_ids[pos] == tid:
                rows.append(int(order[pos]))
            else:
                problems.append(f"route {text!r}: no tray with id {tid}")
        if rows:
            code[u] = len(paths)
            paths.append(tuple(rows))
    return code[inverse.reshape(-1)], paths, problems
