"""997, TA1 and CONTRL built from what was read, validated by mock-edi."""

import edi
from edi.ack import (
    build_997,
    build_acknowledgement,
    build_contrl,
    build_ta1,
    summary,
)
from edi_builders import (
    edifact_document,
    edifact_order,
    our_edifact_envelope,
    our_x12_envelope,
    replace_segment,
    x12_document,
    x12_order,
)


def segments(document):
    [interchange] = edi.read(document)
    assert interchange.all_findings() == [], summary(interchange)
    return [segment.values for segment in interchange.transaction_sets[0].segments]


def test_997_accepting_every_set(assert_mock_clean):
    document = x12_document(sets=[x12_order("0001"), x12_order("0002")])
    [interchange] = edi.read(document)
    ack = build_997(interchange, our_x12_envelope(interchange))
    assert_mock_clean(ack)
    assert segments(ack) == [
        ["ST", "997", "0001"],
        ["AK1", "PO", "5"],
        ["AK2", "850", "0001"],
        ["AK5", "A"],
        ["AK2", "850", "0002"],
        ["AK5", "A"],
        ["AK9", "A", "2", "2", "2"],
        ["SE", "8", "0001"],
    ]
    assert b"GS*FA*ACME*BUYER*20261126*1030*90*X*004010~" in ack


def test_997_with_segment_and_element_errors(assert_mock_clean):
    document = x12_document()
    document = replace_segment(document, b"DTM*002*20261214", b"DTM*002*2026-12")
    document = replace_segment(document, b"REF*DP*038", b"ZZZ*1")
    [interchange] = edi.read(document)
    ack = build_997(interchange, our_x12_envelope(interchange))
    assert_mock_clean(ack)
    assert segments(ack)[2:7] == [
        ["AK2", "850", "0001"],
        ["AK3", "ZZZ", "3", "", "1"],
        ["AK3", "DTM", "4", "", "8"],
        ["AK4", "2", "373", "8", "2026-12"],
        ["AK5", "E", "5"],
    ]
    assert segments(ack)[7] == ["AK9", "E", "1", "1", "1"]


def test_997_rejecting_a_set_with_a_composite_location(assert_mock_clean):
    document = x12_document()
    document = replace_segment(document, b"BEG*00*SA*4500000042", b"BEG*00*SA*")
    document = replace_segment(document, b"SE*13*0001", b"SE*14*0001")
    [interchange] = edi.read(document)
    ack = build_997(interchange, our_x12_envelope(interchange), first_control_number=41)
    assert_mock_clean(ack)
    values = segments(ack)
    assert values[0] == ["ST", "997", "0041"]
    assert ["AK3", "BEG", "2", "", "8"] in values
    assert ["AK4", "3", "324", "1"] in values
    assert ["AK5", "R", "4", "5"] in values
    assert values[-2] == ["AK9", "R", "1", "1", "0"]


def test_997_for_a_rejected_group(assert_mock_clean):
    document = replace_segment(x12_document(), b"GE*1*5", b"GE*3*5")
    [interchange] = edi.read(document)
    ack = build_997(interchange, our_x12_envelope(interchange))
    assert_mock_clean(ack)
    values = segments(ack)
    assert ["AK5", "R"] in values
    assert values[-2] == ["AK9", "R", "3", "1", "0", "5"]


def test_997_in_005010(assert_mock_clean):
    document = x12_document(version="005010")
    [interchange] = edi.read(document)
    ack = build_997(interchange, our_x12_envelope(interchange, version="005010"))
    assert_mock_clean(ack)
    assert segments(ack)[1] == ["AK1", "PO", "5", "005010"]


def test_ta1_when_the_interchange_is_at_fault(assert_mock_clean):
    document = replace_segment(x12_document(), b"IEA*1*000000077", b"IEA*1*000000076")
    [interchange] = edi.read(document)
    ack = build_acknowledgement(interchange, our_x12_envelope(interchange))
    assert b"TA1*000000077*261126*1030*R*001~" in ack
    assert b"GS*" not in ack
    assert_mock_clean(ack)
    [answer] = edi.read(ack)
    assert answer.status == "A" and answer.groups == []
    assert answer.acknowledgements[0].values == [
        "TA1",
        "000000077",
        "261126",
        "1030",
        "R",
        "001",
    ]
    accepted = build_ta1(edi.read(x12_document())[0], our_x12_envelope(interchange))
    assert b"TA1*000000077*261126*1030*A*000~" in accepted
    assert_mock_clean(accepted)


def test_contrl_accepting(assert_mock_clean, pydifact_parse):
    [interchange] = edi.read(edifact_document(messages=[edifact_order("1")]))
    contrl = build_contrl(interchange, our_edifact_envelope(interchange))
    assert_mock_clean(contrl)
    pydifact_parse(contrl)
    assert segments(contrl) == [
        ["UNH", "1", ("CONTRL", "D", "3", "UN")],
        ["UCI", "770001", ("BUYER", "ZZ"), ("EURODIS", "ZZ"), "7"],
        ["UCM", "1", ("ORDERS", "D", "96A", "UN"), "7"],
        ["UNT", "4", "1"],
    ]


def test_contrl_with_segment_and_element_errors(assert_mock_clean, pydifact_parse):
    document = edifact_document()
    document = replace_segment(document, b"QTY+21:10:PCE", b"QTY+21:1O:PCE")
    document = replace_segment(document, b"UNS+S'", b"XYZ+1'\nUNS+S'")
    document = replace_segment(document, b"UNT+16+1", b"UNT+17+1")
    [interchange] = edi.read(document)
    contrl = build_contrl(interchange, our_edifact_envelope(interchange))
    assert_mock_clean(contrl)
    pydifact_parse(contrl)
    assert segments(contrl)[2:6] == [
        ["UCM", "1", ("ORDERS", "D", "96A", "UN"), "7"],
        ["UCS", "8"],
        ["UCD", "37", ("1", "2")],
        ["UCS", "14", "15"],
    ]


def test_contrl_rejecting_a_message(assert_mock_clean, pydifact_parse):
    document = replace_segment(edifact_document(), b"UNT+16+1'", b"UNT+15+1'")
    [interchange] = edi.read(document)
    contrl = build_contrl(interchange, our_edifact_envelope(interchange))
    assert_mock_clean(contrl)
    pydifact_parse(contrl)
    assert segments(contrl)[2] == [
        "UCM",
        "1",
        ("ORDERS", "D", "96A", "UN"),
        "4",
        "29",
        "UNT",
        "1",
    ]


def test_contrl_rejecting_the_interchange(assert_mock_clean, pydifact_parse):
    document = edifact_document()
    [interchange] = edi.read(document[: document.index(b"UNZ")])
    contrl = build_acknowledgement(interchange, our_edifact_envelope(interchange))
    assert_mock_clean(contrl)
    pydifact_parse(contrl)
    assert segments(contrl)[1] == [
        "UCI",
        "770001",
        ("BUYER", "ZZ"),
        ("EURODIS", "ZZ"),
        "4",
        "13",
        "UNZ",
    ]


def test_contrl_for_a_grouped_interchange(assert_mock_clean):
    grouped = (
        edifact_document()
        .replace(
            b"UNH+1+",
            b"UNG+ORDERS+BUYER+EURODIS+261126:1030+9+UN+D:96A'\nUNH+1+",
        )
        .replace(b"UNZ+1+", b"UNE+1+9'\nUNZ+1+")
    )
    [interchange] = edi.read(grouped)
    contrl = build_contrl(interchange, our_edifact_envelope(interchange))
    values = segments(contrl)
    assert values[2] == ["UCF", "9", "BUYER", "EURODIS", "7"]
    assert values[3][0] == "UCM"


def test_summary_lists_every_verdict():
    document = replace_segment(x12_document(), b"REF*DP*038", b"ZZZ*1")
    text = summary(edi.read(document)[0])
    assert "850 0001: E" in text and "ZZZ (segment 3 of the set" in text
