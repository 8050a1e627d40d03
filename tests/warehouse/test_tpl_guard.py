"""The 3PL channel's guard of read documents (``distribution_3pl/tpl/guard.py``)
and the JSON event reader's refusals of what the database cannot store."""

import http.server
import json
import sys
import threading

import pytest
from conftest import ROOT

for addon in ("distribution_3pl", "distribution_integration_base"):
    path = ROOT / "addons" / addon
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from kernel.transports import HttpTransport  # noqa: E402
from tpl.guard import document_problem  # noqa: E402
from tpl.json_client import EventError, JsonWarehouseClient, read_event  # noqa: E402


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


class _Answers(http.server.BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "body",
    [
        b'{"events": [], "last": 1e400}',
        b'{"events": [], "last": 99999999999999}',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_an_events_answer_that_cannot_be_stored_is_an_event_error(body):
    _Answers.body = body
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = JsonWarehouseClient(
        HttpTransport(f"http://127.0.0.1:{server.server_port}", timeout=(2.0, 5.0))
    )
    try:
        with pytest.raises(EventError):
            client.events(0)
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_json_flags_sent_as_text_read_as_they_say():
    from edi import warehouse
    from edi.documents import DocumentError

    advice = {"order_number": "WH/OUT/1", "shipment_id": "S1", "packages": []}
    for value, expected in (("false", False), ("0", False), ("true", True), (1, True)):
        read = warehouse.read_warehouse_json(
            "shipping_advice", {**advice, "partial": value}
        )
        assert read["partial"] is expected
    receipt = {"receipt_number": "R1", "order_number": "WH/IN/1", "return": "false"}
    assert warehouse.read_warehouse_json("receipt_advice", receipt)["return"] is False
    with pytest.raises(DocumentError, match="partial"):
        warehouse.read_warehouse_json("shipping_advice", {**advice, "partial": "maybe"})
