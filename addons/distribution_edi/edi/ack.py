"""Acknowledgements for what was read: 997 and TA1 (X12), CONTRL (EDIFACT).

Each builder takes an :class:`~.reader.Interchange` as the reader left it and
the envelope of the acknowledgement to send (our identifiers, our control
numbers), and returns the bytes to send. The codes come from the findings'
:class:`~.errors.ErrorKind`, so what the 997 or CONTRL says is exactly what the
reader found, located the same way:

- 997: one per functional group; ``AK2``/``AK5`` per transaction set, ``AK3``
  per segment in error (``AK304`` segment code, or 8 for element errors),
  ``AK4`` per element (position, component, reference, code, bad value),
  ``AK9`` with the group's verdict and counts.
- TA1: the interchange's own verdict (``TA104``) and note code (``TA105``),
  the answer when the envelope itself is at fault.
- CONTRL: ``UCI`` for the interchange (action 4 rejected, 7 acknowledged),
  ``UCF`` per group when the interchange used UNG, ``UCM`` per message,
  ``UCS``/``UCD`` per segment and element in error.
"""

from .errors import ELEMENT, GROUP, SEGMENT, SET, ErrorKind
from .reader import ACCEPTED, REJECTED
from .syntax import X12
from .writer import OutboundSet, write_edifact, write_x12

MAX_AK4_PER_SEGMENT = 99
MAX_UCD_PER_SEGMENT = 99

# TA105 note codes for an invalid ISA element, by position.
_ISA_NOTE_CODES = {
    1: "010",
    2: "011",
    3: "012",
    4: "013",
    5: "005",
    6: "006",
    7: "007",
    8: "008",
    9: "014",
    10: "015",
    11: "016",
    12: "017",
    13: "018",
    14: "019",
    15: "020",
    16: "027",
}


def _by_segment(findings, levels):
    """Findings of ``levels`` grouped by set position, in order."""
    grouped = {}
    for finding in findings:
        if finding.level in levels:
            grouped.setdefault(finding.set_position, []).append(finding)
    return sorted(grouped.items())


def _unique(codes, limit=5):
    seen = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return seen[:limit]


def _printable_copy(value, separators):
    """AK404's copy of the bad value, unless it cannot travel in the 997."""
    if not value or len(value) > 99 or not value.isprintable():
        return ""
    if any(char in value for char in separators.special_characters()):
        return ""
    return value


def _ak_segments(result, group_rejected, five, separators):
    segments = [
        (
            ("AK2", result.code, result.control_number, result.implementation)
            if five and result.implementation
            else ("AK2", result.code, result.control_number)
        )
    ]
    for set_position, findings in _by_segment(result.findings, (SEGMENT, ELEMENT)):
        segment_findings = [f for f in findings if f.level == SEGMENT]
        element_findings = [f for f in findings if f.level == ELEMENT]
        for finding in segment_findings:
            segments.append(
                (
                    "AK3",
                    finding.tag,
                    str(set_position),
                    finding.loop,
                    finding.kind.x12_code,
                )
            )
        if element_findings:
            first = element_findings[0]
            segments.append(("AK3", first.tag, str(set_position), first.loop, "8"))
            for finding in element_findings[:MAX_AK4_PER_SEGMENT]:
                position = (
                    (str(finding.element), str(finding.component))
                    if finding.component
                    else str(finding.element)
                )
                reference = finding.element_ref if finding.element_ref.isdigit() else ""
                segments.append(
                    (
                        "AK4",
                        position,
                        reference,
                        finding.kind.x12_code,
                        _printable_copy(finding.value, separators),
                    )
                )
    status = REJECTED if group_rejected else result.status
    codes = [f.kind.x12_code for f in result.findings if f.level == SET]
    if any(f.level in (SEGMENT, ELEMENT) for f in result.findings):
        codes.append("5")
    segments.append(("AK5", status, *_unique(codes)))
    return segments


def functional_acknowledgements(
    interchange, first_control_number=1, five=False, separators=None
):
    """One 997 :class:`~.writer.OutboundSet` per group of ``interchange``."""
    separators = separators or interchange.header.separators
    sets = []
    # A set outside any GS has no group to acknowledge: its interchange is
    # rejected, and a TA1 answers it.
    groups = [group for group in interchange.groups if group.header is not None]
    for number, group in enumerate(groups):
        header = group.header
        ak1 = ["AK1", header.functional_id, header.control_number]
        if five:
            ak1.append(header.version)
        segments = [tuple(ak1)]
        for result in group.results:
            segments += _ak_segments(result, group.rejected, five, separators)
        declared = group.declared_count if group.declared_count.isdigit() else ""
        codes = _unique(f.kind.x12_code for f in group.findings if f.level == GROUP)
        segments.append(
            (
                "AK9",
                group.status,
                declared or str(group.received_count),
                str(group.received_count),
                str(group.accepted_count),
                *codes,
            )
        )
        control = str(int(first_control_number) + number).zfill(4)
        sets.append(OutboundSet("997", control, segments))
    return sets


def build_997(interchange, envelope, *, first_control_number=1, newline=False):
    """The 997 interchange (bytes) acknowledging every group of ``interchange``.

    ``envelope`` (:class:`~.writer.X12Envelope`) is ours: sender, receiver,
    interchange and group control numbers. Sets are numbered from
    ``first_control_number``.
    """
    five = envelope.version[:6] >= "005010"
    sets = functional_acknowledgements(
        interchange, first_control_number, five, envelope.separators
    )
    return write_x12(envelope, sets, newline=newline)


def ta1_segment(interchange):
    """The TA1 segment answering ``interchange``'s envelope."""
    header = interchange.header
    fatal = [f for f in interchange.findings if f.fatal]
    others = [f for f in interchange.findings if not f.fatal]
    if fatal:
        code, note = "R", _note_code(fatal[0])
    elif others:
        code, note = "E", _note_code(others[0])
    else:
        code, note = "A", "000"
    return ("TA1", header.control_number, header.date, header.time, code, note)


def _note_code(finding):
    if finding.kind is ErrorKind.INTERCHANGE_HEADER_INVALID and finding.tag == "ISA":
        return _ISA_NOTE_CODES.get(finding.element, "024")
    return finding.kind.x12_code


def build_ta1(interchange, envelope, *, newline=False):
    """An interchange holding only the TA1 for ``interchange``."""
    return write_x12(
        envelope, [], newline=newline, interchange_segments=[ta1_segment(interchange)]
    )


def _s011(finding):
    if not finding.element:
        return ""
    if finding.component:
        return (str(finding.element), str(finding.component))
    return str(finding.element)


def _ucs_ucd(findings):
    segments = []
    for set_position, found in _by_segment(findings, (SEGMENT, ELEMENT)):
        segment_level = [f for f in found if f.level == SEGMENT]
        code = segment_level[0].kind.edifact_code if segment_level else ""
        segments.append(("UCS", str(set_position), code))
        for finding in [f for f in found if f.level == ELEMENT][:MAX_UCD_PER_SEGMENT]:
            segments.append(("UCD", finding.kind.edifact_code, _s011(finding)))
    return segments


def _ucm(result, group_rejected):
    identifier = tuple(result.message_identifier[:4]) or (result.code,)
    rejected = group_rejected or result.status == REJECTED
    set_level = [f for f in result.findings if f.level == SET]
    segment = ["UCM", result.control_number, identifier, "4" if rejected else "7"]
    if set_level:
        first = set_level[0]
        segment += [first.kind.edifact_code, first.tag, _s011(first)]
    return [tuple(segment), *_ucs_ucd(result.findings)]


def contrl_segments(interchange):
    """The CONTRL body (UCI, UCF, UCM, UCS, UCD) for ``interchange``."""
    header = interchange.header
    uci = [
        "UCI",
        header.control_number,
        (header.sender_id, header.sender_qualifier),
        (header.receiver_id, header.receiver_qualifier),
    ]
    fatal = [f for f in interchange.findings if f.fatal]
    if fatal:
        first = fatal[0]
        service_tag = first.tag if first.tag[:2] == "UN" else ""
        uci += ["4", first.kind.edifact_code, service_tag, _s011(first)]
        return [tuple(uci)]
    uci.append("7")
    segments = [tuple(uci)]
    for group in interchange.groups:
        if group.header is not None:
            group_level = [f for f in group.findings if f.level == GROUP]
            ucf = [
                "UCF",
                group.header.control_number,
                group.header.sender_id,
                group.header.receiver_id,
                "4" if group.rejected else "7",
            ]
            if group_level:
                ucf += [group_level[0].kind.edifact_code, group_level[0].tag]
            segments.append(tuple(ucf))
        for result in group.results:
            segments += _ucm(result, group.rejected)
    return segments


def build_contrl(interchange, envelope, *, control_number="1", newline=False):
    """The CONTRL interchange (bytes) answering ``interchange``.

    ``envelope`` (:class:`~.writer.EdifactEnvelope`) is ours; ``control_number``
    is the CONTRL's own message reference (UNH 0062).
    """
    message = OutboundSet(
        "CONTRL", control_number, contrl_segments(interchange), message_version="D:3:UN"
    )
    return write_edifact(envelope, [message], newline=newline)


def build_acknowledgement(interchange, envelope, **options):
    """What a partner expects back: CONTRL, TA1 (envelope at fault) or 997."""
    if interchange.dialect != X12:
        return build_contrl(interchange, envelope, **options)
    if interchange.rejected:
        return build_ta1(interchange, envelope, newline=options.get("newline", False))
    return build_997(interchange, envelope, **options)


def summary(interchange):
    """One line per verdict, for logs and exception queues."""
    lines = [f"interchange {interchange.header.control_number}: {interchange.status}"]
    lines += [f"  {finding}" for finding in interchange.findings]
    for group in interchange.groups:
        if group.header is not None:
            lines.append(f"  group {group.header.control_number}: {group.status}")
            lines += [f"    {finding}" for finding in group.findings]
        for result in group.results:
            verdict = "accepted" if result.status == ACCEPTED else result.status
            lines.append(f"    {result.code} {result.control_number}: {verdict}")
            lines += [f"      {finding}" for finding in result.findings]
    return "\n".join(lines)
