"""The parts search language against a real design file (no Qt)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from twin.store.queries import DesignQueries
from twin.errors import TwinError
from twin.store.search import parse_terms


@pytest.fixture(scope="module")
def rows(hall_db):
    with sqlite3.connect(hall_db) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT p.id, p.name, p.serial, t.kind, t.vendor, r.name FROM parts p "
            "JOIN part_types t ON t.id = p.part_type_id LEFT JOIN racks r ON r.id = p.rack_id")}


@pytest.fixture(scope="module")
def queries(hall_db):
    q = DesignQueries(hall_db)
    yield q
    q.close()


def names(queries, rows, text: str) -> list[str]:
    return [rows[int(i)][0] for i in queries.search_part_ids(text)]


def test_free_text_matches_names_whole_and_never_inside_serials(queries, rows):
    in_serial = [v[0] for v in rows.values() if "dac" in v[1].lower()]
    assert in_serial, "the demo has serials with DAC in them"
    assert names(queries, rows, "dac") == []
    assert sorted(names(queries, rows, "serial:dac")) == sorted(in_serial)
    c02 = names(queries, rows, "C02")
    assert c02 and all(n.startswith("C02-") for n in c02)
    assert "B05-U36" not in c02                       # its serial holds C02; its name does not
    assert names(queries, rows, "name:B05-U36") == ["B05-U36"]
    assert names(queries, rows, "name:b05-u3") == []  # a name field matches the whole name
    assert set(names(queries, rows, "name:B05-U3*")) == {v[0] for v in rows.values() if v[0].startswith("B05-U3")}


def test_field_prefixes_and_terms_combine(queries, rows):
    found = [rows[int(i)] for i in queries.search_part_ids("rack:C02 kind:compute")]
    assert found and all(r[4] == "C02" and "compute" in r[2] for r in found)
    vendor = {rows[int(i)][3] for i in queries.search_part_ids('vendor:"lite-on"')}
    assert vendor == {"Lite-On"}
    assert len(queries.search_part_ids("rack:C02")) == sum(v[4] == "C02" for v in rows.values())


def test_bad_queries_get_one_clear_message(queries):
    with pytest.raises(TwinError, match="over the limit"):
        queries.search_part_ids("%" * 25_000)
    with pytest.raises(TwinError, match="unknown search field 'colour'"):
        queries.search_part_ids("colour:red")
    assert len(queries.search_part_ids("'; drop table parts; --")) == 0
    assert len(queries.search_part_ids("50%")) == 0          # % means itself, not "anything"
    assert isinstance(queries.search_part_ids("   "), np.ndarray)
    assert parse_terms("O'Brien rack:A01") == [(None, "O'Brien"), ("rack", "A01")]
