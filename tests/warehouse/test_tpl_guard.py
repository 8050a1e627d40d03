"""The 3PL channel's guard of read documents (``distribution_3pl/tpl/guard.py``)
and the JSON event reader's refusals of what the database cannot store."""

import json
import sys

import pytest
from conftest import ROOT

path = ROOT / "addons" / "distribution_3pl"
if str(path) not in sys.path:
    sys.path.insert(0, str(path))

from tpl.guard import document_problem  # noqa: E402
from tpl.json_client import EventError, read_event  # noqa: E402


def test_a_plain_document_has_no_problem():
    document = {"order_number": "WH/OUT/1", "lines": [{"quantity": "5", "lots": []}]}
    assert document_problem(document) is None


@pytest.mark.parametrize(
    "document, where",
    [
        ({"order_number": "WH/OUT/1\x00"}, "document.order_number"),
        ({"lines": [{"lot": "L\x00"}]}, "document.lines[0].lot"),
        ({"lines": [{"shipped_quantity": "1e400"}]}, "shipped_quantity"),
        ({"items": [{"quantity": "-1E+13"}]}, "document.items[0].quantity"),
        ({"items": [{"quantity": 1e15}]}, "quantity"),
    ],
)
def test_nul_characters_and_impossible_quantities_are_named(document, where):
    assert where in document_problem(document)


def test_a_quantity_that_is_no_number_is_left_to_the_applier():
    for value in ("two", "NaN", "Infinity"):
        assert document_problem({"lines": [{"quantity": value}]}) is None


def test_events_the_database_cannot_key_are_refused():
    with pytest.raises(EventError, match="nested too deep"):
        read_event(b"[" * 100000 + b"]" * 100000)
    with pytest.raises(EventError, match="NUL"):
        read_event(json.dumps({"id": "e\x00", "type": "shipment.confirmed"}))
