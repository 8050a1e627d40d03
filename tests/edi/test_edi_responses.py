"""What a supplier's 855, 865 and ORDRSP say, line by line, in both versions.

Every status of X12 element 668 (ACK01) reads to its meaning; the documents are
written by the channel's writer and, where mock-edi's dictionary knows the
code, found clean by its validator. mock-edi's own 865 answering a revised
order reads as a change acknowledgement.
"""

from decimal import Decimal

import pytest
from edi import documents
from edi.reader import EdiReader
from edi.writer import OutboundSet, write_edifact, write_x12
from edi_builders import edifact_envelope, x12_envelope
from mockedi.testing import Mock
from test_edi_documents import CATALOGUE_LINES, _order, _x12

# ACK01 codes mock-edi's dictionary knows; the others are checked by ours only.
MOCK_KNOWS = {"IA", "IB", "IC", "ID", "IP", "IQ", "IR", "IS", "DR"}


def _read(payload):
    (transaction_set,) = EdiReader(payload)
    assert transaction_set.accepted, transaction_set.findings
    return documents.read_business_document(transaction_set)


def _x12_response(acks, version="004010", code="855"):
    head = (
        ("BAK", "00", "AC", "PO-1", "20261126")
        if code == "855"
        else ("BCA", "00", "AC", "PO-1", "", "1", "20261126")
    )
    line = (
        ("PO1", "7", 10, "EA", Decimal("4.15"), "", "VP", "BRKT-050")
        if code == "855"
        else ("POC", "7", "QI", 10, "", "EA", Decimal("4.15"), "", "VP", "BRKT-050")
    )
    body = [head, line, *acks, ("CTT", 1)]
    return write_x12(
        x12_envelope(sender_id="MOCKEDI", receiver_id="ACME", version=version),
        [OutboundSet(code, "0001", body)],
    )


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("IA", documents.MEANING_ACCEPTED),
        ("AC", documents.MEANING_ACCEPTED),
        ("AR", documents.MEANING_ACCEPTED),
        ("SP", documents.MEANING_ACCEPTED),
        ("IC", documents.MEANING_CHANGED),
        ("IP", documents.MEANING_CHANGED),
        ("IQ", documents.MEANING_CHANGED),
        ("DR", documents.MEANING_CHANGED),
        ("IS", documents.MEANING_CHANGED),
        ("IB", documents.MEANING_BACKORDERED),
        ("BP", documents.MEANING_BACKORDERED),
        ("IE", documents.MEANING_PRICE_PENDING),
        ("IF", documents.MEANING_ON_HOLD),
        ("IH", documents.MEANING_ON_HOLD),
        ("IW", documents.MEANING_ON_HOLD),
        ("ID", documents.MEANING_DELETED),
        ("IR", documents.MEANING_REJECTED),
        ("R1", documents.MEANING_REJECTED),
        ("R2", documents.MEANING_REJECTED),
        ("R3", documents.MEANING_REJECTED),
        ("R4", documents.MEANING_REJECTED),
    ],
)
def test_every_line_status_reads_to_its_meaning(
    mock_edi, assert_mock_clean, version, code, meaning
):
    quantity = 0 if meaning in ("rejected", "deleted", "on_hold") else 6
    payload = _x12_response(
        [("ACK", code, quantity, "EA", "067", "20261209")], version=version
    )
    if code in MOCK_KNOWS:
        assert_mock_clean(payload)
    (line,) = _read(payload)["lines"]
    assert line["status"] == code
    assert documents.line_meaning(code) == meaning
    if meaning == documents.MEANING_BACKORDERED:
        if code == "IB":
            # IB names the quantity that follows, and when.
            assert Decimal(line["backordered_quantity"]) == 6
            assert line["backorder_date"] == "2026-12-09"
            assert Decimal(line["confirmed_quantity"]) == 0
        else:
            # BP: 6 ship now, the balance of the 10 ordered follows.
            assert Decimal(line["confirmed_quantity"]) == 6
            assert Decimal(line["backordered_quantity"]) == 4
    elif meaning in ("rejected", "deleted", "on_hold"):
        assert Decimal(line["confirmed_quantity"]) == 0
    else:
        assert Decimal(line["confirmed_quantity"]) == 6


def test_split_line_and_whole_backorder(mock_edi, assert_mock_clean):
    split = _x12_response(
        [
            ("ACK", "IA", 6, "EA", "067", "20261201"),
            ("ACK", "IB", 4, "EA", "067", "20261215"),
        ]
    )
    assert_mock_clean(split)
    (line,) = _read(split)["lines"]
    assert line["status"] == "IA"
    assert Decimal(line["confirmed_quantity"]) == 6
    assert Decimal(line["backordered_quantity"]) == 4
    assert (line["date"], line["backorder_date"]) == ("2026-12-01", "2026-12-15")
    # As mock-edi writes an item out of stock: IB with nothing confirmed.
    whole = _x12_response([("ACK", "IB", 0, "EA", "067", "20261215")])
    assert_mock_clean(whole)
    (line,) = _read(whole)["lines"]
    assert line["status"] == "IB"
    assert Decimal(line["backordered_quantity"]) == 10
    assert line["date"] == "2026-12-15"


@pytest.mark.parametrize(
    ("bak02", "rejected", "held"),
    [
        ("AC", False, False),
        ("AH", False, True),
        ("RD", True, False),
        ("RJ", True, False),
    ],
)
def test_bak02_says_whether_the_order_stands(bak02, rejected, held):
    payload = write_x12(
        x12_envelope(sender_id="MOCKEDI", receiver_id="ACME"),
        [OutboundSet("855", "0001", [("BAK", "00", bak02, "PO-1", "20261126")])],
    )
    document = _read(payload)
    assert (document["order_rejected"], document["order_held"]) == (rejected, held)


def test_865_reads_as_a_change_acknowledgement(mock_edi, assert_mock_clean):
    payload = _x12_response([("ACK", "IA", 10, "EA", "067", "20261201")], code="865")
    assert_mock_clean(payload)
    document = _read(payload)
    assert document["kind"] == documents.CHANGE_RESPONSE
    assert document["change_sequence"] == "1"
    (line,) = document["lines"]
    assert (line["line_id"], line["change_action"], line["status"]) == ("7", "QI", "IA")
    assert line["uom"] == "EA" and line["vendor_code"] == "BRKT-050"


def test_ordrsp_line_actions(mock_edi, assert_mock_clean):
    body = [
        ("BGM", "231", "SO-1", "9", "AC"),
        ("DTM", ("137", "20261126", "102")),
        ("RFF", ("ON", "PO-1")),
    ]
    for number, action in (("1", "5"), ("2", "6"), ("3", "7")):
        body += [
            ("LIN", number, action, ("BRKT-050", "VP")),
            ("QTY", ("21", "10", "PCE")),
        ]
    # No verdict, nothing confirmed, a date for the rest: backordered.
    body += [
        ("LIN", "4", "", ("BRKT-050", "VP")),
        ("QTY", ("21", "10", "PCE")),
        ("QTY", ("113", "0", "PCE")),
        ("QTY", ("83", "10", "PCE")),
        ("DTM", ("67", "20261215", "102")),
        # ... and without a date, refused.
        ("LIN", "5", "", ("BRKT-050", "VP")),
        ("QTY", ("21", "10", "PCE")),
        ("QTY", ("113", "0", "PCE")),
        ("QTY", ("83", "10", "PCE")),
        ("UNS", "S"),
        ("CNT", ("2", "5")),
    ]
    payload = write_edifact(
        edifact_envelope(sender_id="MOCKEDI", receiver_id="EURODIS"),
        [OutboundSet("ORDRSP", "1", body)],
    )
    assert_mock_clean(payload)
    lines = _read(payload)["lines"]
    assert [line["status"] for line in lines] == ["IA", "IC", "IR", "IB", "IR"]
    assert Decimal(lines[3]["backordered_quantity"]) == 10
    assert "backordered_quantity" not in lines[4]


def test_mock_answers_a_revision_with_an_865():
    with Mock.start(despatch_delay_ms=3_600_000, invoice_delay_ms=3_600_000) as mock:
        mock.partner("ACME", behaviour="accept")
        assert mock.send(_x12("ACME", _order("PO-CHG-1", CATALOGUE_LINES[:1])))[
            "accepted"
        ]
        mock.mailbox(partner="ACME", leave=False)
        revised = _order("PO-CHG-1", CATALOGUE_LINES[:1], purpose="replace")
        revised["lines"][0]["quantity"] = Decimal("12")
        assert mock.send(_x12("ACME", revised, control=42))["accepted"]
        read = [
            documents.read_business_document(transaction_set)
            for row in mock.mailbox(partner="ACME", leave=False)
            for transaction_set in EdiReader(row["payload"].encode("latin-1"))
        ]
    (change,) = [d for d in read if d["kind"] == documents.CHANGE_RESPONSE]
    assert change["order_number"] == "PO-CHG-1"
    (line,) = change["lines"]
    assert line["status"] == documents.LINE_ACCEPTED
    assert Decimal(line["confirmed_quantity"]) == 12
