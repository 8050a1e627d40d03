"""Envelope, count and control-number checks, and located element/segment errors."""

import edi
import pytest
from edi import ErrorKind
from edi_builders import edifact_document, replace_segment, x12_document, x12_order


def only(findings, kind):
    found = [finding for finding in findings if finding.kind is kind]
    assert len(found) == 1, [str(finding) for finding in findings]
    return found[0]


def read_one(document, **options):
    [interchange] = edi.read(document, **options)
    return interchange


# -- X12 envelope --------------------------------------------------------------


def test_se01_count_mismatch_is_located_and_rejects_the_set():
    document = replace_segment(x12_document(), b"SE*13*0001", b"SE*12*0001")
    interchange = read_one(document)
    [result] = interchange.results
    finding = only(result.findings, ErrorKind.SET_COUNT_MISMATCH)
    assert (finding.tag, finding.element, finding.value) == ("SE", 1, "12")
    assert (finding.position, finding.set_position) == (15, 13)
    assert result.status == "R" and interchange.groups[0].status == "R"
    assert "SE01 counts 12 segments, the set holds 13" in str(finding)


def test_st02_se02_control_mismatch():
    document = replace_segment(x12_document(), b"SE*13*0001", b"SE*13*0002")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.SET_CONTROL_MISMATCH)
    assert (finding.tag, finding.element, finding.value) == ("SE", 2, "0002")
    assert finding.kind.x12_code == "3" and result.status == "R"


def test_ge01_count_and_ge02_control_mismatch():
    document = replace_segment(x12_document(), b"GE*1*5", b"GE*2*6")
    interchange = read_one(document)
    group = interchange.groups[0]
    count = only(group.findings, ErrorKind.GROUP_COUNT_MISMATCH)
    control = only(group.findings, ErrorKind.GROUP_CONTROL_MISMATCH)
    assert (count.tag, count.element, count.value, count.position) == ("GE", 1, "2", 16)
    assert (control.element, control.value) == (2, "6")
    assert group.status == "R" and group.results[0].status == "R"
    assert not interchange.rejected  # a group fault is the 997's, not the TA1's


def test_iea01_count_and_iea02_control_mismatch_reject_the_interchange():
    document = replace_segment(x12_document(), b"IEA*1*000000077", b"IEA*2*000000078")
    interchange = read_one(document)
    count = only(interchange.findings, ErrorKind.INTERCHANGE_COUNT_MISMATCH)
    control = only(interchange.findings, ErrorKind.INTERCHANGE_CONTROL_MISMATCH)
    assert (count.tag, count.element, count.position, count.kind.x12_code) == (
        "IEA",
        1,
        17,
        "021",
    )
    assert (control.element, control.value, control.kind.x12_code) == (
        2,
        "000000078",
        "001",
    )
    assert interchange.rejected and interchange.status == "R"


def test_control_numbers_compare_as_numbers_where_they_are_numbers():
    document = replace_segment(x12_document(), b"GE*1*5", b"GE*1*0005")
    assert read_one(document).groups[0].status == "A"


def test_missing_se_ge_and_iea():
    document = x12_document()
    cut = document[: document.index(b"SE*13")]
    interchange = read_one(cut)
    result = interchange.results[0]
    trailer = only(result.findings, ErrorKind.SET_TRAILER_MISSING)
    assert (trailer.tag, trailer.set_position) == ("SE", 13)
    group = only(interchange.groups[0].findings, ErrorKind.GROUP_TRAILER_MISSING)
    assert group.tag == "GE"
    end = only(interchange.findings, ErrorKind.INTERCHANGE_TRAILER_MISSING)
    assert (end.tag, end.position, end.kind.x12_code) == ("IEA", 15, "023")
    assert interchange.rejected and not interchange.complete


def test_next_st_before_se_closes_the_set_without_trailer():
    two = x12_document(sets=[x12_order("0001"), x12_order("0002")])
    document = replace_segment(two, b"SE*13*0001~\n", b"")
    interchange = read_one(replace_segment(document, b"GE*2*5", b"GE*2*5"))
    first, second = interchange.results
    assert only(first.findings, ErrorKind.SET_TRAILER_MISSING).position == 15
    assert first.status == "R" and second.status == "A"


def test_segment_outside_a_set_is_a_structure_error():
    document = replace_segment(x12_document(), b"GE*1*5", b"REF*DP*1~\nGE*1*5")
    interchange = read_one(document)
    finding = only(interchange.findings, ErrorKind.INTERCHANGE_STRUCTURE_INVALID)
    assert (finding.tag, finding.position) == ("REF", 16)
    assert finding.kind.x12_code == "022" and interchange.rejected


def test_unsupported_set_and_group_version():
    document = x12_document().replace(b"ST*850*0001", b"ST*999*0001")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.SET_NOT_SUPPORTED)
    assert (finding.tag, finding.element, finding.value) == ("ST", 1, "999")
    document = x12_document().replace(b"*X*004010~", b"*X*003040~")
    interchange = read_one(document)
    group = only(interchange.groups[0].findings, ErrorKind.GROUP_VERSION_UNSUPPORTED)
    assert (group.tag, group.element, group.value, group.position) == (
        "GS",
        8,
        "003040",
        2,
    )
    assert interchange.groups[0].status == "R"


def test_set_in_a_group_of_another_functional_id():
    document = x12_document().replace(b"GS*PO*", b"GS*IN*")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.SET_NOT_SUPPORTED)
    assert "belongs in a PO group" in finding.detail


# -- EDIFACT envelope ----------------------------------------------------------


def test_unt_count_and_reference_mismatch():
    document = replace_segment(edifact_document(), b"UNT+16+1'", b"UNT+15+2'")
    result = read_one(document).results[0]
    count = only(result.findings, ErrorKind.SET_COUNT_MISMATCH)
    reference = only(result.findings, ErrorKind.SET_CONTROL_MISMATCH)
    assert (count.tag, count.element, count.value, count.kind.edifact_code) == (
        "UNT",
        1,
        "15",
        "29",
    )
    assert (reference.element, reference.kind.edifact_code) == (2, "28")
    assert (count.position, count.set_position) == (17, 16)
    assert result.status == "R"


def test_unz_count_and_reference_mismatch():
    document = replace_segment(edifact_document(), b"UNZ+1+770001'", b"UNZ+2+770002'")
    interchange = read_one(document)
    count = only(interchange.findings, ErrorKind.INTERCHANGE_COUNT_MISMATCH)
    reference = only(interchange.findings, ErrorKind.INTERCHANGE_CONTROL_MISMATCH)
    assert (count.tag, count.element, count.position, count.kind.edifact_code) == (
        "UNZ",
        1,
        18,
        "29",
    )
    assert (reference.value, reference.kind.edifact_code) == ("770002", "28")
    assert interchange.rejected


def test_missing_unz_rejects_the_interchange_where_the_file_ends():
    document = edifact_document()
    interchange = read_one(document[: document.index(b"UNZ")])
    finding = only(interchange.findings, ErrorKind.INTERCHANGE_TRAILER_MISSING)
    assert (finding.tag, finding.position, finding.kind.edifact_code) == (
        "UNZ",
        18,
        "13",
    )
    assert interchange.results[0].status == "A"  # the message itself was sound


def test_ung_une_group_counts():
    document = edifact_document()
    grouped = document.replace(
        b"UNH+1+",
        b"UNG+ORDERS+BUYER+EURODIS+261126:1030+9+UN+D:96A'\nUNH+1+",
    ).replace(b"UNZ+1+", b"UNE+2+8'\nUNZ+1+")
    interchange = read_one(grouped)
    group = interchange.groups[0]
    assert group.header.functional_id == "ORDERS" and group.header.version == "D:96A"
    count = only(group.findings, ErrorKind.GROUP_COUNT_MISMATCH)
    reference = only(group.findings, ErrorKind.GROUP_CONTROL_MISMATCH)
    assert (count.tag, count.value, reference.value) == ("UNE", "2", "8")
    assert interchange.findings == []  # UNZ counts the one group


def test_unknown_message_version_is_located_on_the_component():
    document = edifact_document().replace(b"ORDERS:D:96A:UN", b"ORDERS:D:01B:UN")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.SET_NOT_SUPPORTED)
    assert (finding.tag, finding.element, finding.component, finding.value) == (
        "UNH",
        2,
        3,
        "01B",
    )


# -- segments and elements ------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "kind", "where"),
    [
        (
            b"BEG*00*SA*4500000042**20261126",
            b"BEG*00*SA***20261126",
            "ELEMENT_MANDATORY_MISSING",
            ("BEG", 3, 0),
        ),
        (
            b"N1*ST*Main warehouse",
            b"N1*ST*" + b"W" * 61,
            "ELEMENT_TOO_LONG",
            ("N1", 2, 0),
        ),
        (b"DTM*002*20261214", b"DTM*002*20261314", "INVALID_DATE", ("DTM", 2, 0)),
        (b"PO1*1*10*EA", b"PO1*1*ten*EA", "INVALID_CHARACTER", ("PO1", 2, 0)),
        (b"CTT*2", b"CTT*2*1*1*1*1*1*1*1", "TOO_MANY_ELEMENTS", ("CTT", 8, 0)),
        (b"REF*DP*038", b"REF*DP*0>38", "TOO_MANY_COMPONENTS", ("REF", 2, 0)),
        (b"DTM*002*20261214", b"DTM*002*20261214*2561", "INVALID_TIME", ("DTM", 3, 0)),
    ],
)
def test_element_errors_are_located(old, new, kind, where):
    document = replace_segment(x12_document(), old, new)
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind[kind])
    assert (finding.tag, finding.element, finding.component) == where
    assert finding.set_position == {"BEG": 2, "N1": 5, "DTM": 4, "PO1": 8}.get(
        finding.tag, finding.set_position
    )
    mandatory = kind == "ELEMENT_MANDATORY_MISSING"
    assert result.status == ("R" if mandatory else "E")


def test_composite_component_errors_are_located():
    document = replace_segment(edifact_document(), b"DTM+137:20261126:102", b"DTM+:x")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.ELEMENT_MANDATORY_MISSING)
    assert (finding.tag, finding.element, finding.component, finding.element_ref) == (
        "DTM",
        1,
        1,
        "2005",
    )
    assert (finding.position, finding.set_position) == (4, 3)


def test_numeric_component_error_reports_the_component():
    document = replace_segment(edifact_document(), b"QTY+21:10:PCE", b"QTY+21:1O:PCE")
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind.INVALID_CHARACTER)
    assert (finding.tag, finding.element, finding.component, finding.value) == (
        "QTY",
        1,
        2,
        "1O",
    )
    assert finding.kind.edifact_code == "37"


@pytest.mark.parametrize(
    ("old", "new", "kind", "tag", "set_position"),
    [
        (b"REF*DP*038", b"XYZ*1", "SEGMENT_UNRECOGNIZED", "XYZ", 3),
        (b"REF*DP*038", b"AK1*PO*1", "SEGMENT_NOT_IN_SET", "AK1", 3),
        (
            b"BEG*00*SA*4500000042**20261126~\n",
            b"",
            "SEGMENT_MANDATORY_MISSING",
            "BEG",
            2,
        ),
        (
            b"N3*1 Harbour Road",
            b"N3*1 Harbour Road~\nN3*x~\nN3*y",
            "SEGMENT_TOO_MANY",
            "N3",
            8,
        ),
        (
            b"DTM*002*20261214~\nN1",
            b"N1*ST*x~\nDTM*002*20261214~\nN1",
            "SEGMENT_OUT_OF_SEQUENCE",
            "DTM",
            5,
        ),
    ],
)
def test_segment_errors_are_located(old, new, kind, tag, set_position):
    document = x12_document()
    document = replace_segment(document, old, new)
    declared = document.count(b"~") - 4
    document = document.replace(b"SE*13*", b"SE*%d*" % declared)
    result = read_one(document).results[0]
    finding = only(result.findings, ErrorKind[kind])
    assert (finding.tag, finding.set_position) == (tag, set_position)
    assert finding.level == "segment"
    assert result.status == ("R" if kind == "SEGMENT_MANDATORY_MISSING" else "E")


def test_loop_repeats_are_counted():
    dictionary = edi.reader.X12_004010.extended(
        sets="""
850 PO Purchase Order
  ST M 1
  BEG M 1
  LOOP N1 O 1
    N1 M 1
  LOOP PO1 M 10
    PO1 M 1
  SE M 1
"""
    )
    document = x12_document(sets=[x12_order(lines=1)])
    document = replace_segment(document, b"N3*1 Harbour Road~\n", b"N1*SU*x~\n")
    kept = [line for line in document.split(b"\n") if line[:3] not in (b"REF", b"DTM")]
    kept = [line for line in kept if line[:3] not in (b"N4*", b"PID", b"CTT")]
    document = b"\n".join(kept).replace(b"SE*13*", b"SE*6*")
    [interchange] = edi.read(document, x12_dictionaries={"004010": dictionary})
    result = interchange.results[0]
    finding = only(result.findings, ErrorKind.LOOP_TOO_MANY)
    assert (finding.tag, finding.loop, finding.set_position) == ("N1", "N1", 4)


def test_strict_rejects_for_any_finding():
    document = replace_segment(x12_document(), b"REF*DP*038", b"XYZ*1")
    assert read_one(document).results[0].status == "E"
    assert read_one(document, strict=True).results[0].status == "R"


def test_findings_say_where_in_words():
    document = replace_segment(x12_document(), b"DTM*002*20261214", b"DTM*002*2026-12")
    finding = read_one(document).results[0].findings[0]
    assert str(finding) == (
        "DTM02 (segment 4 of the set, segment 6 of the interchange): "
        "DTM02 (373): invalid date: '2026-12' (X12 8, EDIFACT 12)"
    )
