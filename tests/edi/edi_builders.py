"""Documents the EDI tests write: clean by mock-edi's dictionary and ours."""

import datetime
from decimal import Decimal
from pathlib import Path

from edi.writer import (
    EdifactEnvelope,
    OutboundSet,
    X12Envelope,
    write_edifact,
    write_x12,
)

MOMENT = datetime.datetime(2026, 11, 26, 10, 30)
SAMPLES = Path(__file__).resolve().parent / "samples"


def x12_envelope(**changes):
    values = dict(
        sender_id="BUYER",
        receiver_id="ACME",
        control_number=77,
        group_control_number=5,
        timestamp=MOMENT,
    )
    values.update(changes)
    return X12Envelope(**values)


def edifact_envelope(**changes):
    values = dict(
        sender_id="BUYER",
        receiver_id="EURODIS",
        control_number="770001",
        sender_qualifier="ZZ",
        receiver_qualifier="ZZ",
        timestamp=MOMENT,
    )
    values.update(changes)
    return EdifactEnvelope(**values)


def x12_order(control="0001", po="4500000042", lines=2):
    body = [
        ("BEG", "00", "SA", po, "", "20261126"),
        ("REF", "DP", "038"),
        ("DTM", "002", "20261214"),
        ("N1", "ST", "Main warehouse", "92", "WH1"),
        ("N3", "1 Harbour Road"),
        ("N4", "Rotterdam", "", "3011", "NL"),
    ]
    for line in range(1, lines + 1):
        body += [
            (
                "PO1",
                str(line),
                10 * line,
                "EA",
                Decimal("12.50"),
                "",
                "VP",
                f"W-{line}",
            ),
            ("PID", "F", "", "", "", f"Widget number {line}"),
        ]
    body.append(("CTT", lines))
    return OutboundSet("850", control, body)


def edifact_order(control="1", po="4500000042", lines=2):
    body = [
        ("BGM", "220", po, "9"),
        ("DTM", ("137", "20261126", "102")),
        ("NAD", "BY", ("BUYER", "", "92")),
        ("NAD", "SU", ("EURODIS", "", "92")),
    ]
    for line in range(1, lines + 1):
        body += [
            ("LIN", str(line), "", (f"W-{line}", "SA")),
            ("IMD", "F", "", ("", "", "", f"Widget number {line}")),
            ("QTY", ("21", str(10 * line), "PCE")),
            ("PRI", ("AAA", "12.50")),
        ]
    body += [("UNS", "S"), ("CNT", ("2", str(lines)))]
    return OutboundSet("ORDERS", control, body)


def x12_document(sets=None, **envelope):
    return write_x12(x12_envelope(**envelope), sets or [x12_order()], newline=True)


def edifact_document(messages=None, **envelope):
    return write_edifact(
        edifact_envelope(**envelope), messages or [edifact_order()], newline=True
    )


def replace_segment(document, old, new):
    """``document`` with one segment's text replaced (for faults on purpose)."""
    assert document.count(old) == 1, old
    return document.replace(old, new)


# Our side of an acknowledgement: sender and receiver swapped.
def our_x12_envelope(interchange, **changes):
    header = interchange.header
    values = dict(
        sender_id=header.receiver_id,
        receiver_id=header.sender_id,
        sender_qualifier=header.receiver_qualifier,
        receiver_qualifier=header.sender_qualifier,
        control_number=900,
        group_control_number=90,
        timestamp=MOMENT,
    )
    values.update(changes)
    return X12Envelope(**values)


def our_edifact_envelope(interchange):
    header = interchange.header
    return EdifactEnvelope(
        header.receiver_id,
        header.sender_id,
        "900",
        sender_qualifier=header.receiver_qualifier,
        receiver_qualifier=header.sender_qualifier,
        timestamp=MOMENT,
    )
