"""The shared real-world samples: what a lenient partner accepts, what it refuses.

The samples were written by other projects (tests/edi/samples/SOURCES.md), and
several are imperfect on purpose.
"""

import edi
import pytest
from edi import ErrorKind
from edi.ack import build_acknowledgement
from edi_builders import SAMPLES, our_edifact_envelope, our_x12_envelope

ACCEPTED_X12 = [
    "x12/node-x12_850.edi",
    "x12/node-x12_850_2.edi",
    "x12/node-x12_850_3.edi",
    "x12/node-x12_855.edi",
]


@pytest.mark.parametrize("name", ACCEPTED_X12)
def test_x12_samples_are_accepted_without_findings(name, sample, assert_mock_clean):
    [interchange] = edi.read(sample(name))
    assert interchange.complete and interchange.all_findings() == []
    assert [result.status for result in interchange.results] == ["A"]
    ack = build_acknowledgement(interchange, our_x12_envelope(interchange))
    assert b"AK5*A~" in ack and b"AK9*A*1*1*1~" in ack
    assert_mock_clean(ack)


def test_850_leniency_is_written_down(sample):
    [interchange] = edi.read(sample("x12/node-x12_850.edi"))
    assert interchange.notes == [
        "line breaks between segments ignored",
        "ISA12 '00400' is not 00401 or 00501: the envelope was read by the 00401 rules",
        "GS08 '004010VICS' read as 004010, without its industry identifier",
    ]
    po1 = interchange.transaction_sets[0].find_all("PO1")
    assert len(po1) == 6 and po1[0].get(7) == "065322-117"


def test_850_with_newline_terminators(sample):
    [interchange] = edi.read(sample("x12/node-x12_850_2.edi"))
    assert interchange.header.separators.segment == "\n"
    assert interchange.transaction_sets[0].find("AMT").values == [
        "AMT",
        "1",
        "13045.94",
    ]


def test_855_line_acknowledgements_are_read(sample):
    [interchange] = edi.read(sample("x12/node-x12_855.edi"))
    acks = interchange.transaction_sets[0].find_all("ACK")
    assert [(ack.get(1), ack.get(29)) for ack in acks] == [
        ("IA", "AC"),
        ("IR", "CW"),
        ("IR", "KK"),
        ("IA", "AC"),
    ]


def test_856_in_004060_is_refused_at_its_group(sample, assert_mock_clean):
    [interchange] = edi.read(sample("x12/node-x12_856.edi"))
    assert not interchange.rejected
    group = interchange.groups[0]
    [finding] = group.findings
    assert finding.kind is ErrorKind.GROUP_VERSION_UNSUPPORTED
    assert (finding.tag, finding.position, finding.element, finding.value) == (
        "GS",
        2,
        8,
        "004060",
    )
    [result] = group.results
    assert result.status == "R"
    assert result.findings[0].kind is ErrorKind.SET_NOT_SUPPORTED
    # ISA11 '-' is its repetition separator (00406), but no element of a
    # supported set repeats: the part number keeps its hyphen.
    assert interchange.header.separators.repetition == "-"
    assert interchange.transaction_sets[0].find("REF").get(2) == "999999-001"
    ack = build_acknowledgement(interchange, our_x12_envelope(interchange))
    assert b"AK2*856*0008~\nAK5*R*1~" in ack.replace(b"~", b"~\n")
    assert b"AK9*R*1*1*0*2~" in ack
    assert_mock_clean(ack)


@pytest.mark.parametrize(
    ("name", "position"),
    [("edifact/pydifact_order.edi", 18), ("edifact/pydifact_order2.edi", 13)],
)
def test_edifact_orders_without_unz_are_refused_at_the_end(
    name, position, sample, assert_mock_clean
):
    [interchange] = edi.read(sample(name))
    [finding] = interchange.findings
    assert finding.kind is ErrorKind.INTERCHANGE_TRAILER_MISSING
    assert (finding.tag, finding.position) == ("UNZ", position)
    assert interchange.rejected and not interchange.complete
    # The message itself was sound: it is the envelope that is refused.
    [result] = interchange.results
    assert result.status == "A" and not result.findings
    contrl = build_acknowledgement(interchange, our_edifact_envelope(interchange))
    assert b"+4+13+UNZ'" in contrl
    assert_mock_clean(contrl)


def test_order_sample_reads_its_una_and_association_code(sample):
    [interchange] = edi.read(sample("edifact/pydifact_order.edi"))
    assert interchange.header.separators.decimal == ","
    assert interchange.header.syntax_identifier == "UNOA"
    assert interchange.results[0].message_identifier == (
        "ORDERS",
        "D",
        "96A",
        "UN",
        "EAN008",
    )


def test_invoic_in_d97a_is_refused_by_its_version(sample, assert_mock_clean):
    [interchange] = edi.read(sample("edifact/pydifact_invoice1.edi"))
    assert not interchange.rejected and interchange.complete
    [result] = interchange.results
    [finding] = result.findings
    assert finding.kind is ErrorKind.SET_NOT_SUPPORTED
    assert (finding.tag, finding.position, finding.element, finding.component) == (
        "UNH",
        2,
        2,
        3,
    )
    assert finding.value == "97A" and result.status == "R"
    contrl = build_acknowledgement(interchange, our_edifact_envelope(interchange))
    assert b"UCM+1+INVOIC:D:97A:UN+4+14+UNH+2:3'" in contrl
    assert_mock_clean(contrl)


def test_every_shared_sample_is_covered():
    names = sorted(str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*.edi"))
    covered = [
        *ACCEPTED_X12,
        "x12/node-x12_856.edi",
        "edifact/pydifact_order.edi",
        "edifact/pydifact_order2.edi",
        "edifact/pydifact_invoice1.edi",
    ]
    assert names == sorted(covered)
