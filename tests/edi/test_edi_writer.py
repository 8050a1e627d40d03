"""The writer: round trips in both dialects, checked by mock-edi and pydifact."""

from decimal import Decimal

import edi
import pytest
from edi.writer import OutboundSet, write_edifact, write_x12
from edi_builders import (
    edifact_document,
    edifact_envelope,
    edifact_order,
    x12_document,
    x12_envelope,
    x12_order,
)


def as_plain(values):
    """Our segment values in pydifact's shape (lists for composites)."""
    return [list(value) if isinstance(value, tuple) else value for value in values]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_x12_round_trip(version, assert_mock_clean):
    sets = [x12_order("0001", "4500000042", 3), x12_order("0002", "4500000043", 1)]
    envelope = x12_envelope(version=version, test=True, acknowledgement_requested=True)
    document = write_x12(envelope, sets, newline=True)
    assert_mock_clean(document)
    [interchange] = edi.read(document)
    header = interchange.header
    assert (header.sender_id, header.receiver_id, header.control_number) == (
        "BUYER",
        "ACME",
        "000000077",
    )
    assert header.test and header.acknowledgement_requested
    assert header.version == ("00501" if version == "005010" else "00401")
    assert interchange.groups[0].header.control_number == "5"
    assert interchange.groups[0].declared_count == "2"
    assert interchange.all_findings() == []
    first, second = interchange.transaction_sets
    assert (first.code, first.control_number, second.control_number) == (
        "850",
        "0001",
        "0002",
    )
    assert first.find("SE").values == ["SE", "15", "0001"]
    expected = [["BEG", "00", "SA", "4500000042", "", "20261126"]]
    assert [first.body[0].values] == expected
    assert first.find("PO1").values[1:6] == ["1", "10", "EA", "12.50", ""]
    assert first.find("CTT").get(1) == "3"


def test_x12_005010_writes_st03_and_reads_it(assert_mock_clean):
    order = x12_order()
    order.implementation = "GUIDE-1"
    document = write_x12(x12_envelope(version="005010"), [order])
    assert b"ST*850*0001*GUIDE-1~" in document
    assert_mock_clean(document)
    [interchange] = edi.read(document)
    assert interchange.results[0].implementation == "GUIDE-1"
    assert interchange.results[0].status == "A"


def test_sets_of_several_functional_groups_get_consecutive_group_numbers():
    invoice = OutboundSet(
        "810",
        "0003",
        [
            ("BIG", "20261126", "INV-1", "", "4500000042"),
            ("IT1", "1", 10, "EA", Decimal("12.50"), "", "VP", "W-1"),
            ("TDS", 12500),
        ],
    )
    document = write_x12(x12_envelope(), [x12_order(), invoice])
    [interchange] = edi.read(document)
    groups = [
        (g.header.functional_id, g.header.control_number) for g in interchange.groups
    ]
    assert groups == [("PO", "5"), ("IN", "6")]
    assert (
        interchange.findings == [] and interchange.header.control_number == "000000077"
    )
    assert [result.status for result in interchange.results] == ["A", "A"]


def test_edifact_round_trip_with_pydifact(assert_mock_clean, pydifact_parse):
    messages = [edifact_order("1", "4500000042", 3), edifact_order("2", "PO+2'?", 1)]
    document = write_edifact(edifact_envelope(test=True), messages, newline=True)
    assert b"BGM+220+PO?+2?'??+9'" in document
    assert_mock_clean(document)
    [interchange] = edi.read(document)
    assert interchange.all_findings() == [] and interchange.header.test
    first, second = interchange.transaction_sets
    assert second.find("BGM").get(2) == "PO+2'?"
    ours = [as_plain(segment.values) for segment in first.segments + second.segments]
    theirs = [[tag, *elements] for tag, elements in pydifact_parse(document)]
    assert theirs == ours


def test_edifact_association_code_and_syntax_4(assert_mock_clean, pydifact_parse):
    message = edifact_order()
    message.association_code = "EAN008"
    envelope = edifact_envelope(syntax_version="4", syntax_identifier="UNOC")
    document = write_edifact(envelope, [message])
    assert b"UNB+UNOC:4+BUYER:ZZ+EURODIS:ZZ+20261126:1030+770001'" in document
    assert b"UNH+1+ORDERS:D:96A:UN:EAN008'" in document
    assert_mock_clean(document)
    pydifact_parse(document)
    [interchange] = edi.read(document)
    assert interchange.results[0].status == "A"
    assert interchange.results[0].message_identifier[4] == "EAN008"


def test_x12_refuses_a_separator_in_data():
    order = x12_order()
    order.segments[1] = ("REF", "DP", "03*8")
    with pytest.raises(edi.EdiWriteError, match=r"REF02 '03\*8' holds the element"):
        write_x12(x12_envelope(), [order])
    order.segments[1] = ("REF", "DP", "03>8")
    with pytest.raises(edi.EdiWriteError, match="component separator"):
        write_x12(x12_envelope(), [order])
    order.segments[1] = ("REF", "DP", "03~8")
    with pytest.raises(edi.EdiWriteError, match="segment separator"):
        write_x12(x12_envelope(), [order])


def test_writer_refuses_what_the_dictionary_refuses_with_locations():
    order = x12_order()
    order.segments[0] = ("BEG", "00", "SA", "", "", "2026-11-26")
    with pytest.raises(edi.EdiWriteError) as caught:
        write_x12(x12_envelope(), [order])
    located = {(f.tag, f.element, f.kind.name) for f in caught.value.findings}
    assert located == {
        ("BEG", 3, "ELEMENT_MANDATORY_MISSING"),
        ("BEG", 5, "INVALID_DATE"),
    }
    message = edifact_order()
    del message.segments[-2]  # UNS
    with pytest.raises(edi.EdiWriteError, match="mandatory segment UNS missing"):
        write_edifact(edifact_envelope(), [message])


def test_writer_refuses_bad_envelope_values():
    with pytest.raises(edi.EdiWriteError, match="ISA06"):
        write_x12(x12_envelope(sender_id="X" * 16), [x12_order()])
    with pytest.raises(edi.EdiWriteError, match="ISA13"):
        write_x12(x12_envelope(control_number="12A"), [x12_order()])
    with pytest.raises(edi.EdiWriteError, match="not supported"):
        write_x12(x12_envelope(version="003040"), [x12_order()])
    with pytest.raises(edi.EdiWriteError, match="cannot carry"):
        message = edifact_order()
        message.segments[2] = ("NAD", "BY", ("BUYER", "", "92"), "", "Łódź")
        write_edifact(edifact_envelope(syntax_identifier="UNOC"), [message])


def test_values_render_as_the_standards_want():
    order = x12_order()
    order.segments[1] = ("REF", "DP", "038", None, ("", "", ""))
    document = write_x12(x12_envelope(), [order])
    assert b"REF*DP*038~" in document  # trailing empty elements dropped
    with pytest.raises(edi.EdiWriteError, match="float"):
        order.segments[1] = ("REF", "DP", 1.5)
        write_x12(x12_envelope(), [order])


def test_documents_written_in_other_tests_are_clean_for_mock_edi(assert_mock_clean):
    assert_mock_clean(x12_document())
    assert_mock_clean(edifact_document())
