"""Business documents against mock-edi: our orders, the supplier's answers.

Each test places a real order with mock-edi as one of its seeded partners and
reads what the supplier sends back; the order must pass mock-edi's validator
with zero findings (and pydifact's parser for EDIFACT).
"""

from decimal import Decimal

import pytest
from edi import documents
from edi.reader import EdiReader
from edi.writer import EdifactEnvelope, X12Envelope, write_edifact, write_x12
from edi_builders import MOMENT


def _order(number, lines, purpose="original", uom="EA"):
    return {
        "number": number,
        "purpose": purpose,
        "date": "2026-11-26",
        "currency": "USD",
        "requested_date": "2026-12-03",
        "buyer": {"name": "Buyer Distribution", "id": "BUYER"},
        "supplier": {"name": "Mock EDI Supply Co", "id": "MOCKEDI"},
        "ship_to": {
            "name": "Main warehouse",
            "code": "WH1",
            "street": "1 Harbour Road",
            "city": "Columbus",
            "state": "OH",
            "zip": "43215",
            "country": "US",
        },
        "lines": [
            {
                "line_id": 100 + index,
                "vendor_code": code,
                "gtin": gtin,
                "description": f"Item {code}",
                "quantity": quantity,
                "uom": uom,
                "price": price,
                "date": "2026-12-03",
            }
            for index, (code, gtin, quantity, price) in enumerate(lines, 1)
        ],
    }


CATALOGUE_LINES = [
    ("BRKT-050", "076123400041", Decimal("10"), Decimal("4.15")),
    ("PANEL-A3", "076123400096", Decimal("50"), Decimal("124.50")),
]


def _x12(partner, order, version="004010", control=41, validate=True):
    envelope = X12Envelope(
        sender_id=partner,
        receiver_id="MOCKEDI",
        control_number=control,
        group_control_number=control,
        version=version,
        timestamp=MOMENT,
    )
    return write_x12(
        envelope, [documents.order_set(order, "X12", "0001")], validate=validate
    )


def _edifact(partner, order, control="41"):
    envelope = EdifactEnvelope(
        sender_id=partner,
        receiver_id="MOCKEDI",
        control_number=control,
        sender_qualifier="14",
        receiver_qualifier="ZZ",
        timestamp=MOMENT,
    )
    return write_edifact(envelope, [documents.order_set(order, "EDIFACT", "1")])


def _answers(mock, partner):
    """Every document the mock holds for ``partner``, read into business dicts."""
    read = {}
    for row in mock.mailbox(partner=partner, leave=False):
        for transaction_set in EdiReader(row["payload"].encode("latin-1")):
            assert transaction_set.accepted, transaction_set.findings
            document = documents.read_business_document(transaction_set)
            read.setdefault(document["kind"], []).append(document)
    return read


@pytest.fixture
def partner(mock_edi):
    created = []

    def configure(partner_id, **changes):
        mock_edi.partner(partner_id, **changes)
        created.append(partner_id)
        mock_edi.mailbox(partner=partner_id, leave=False)
        return partner_id

    yield configure
    mock_edi.expect("POST", "/_mock/reset")


def test_x12_order_is_clean_and_the_cycle_reads_back(
    mock_edi, partner, assert_mock_clean
):
    who = partner("ACME", behaviour="accept")
    document = _x12(who, _order("PO-X12-1", CATALOGUE_LINES[:1]))
    assert_mock_clean(document)
    summary = mock_edi.send(document)
    assert summary["accepted"], summary
    answers = _answers(mock_edi, who)

    (ack,) = answers["acknowledgement"]
    assert ack["acknowledged_group"] == "41"
    assert ack["sets"][0]["control_number"] == "0001"
    assert ack["group_status"] == "A"

    (response,) = answers["order_response"]
    assert response["order_number"] == "PO-X12-1"
    (line,) = response["lines"]
    assert line["line_id"] == "101"
    assert line["status"] == documents.LINE_ACCEPTED
    assert Decimal(line["confirmed_quantity"]) == 10
    assert line["vendor_code"] == "BRKT-050" and line["gtin"] == "076123400041"
    assert line["date"]

    (despatch,) = answers["despatch"]
    assert despatch["order_numbers"] == ["PO-X12-1"]
    assert despatch["tracking_numbers"] and despatch["carrier"]
    (item,) = despatch["items"]
    assert item["line_id"] == "101" and Decimal(item["quantity"]) == 10

    (invoice,) = answers["invoice"]
    assert invoice["order_number"] == "PO-X12-1"
    assert invoice["invoice_number"]
    assert Decimal(invoice["total"]) == Decimal("41.50")
    assert invoice["lines"][0]["line_id"] == "101"


def test_x12_005010_short_shipment(mock_edi, partner, assert_mock_clean):
    who = partner("GLOBEX", behaviour="short-ship")
    document = _x12(who, _order("PO-SHORT-1", CATALOGUE_LINES[:1]), version="005010")
    assert_mock_clean(document)
    assert mock_edi.send(document)["accepted"]
    answers = _answers(mock_edi, who)
    (line,) = answers["order_response"][0]["lines"]
    assert line["status"] == documents.LINE_QUANTITY_CHANGED
    assert Decimal(line["confirmed_quantity"]) < 10
    assert line["reason"]
    (item,) = answers["despatch"][0]["items"]
    assert item["quantity"] == line["confirmed_quantity"]


def test_x12_rejected_line(mock_edi, partner):
    who = partner("INITECH", behaviour="reject-line")
    lines = [CATALOGUE_LINES[0], ("CABLE-2M", "076123400065", Decimal("5"), "3.95")]
    assert mock_edi.send(_x12(who, _order("PO-REJ-1", lines)))["accepted"]
    response = _answers(mock_edi, who)["order_response"][0]
    statuses = sorted(line["status"] for line in response["lines"])
    assert statuses == [documents.LINE_ACCEPTED, documents.LINE_REJECTED]


def test_replacement_order_is_a_change_not_a_duplicate(mock_edi, partner):
    who = partner("ACME", behaviour="accept", **{"test": True})
    mock_edi.patch("/_mock/partners/ACME", {"behaviour": "no-ack"})
    assert mock_edi.send(_x12(who, _order("PO-REV-1", CATALOGUE_LINES[:1])))["accepted"]
    revised = _order("PO-REV-1", CATALOGUE_LINES[:1], purpose="replace")
    revised["lines"][0]["quantity"] = Decimal("12")
    document = _x12(who, revised, control=42)
    assert b"BEG*05*SA*PO-REV-1" in document
    summary = mock_edi.send(document)
    assert summary["accepted"], summary
    assert mock_edi.order("PO-REV-1", partner=who)["lines"][0]["quantity"] in (
        12,
        "12",
        "12.00",
        "12.0",
    )


def test_edifact_order_is_clean_and_the_cycle_reads_back(
    mock_edi, partner, assert_mock_clean, pydifact_parse
):
    who = partner("EURODIS", behaviour="accept")
    document = _edifact(who, _order("PO-EDI-1", CATALOGUE_LINES, uom="PCE"))
    assert_mock_clean(document)
    assert [tag for tag, _elements in pydifact_parse(document)][:2] == ["UNH", "BGM"]
    assert mock_edi.send(document)["accepted"]
    answers = _answers(mock_edi, who)

    (ack,) = answers["acknowledgement"]
    assert ack["acknowledged_interchange"] == "41"
    assert ack["group_status"] == "A"

    (response,) = answers["order_response"]
    assert response["order_number"] == "PO-EDI-1"
    first, second = response["lines"]
    assert first["status"] == documents.LINE_ACCEPTED
    # PANEL-A3: 35 in stock of 50 ordered, the rest backordered.
    assert second["status"] == documents.LINE_QUANTITY_CHANGED
    assert Decimal(second["confirmed_quantity"]) == 35
    assert Decimal(second["backordered_quantity"]) == 15

    (despatch,) = answers["despatch"]
    assert {item["line_id"] for item in despatch["items"]} == {"101", "102"}
    assert despatch["tracking_numbers"]

    (invoice,) = answers["invoice"]
    assert invoice["order_number"] == "PO-EDI-1"
    assert {line["line_id"] for line in invoice["lines"]} == {"101", "102"}
    assert invoice["currency"] == "USD"


def test_strict_partner_rejection_reads_as_rejected(mock_edi, partner):
    who = partner("ACME", behaviour="strict")
    order = _order("PO-STRICT-1", CATALOGUE_LINES[:1])
    order["lines"][0]["uom"] = "EACH"  # too long for PO103: fatal only if strict
    document = _x12(who, order, validate=False)
    summary = mock_edi.send(document)
    assert not summary["transactionSets"][0]["accepted"]
    (ack,) = _answers(mock_edi, who)["acknowledgement"]
    assert ack["sets"][0]["status"] == "R"
    assert ack["sets"][0]["errors"]


def test_unknown_set_is_refused_by_name():
    document = write_x12(
        X12Envelope("MOCKEDI", "ACME", 5, 5, timestamp=MOMENT),
        [documents.order_set(_order("PO-1", CATALOGUE_LINES[:1]), "X12", "0001")],
    )
    (transaction_set,) = EdiReader(document)
    with pytest.raises(documents.DocumentError, match="850 is not a document"):
        documents.read_business_document(transaction_set)


def test_order_without_lines_is_refused():
    with pytest.raises(documents.DocumentError, match="no lines"):
        documents.order_set(_order("PO-EMPTY", []), "X12", "0001")
