"""Part keys (twin.model.keys): the first of a name is the name, its k-th repeat `name#k`, in row
order; viewpoints and BCF GUIDs both come from them. Expectation by a plain count here."""

from __future__ import annotations

import numpy as np

from twin.model.keys import repeat_counted
from twin.store.bcf_guid import part_guid, part_guids


def _by_hand(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def test_repeats_are_counted_in_row_order():
    rng = np.random.default_rng(3)
    names = [f"PDU-{c}" for c in rng.choice(list("ABCDEFGH"), 500)] + ["", "x#2", "x", "x"]
    assert repeat_counted(names) == _by_hand(names)
    assert repeat_counted(np.array(names, dtype=object)) == _by_hand(names)
    assert repeat_counted([]) == []


def test_bcf_guids_are_the_guids_of_those_keys():
    names = ["PDU-A", "PDU-B", "PDU-A"]
    assert part_guids(names) == [part_guid("PDU-A"), part_guid("PDU-B"), part_guid("PDU-A#2")]
