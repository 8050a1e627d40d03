"""The 3PL channel's JSON API client (``distribution_3pl/tpl/json_client.py``)
against the sandbox warehouse over real HTTP on 127.0.0.1, through the kernel's
HTTP transport and error rule; and the codec's JSON reader, checked against the
sandbox's own X12 for the same confirmation (two independent writers)."""

import sys
from decimal import Decimal

import pytest
from conftest import ROOT
from edi import warehouse
from edi.documents import DocumentError
from edi.reader import read

from sandbox.warehouse_3pl import SANDBOX_API_KEY, SandboxWarehouseServer
from sandbox.warehouse_3pl import x12 as sandbox_x12
from sandbox.warehouse_3pl.warehouse import X12_BODIES

for addon in ("distribution_3pl", "distribution_integration_base"):
    path = ROOT / "addons" / addon
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from kernel import errors, signatures  # noqa: E402
from kernel.transports import HttpTransport  # noqa: E402
from tpl.json_client import (  # noqa: E402
    EVENT_KINDS,
    EventError,
    JsonWarehouseClient,
    read_event,
)

NUMBER = "WH/OUT/00042"


def _order(number=NUMBER, purpose="original", quantity="5", item="PANEL-A3"):
    return {
        "number": number,
        "purpose": purpose,
        "po_number": "S00042",
        "ship_to": {"name": "Harbour Hardware", "city": "Columbus", "country": "US"},
        "carrier": {"service": "GROUND"},
        "lines": [
            {"line_id": "17", "item": item, "gtin": "", "quantity": quantity,
             "uom": "EA", "lots": []},
        ],
    }  # fmt: skip


@pytest.fixture
def api(sandbox):
    client = JsonWarehouseClient(
        HttpTransport(sandbox.url, timeout=(2.0, 5.0)),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
        check=errors.error_for_response,
    )
    yield client
    client.close()


def kernel_error(call, *args):
    with pytest.raises(Exception) as caught:
        call(*args)
    return errors.classify_exception(caught.value)


def test_kinds_are_the_codecs():
    assert set(EVENT_KINDS.values()) == {
        warehouse.SHIPPING_ADVICE,
        warehouse.RECEIPT_ADVICE,
        warehouse.INVENTORY_ADVICE,
        warehouse.INVENTORY_ADJUSTMENT,
    }


def test_an_order_is_created_once_replaced_and_cancelled(api, sandbox):
    reference, answer = api.release(_order())
    assert reference == f"{NUMBER}@r1"
    assert b'"status": "open"' in answer
    api.release(_order())  # a retry after a lost answer: no second order
    assert len(sandbox.warehouse.orders) == 1
    reference, _answer = api.release(_order(purpose="replace", quantity="7"))
    assert reference == f"{NUMBER}@r2"
    order = api.order(NUMBER)  # the number's slashes travel encoded
    assert order["lines"][0]["quantity"] == "7"
    api.release(_order(purpose="cancel"))
    assert api.order(NUMBER)["status"] == "cancelled"


def test_changes_after_shipping_are_refused_clearly(api, sandbox):
    api.release(_order())
    # Other content under a number the warehouse holds: refused, not retried.
    other = kernel_error(api.release, _order(quantity="9"))
    assert not other.transient and "other content" in str(other)
    sandbox.warehouse.ship(NUMBER)
    for purpose in ("cancel", "replace"):
        error = kernel_error(api.release, _order(purpose=purpose))
        assert isinstance(error, errors.PermanentError)
        assert error.category == "business_rule"
        assert "already shipped" in str(error)
        assert "can no longer be changed or cancelled" in str(error)
        assert str(error).count(NUMBER) == 1, str(error)


def test_failures_follow_the_kernels_rule(api, sandbox):
    sandbox.warehouse.behaviours["down"] = True
    down = kernel_error(api.release, _order())
    assert isinstance(down, errors.TransientError) and down.retry_after == 30
    sandbox.warehouse.behaviours["down"] = False
    unknown = kernel_error(api.release, _order("WH/OUT/NOPE", purpose="cancel"))
    assert unknown.category == "validation" and "404" in str(unknown)
    api.headers["Authorization"] = "Bearer wrong"
    assert isinstance(kernel_error(api.order, NUMBER), errors.AuthenticationError)


def test_a_silent_warehouse_times_out_transiently(sandbox):
    sandbox.warehouse.behaviours["slow"] = 1.5
    client = JsonWarehouseClient(
        HttpTransport(sandbox.url, timeout=(1.0, 0.5)),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
        check=errors.error_for_response,
    )
    try:
        error = kernel_error(client.release, _order())
    finally:
        client.close()
    assert error.transient and error.category == "timeout"


def test_receipts_are_announced(api, sandbox):
    receipt = {"number": "WH/IN/00007", "po_number": "P00031", "shipment_id": "ASN-1",
               "lines": [{"line_id": "3", "item": "BOLT-M8", "quantity": "12",
                          "lots": ["L-BOLT-7"]}]}  # fmt: skip
    assert api.announce(receipt)[0] == "WH/IN/00007"
    api.announce(receipt)
    assert sandbox.warehouse.receipts["WH/IN/00007"]["status"] == "announced"


def sandbox_x12_document(code, data):
    """The same confirmation as the sandbox writes it in X12 (its own writer),
    read by the codec."""
    interchange = sandbox_x12.interchange(
        "SANDBOX3PL", "DEPOSITOR", 1, [(code, "0001", X12_BODIES[code](data))]
    )
    (transaction_set,) = read(interchange)[0].transaction_sets
    document = warehouse.read_warehouse_document(transaction_set)
    for key in ("code", "control_number", "kind"):
        document.pop(key)
    return document


def comparable(document):
    # Parties are free text in both; what the appliers use must be equal.
    return {k: v for k, v in document.items() if k not in ("warehouse", "ship_to")}


def test_pulled_events_read_as_the_codec_reads_the_x12(api, sandbox):
    sandbox.warehouse.behaviours.update(short_pick=2, split_shipment=True)
    api.release(_order(quantity="10"))
    api.release(_order("WH/OUT/00043", item="BRKT-050", quantity="4") | {
        "lines": [{"line_id": "9", "item": "BRKT-050", "quantity": "4",
                   "lots": ["L2026B"]}]})  # fmt: skip
    sandbox.warehouse.ship(NUMBER)
    sandbox.warehouse.ship("WH/OUT/00043")
    line = {"line_id": "1", "item": "BOLT-M8", "quantity": "6", "lots": ["L-7"]}
    api.announce({"number": "WH/IN/1", "lines": [line]})
    sandbox.warehouse.behaviours["damaged_on_receipt"] = 2
    sandbox.warehouse.receive("WH/IN/1")
    sandbox.warehouse.snapshot("full")
    sandbox.warehouse.adjust(
        {"item": "PANEL-A3", "quantity": "-3", "reason_code": "07"}
    )
    events, last = api.events(0)
    assert [e["type"] for e in events] == ["shipment.confirmed"] * 4 + [
        "receipt.confirmed",
        "inventory.snapshot",
        "inventory.adjusted",
    ]
    assert last == events[-1]["seq"]
    assert api.events(last) == ([], last)
    codes = {"shipping_advice": "945", "receipt_advice": "944",
             "inventory_advice": "846", "inventory_adjustment": "947"}  # fmt: skip
    for event in events:
        event_id, kind, data = read_event(event)
        assert event_id == event["id"]
        document = warehouse.read_warehouse_json(kind, data)
        assert document.pop("kind") == kind
        assert comparable(document) == comparable(
            sandbox_x12_document(codes[kind], data)
        ), kind
    first = warehouse.read_warehouse_json("shipping_advice", events[0]["data"])
    assert first["partial"] is True
    assert first["lines"][0]["shipped_quantity"] == "4"  # half of 10 - 2
    assert first["tracking_numbers"]
    receipt = warehouse.read_warehouse_json("receipt_advice", events[4]["data"])
    assert receipt["lines"][0]["damaged_quantity"] == "2"
    assert receipt["lines"][0]["good_quantity"] == "4"
    adjustment = warehouse.read_warehouse_json(
        "inventory_adjustment", events[6]["data"]
    )
    assert adjustment["adjustments"][0]["reason"] == "product dumped or destroyed"


def test_webhooks_carry_the_gateways_signature_and_the_event_id_as_key(receiver):
    with SandboxWarehouseServer(
        callback_url=receiver.url, signature_style="timestamped", secret="s3cret"
    ) as sandbox:
        sandbox.warehouse.behaviours["duplicate_confirmations"] = True
        sandbox.warehouse.release(_order(), "json")
        sandbox.warehouse.ship(NUMBER)
        (first_headers, first), (second_headers, second) = receiver.wait_for(2)
    assert first == second
    for headers in (first_headers, second_headers):
        signatures.verify(
            ["s3cret"],
            first,
            headers[signatures.SIGNATURE_HEADER],
            headers[signatures.TIMESTAMP_HEADER],
        )
        event_id, kind, data = read_event(first)
        assert headers["Idempotency-Key"] == event_id
    assert kind == "shipping_advice" and data["order_number"] == NUMBER


@pytest.mark.parametrize(
    "payload, why",
    [
        (b"{not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"type": "shipment.confirmed", "data": {}}', "no id"),
        (b'{"id": "e1", "type": "order.exploded", "data": {}}', "unknown type"),
        (b'{"id": "e1", "type": "shipment.confirmed", "data": [1]}', "no data"),
    ],
)
def test_unreadable_events_are_refused_by_name(payload, why):
    with pytest.raises(EventError, match=why):
        read_event(payload)


@pytest.mark.parametrize(
    "kind, data, why",
    [
        ("shipping_advice", [], "not a JSON object"),
        ("shipping_advice", {"packages": []}, "order number"),
        ("shipping_advice", {"order_number": "X", "packages": {"a": 1}}, "list"),
        (
            "shipping_advice",
            {
                "order_number": "X",
                "packages": [{"contents": [{"line_id": "1", "quantity": "many"}]}],
            },
            "not a number",
        ),  # fmt: skip
        (
            "receipt_advice",
            {"receipt_number": "R", "lines": [{"quantity": [1]}]},
            "not a number",
        ),  # fmt: skip
        ("inventory_advice", {"items": []}, "report id"),
        ("inventory_adjustment", {"adjustment_number": 5, "adjustments": "x"}, "list"),
        ("shipping_order", {}, "not a warehouse document"),
    ],
)
def test_the_codecs_json_reader_refuses_bad_shapes(kind, data, why):
    with pytest.raises(DocumentError, match=why):
        warehouse.read_warehouse_json(kind, data)


def test_quantities_keep_their_decimals():
    data = {"order_number": "X", "packages": [{"contents": [
        {"line_id": "1", "item": "A", "ordered_quantity": 2.5, "quantity": "1.25"},
        {"line_id": "1", "item": "A", "quantity": 1}]}]}  # fmt: skip
    (line,) = warehouse.read_warehouse_json("shipping_advice", data)["lines"]
    assert Decimal(line["shipped_quantity"]) == Decimal("2.25")
    assert line["status"] == warehouse.SHIPPED_PARTIAL
