"""Reading interchanges: envelopes, counts, control numbers, and validation.

:class:`EdiReader` streams: it reads a binary file object in blocks and yields
one :class:`TransactionSet` at a time, validated against the dictionary, with
its envelope context (:class:`InterchangeHeader`, :class:`GroupHeader`). What
it keeps is one compact :class:`SetResult` per set, the verdicts that the 997
or CONTRL reports; memory does not grow with the size of the sets.

A set's own verdict is final when it is yielded; the envelope's verdict (a GE
or UNZ that miscounts, a file that stops before its IEA) is known only at the
end of its interchange: a caller acts on a set once ``reader.interchanges``
says its interchange was not rejected (see :func:`read` for the simple case).

Leniency: line breaks and whitespace between segments, a missing final
terminator, an ISA that is not fixed-width, an ISA12 this reader does not know,
an industry suffix on GS08 (``004010VICS``): read, and written down in
``Interchange.notes``. Everything refused is a located :class:`~.errors.Finding`.
"""

import gc
from dataclasses import dataclass, field, replace
from sys import intern

from .edifact_dictionary import EDIFACT_D96A
from .errors import ErrorKind, Finding
from .syntax import EDIFACT, X12, Lexer
from .validate import (
    check_segment,
    fast_checks,
    segment_check,
    segments_are_clean,
    set_machine,
    structure_check,
)
from .x12_dictionary import X12_004010, X12_005010

X12_DICTIONARIES = {"004010": X12_004010, "005010": X12_005010}
EDIFACT_DICTIONARIES = {("D", "96A", "UN"): EDIFACT_D96A}
KNOWN_ISA_VERSIONS = ("00401", "00501")

# The tags that open or close an envelope level.
_X12_CONTROL_TAGS = frozenset(("ISA", "GS", "GE", "IEA", "ST", "SE"))
_EDIFACT_CONTROL_TAGS = frozenset(("UNB", "UNG", "UNE", "UNZ", "UNH", "UNT"))

ACCEPTED = "A"
ACCEPTED_WITH_ERRORS = "E"
PARTIALLY_ACCEPTED = "P"
REJECTED = "R"


@dataclass
class InterchangeHeader:
    """What an ISA or UNB says (identifiers stripped of their padding)."""

    dialect: str
    separators: object
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    date: str
    time: str
    version: str  # ISA12, or the EDIFACT syntax version number
    test: bool
    acknowledgement_requested: bool
    syntax_identifier: str = ""  # EDIFACT UNB S001 0001 (UNOA, UNOC, ...)
    encoding: str = ""
    index: int = 1  # which interchange of the input, from 1
    segment: object = None  # the header Segment as read


@dataclass
class GroupHeader:
    """What a GS or UNG says."""

    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: str
    date: str
    time: str
    version: str  # GS08 as sent, or UNG S008 version:release
    segment: object = None


class SetResult:
    """The verdict on one transaction set, as its acknowledgement reports it."""

    __slots__ = (
        "code",
        "control_number",
        "version",
        "implementation",
        "position",
        "segment_count",
        "status",
        "findings",
        "message_identifier",
    )

    def __init__(self, code, control_number, position):
        self.code = code
        self.control_number = control_number
        self.position = position
        self.version = ""
        self.implementation = ""  # X12 ST03 (005010)
        self.segment_count = 0
        self.status = ACCEPTED
        self.findings = []
        self.message_identifier = ()  # EDIFACT UNH S009 components

    @property
    def accepted(self):
        return self.status in (ACCEPTED, ACCEPTED_WITH_ERRORS)

    def __repr__(self):
        return (
            f"SetResult({self.code}/{self.control_number}: {self.status}, "
            f"{len(self.findings)} finding(s))"
        )


class TransactionSet:
    """One transaction set (X12) or message (EDIFACT), read and judged.

    ``segments`` runs from ST to SE (UNH to UNT) inclusive; ``interchange`` and
    ``group`` are the envelope context (``group`` is None for EDIFACT messages
    outside a UNG group).
    """

    __slots__ = ("segments", "interchange", "group", "result")

    def __init__(self, segments, interchange, group, result):
        self.segments = segments
        self.interchange = interchange
        self.group = group
        self.result = result

    code = property(lambda self: self.result.code)
    control_number = property(lambda self: self.result.control_number)
    version = property(lambda self: self.result.version)
    status = property(lambda self: self.result.status)
    findings = property(lambda self: self.result.findings)
    accepted = property(lambda self: self.result.accepted)

    @property
    def body(self):
        """The segments between header and trailer."""
        return self.segments[1:-1]

    def find(self, tag):
        """The first segment with ``tag``, or None."""
        for segment in self.segments:
            if segment.values[0] == tag:
                return segment
        return None

    def find_all(self, tag):
        return [segment for segment in self.segments if segment.values[0] == tag]

    def __repr__(self):
        return (
            f"TransactionSet({self.code}/{self.control_number}, "
            f"{len(self.segments)} segments, {self.status})"
        )


@dataclass
class Group:
    """A functional group (or the implicit one of EDIFACT messages without UNG)."""

    header: GroupHeader = None
    position: int = 0
    results: list = field(default_factory=list)  # all, or only those with findings
    received: int = 0  # sets read, kept or not
    accepted: int = 0  # of which accepted (A or E) on their own
    with_findings: int = 0
    transaction_sets: list = field(default_factory=list)  # only with keep_sets
    findings: list = field(default_factory=list)
    declared_count: str = ""
    complete: bool = False

    @property
    def implicit(self):
        return self.header is None

    @property
    def rejected(self):
        return any(finding.fatal for finding in self.findings)

    @property
    def received_count(self):
        return self.received

    @property
    def accepted_count(self):
        return 0 if self.rejected else self.accepted

    @property
    def status(self):
        """AK901: A, E (accepted, errors noted), P (partially), R (rejected)."""
        accepted = self.accepted_count
        if self.rejected or (self.received and not accepted):
            return REJECTED
        if accepted < self.received:
            return PARTIALLY_ACCEPTED
        if self.findings or self.with_findings:
            return ACCEPTED_WITH_ERRORS
        return ACCEPTED


@dataclass
class Interchange:
    """One interchange's envelope, groups, verdicts and leniency notes."""

    header: InterchangeHeader
    groups: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    acknowledgements: list = field(default_factory=list)  # TA1 segments received
    declared_count: str = ""
    complete: bool = False

    @property
    def dialect(self):
        return self.header.dialect

    @property
    def rejected(self):
        """True when the envelope itself is at fault (TA1 R / UCI action 4)."""
        return any(finding.fatal for finding in self.findings)

    @property
    def status(self):
        if self.rejected:
            return REJECTED
        return ACCEPTED_WITH_ERRORS if self.findings else ACCEPTED

    @property
    def results(self):
        return [result for group in self.groups for result in group.results]

    @property
    def transaction_sets(self):
        return [ts for group in self.groups for ts in group.transaction_sets]

    def all_findings(self):
        """Every finding of the interchange, its groups and its sets, in order."""
        found = list(self.findings)
        for group in self.groups:
            found += group.findings
            for result in group.results:
                found += result.findings
        return found


class _End:
    """Where the input ended, for findings about what never arrived."""

    def __init__(self, position):
        self.position = position
        self.values = ("",)


def _message_identifier(values):
    """UNH S009's five components, as ``Segment.get(2, n)`` reads them."""
    value = values[2] if len(values) > 2 else ""
    if value.__class__ is list:
        value = value[0] if value else ""
    if value.__class__ is tuple:
        value = value[:5]
        return value + ("",) * (5 - len(value))
    return (value, "", "", "", "")


def _envelope_findings(dictionary, segment, tag=None):
    """check_segment's findings on an envelope segment (checked as ``tag``)."""
    values = segment.values
    tag = tag or values[0]
    fast = fast_checks(dictionary)[tag]
    if fast is not None and fast(values, "", "."):
        return ()
    check = segment_check(dictionary, tag)
    return check_segment(values, check, ".", "", segment.position)


def _same_number(left, right):
    left, right = left.strip(), right.strip()
    if left.isdigit() and right.isdigit():
        return int(left) == int(right)
    return left == right


class EdiReader:
    """Streams transaction sets out of X12 and EDIFACT interchanges.

    ``source`` is a binary file object, ``bytes`` or ``str``. Iterating yields
    :class:`TransactionSet` objects; ``interchanges`` lists an
    :class:`Interchange` per interchange read (complete once iteration ended).
    ``strict`` rejects a set for any finding, not only the fatal ones;
    ``keep_sets`` keeps every set (with its segments) on its group;
    ``keep_results=False`` keeps the verdict of only the sets with findings
    (and counts the others), so memory stays flat however many sets arrive;
    the 997 or CONTRL then lists those sets, and the group verdict covers the
    rest.
    """

    def __init__(
        self,
        source,
        *,
        strict=False,
        keep_sets=False,
        keep_results=True,
        encoding=None,
        chunk_size=1 << 20,
        x12_dictionaries=None,
        edifact_dictionaries=None,
    ):
        self._lexer = Lexer(source, chunk_size=chunk_size, encoding=encoding)
        self.strict = strict
        self.keep_sets = keep_sets
        self.keep_results = keep_results
        self.x12_dictionaries = x12_dictionaries or X12_DICTIONARIES
        self.edifact_dictionaries = edifact_dictionaries or EDIFACT_DICTIONARIES
        self.interchanges = []
        self._interchange = None
        self._group = None
        self._set = None  # list of segments of the open set
        self._control_tags = ()  # the tags that open or close an envelope level
        self._last_position = 0

    # -- the envelope state machine -------------------------------------------

    def __iter__(self):
        lexer = self._lexer
        open_set = None
        control_tags = ()
        for batch in lexer.batches():
            for segment in batch:
                tag = segment.values[0]
                if open_set is not None and tag not in control_tags:
                    open_set.append(segment)
                    continue
                self._last_position = segment.position
                finished = self._envelope(segment, tag, lexer.syntax)
                open_set, control_tags = self._set, self._control_tags
                if finished is not None:
                    yield finished
        finished = self._end_of_input()
        if finished is not None:
            yield finished

    def _envelope(self, segment, tag, syntax):
        """Handle a segment outside a set, or one that closes it."""
        x12 = syntax.dialect == X12
        finished = None
        if tag == ("ISA" if x12 else "UNB"):
            finished = self._close_all(segment)
            self._open_interchange(segment, syntax)
            return finished
        interchange = self._interchange
        if interchange is None:  # pragma: no cover - the lexer starts with a header
            return None
        if tag == ("ST" if x12 else "UNH"):
            finished = self._close_set(None, segment)
            if self._group is None:
                if x12 or any(not group.implicit for group in interchange.groups):
                    self._structure_error(segment, f"{tag} outside a functional group")
                self._open_group(None, segment)
            self._set = [segment]
        elif tag == ("SE" if x12 else "UNT"):
            if self._set is None:
                self._structure_error(
                    segment, f"{tag} without its {'ST' if x12 else 'UNH'}"
                )
            else:
                self._set.append(segment)
                finished = self._close_set(segment, segment)
        elif tag == ("GS" if x12 else "UNG"):
            finished = self._close_set(None, segment)
            self._close_group(None, segment)
            if not x12 and any(group.implicit for group in interchange.groups):
                self._structure_error(segment, "UNG after messages outside groups")
            self._open_group(segment, segment)
        elif tag == ("GE" if x12 else "UNE"):
            finished = self._close_set(None, segment)
            if self._group is None or self._group.implicit:
                self._structure_error(
                    segment, f"{tag} without its {'GS' if x12 else 'UNG'}"
                )
            else:
                self._close_group(segment, segment)
        elif tag == ("IEA" if x12 else "UNZ"):
            finished = self._close_set(None, segment)
            self._close_group(None, segment)
            self._close_interchange(segment)
        elif x12 and tag == "TA1":
            interchange.acknowledgements.append(segment)
        else:
            self._structure_error(segment, f"{tag} outside a transaction set")
        return finished

    def _end_of_input(self):
        return self._close_all(None)

    def _close_all(self, segment):
        """Close what is open when a new ISA/UNB (``segment``) or the end comes."""
        if self._interchange is None:
            return None
        if self._set is not None:
            self._last_position = max(self._last_position, self._set[-1].position)
        at = segment if segment is not None else _End(self._last_position + 1)
        finished = self._close_set(None, at)
        self._close_group(None, at)
        if not self._interchange.complete:
            trailer = "IEA" if self._interchange.dialect == X12 else "UNZ"
            self._interchange.findings.append(
                Finding(
                    ErrorKind.INTERCHANGE_TRAILER_MISSING,
                    trailer,
                    at.position,
                    detail=(
                        f"the interchange ends without its {trailer}"
                        + (
                            f": {segment.values[0]} starts another"
                            if segment is not None
                            else ": the file was cut short"
                        )
                    ),
                )
            )
        self._interchange = None
        return finished

    def _structure_error(self, segment, detail):
        self._interchange.findings.append(
            Finding(
                ErrorKind.INTERCHANGE_STRUCTURE_INVALID,
                segment.values[0],
                segment.position,
                detail=detail,
            )
        )

    # -- interchange ------------------------------------------------------------

    def _open_interchange(self, segment, syntax):
        values = segment.values
        get = segment.get
        if syntax.dialect == X12:
            # The lexer never splits ISA: its elements are text, as get() reads.
            isa = values + [""] * (16 - len(values)) if len(values) < 16 else values
            header = InterchangeHeader(
                X12,
                syntax.separators,
                isa[5].strip(),
                isa[6].strip(),
                isa[7].strip(),
                isa[8].strip(),
                isa[13].strip(),
                isa[9],
                isa[10],
                isa[12].strip(),
                isa[15] == "T",
                isa[14] == "1",
                encoding=syntax.encoding,
                index=syntax.index,
                segment=segment,
            )
            self._control_tags = _X12_CONTROL_TAGS
            dictionary = X12_005010 if header.version >= "00501" else X12_004010
        else:
            header = InterchangeHeader(
                EDIFACT,
                syntax.separators,
                get(2, 2),
                get(2),
                get(3, 2),
                get(3),
                get(5),
                get(4, 1),
                get(4, 2),
                get(1, 2),
                get(11) == "1",
                get(9) == "1",
                syntax_identifier=get(1),
                encoding=syntax.encoding,
                index=syntax.index,
                segment=segment,
            )
            self._control_tags = _EDIFACT_CONTROL_TAGS
            dictionary = EDIFACT_D96A
        interchange = Interchange(header, notes=syntax.notes)
        self._interchange = interchange
        self.interchanges.append(interchange)
        self._check_envelope_segment(values, dictionary, segment.position)
        if syntax.dialect == X12 and header.version not in KNOWN_ISA_VERSIONS:
            interchange.notes.append(
                f"ISA12 {header.version!r} is not 00401 or 00501: the envelope was "
                "read by the 00401 rules"
            )
        if syntax.dialect == EDIFACT and header.version not in ("1", "2", "3", "4"):
            interchange.notes.append(
                f"syntax version {header.version!r} unknown: read as syntax 3"
            )

    def _check_envelope_segment(self, values, dictionary, position):
        fast = fast_checks(dictionary)[values[0]]
        if fast is None or fast(values, "", "."):
            return
        check = segment_check(dictionary, values[0])
        for finding in check_segment(values, check, ".", "", position):
            self._interchange.findings.append(
                replace(finding, kind=ErrorKind.INTERCHANGE_HEADER_INVALID)
            )

    def _close_interchange(self, segment):
        interchange = self._interchange
        header = interchange.header
        interchange.complete = True
        x12 = header.dialect == X12
        dictionary = X12_004010 if x12 else EDIFACT_D96A
        self._check_envelope_segment(segment.values, dictionary, segment.position)
        count = segment.get(1)
        interchange.declared_count = count
        explicit_groups = [group for group in interchange.groups if not group.implicit]
        if x12 or explicit_groups:
            actual, what = len(interchange.groups), "groups"
        else:
            actual = sum(group.received for group in interchange.groups)
            what = "messages"
        if not (count.isdigit() and int(count) == actual):
            interchange.findings.append(
                Finding(
                    ErrorKind.INTERCHANGE_COUNT_MISMATCH,
                    segment.values[0],
                    segment.position,
                    element=1,
                    value=count,
                    detail=(
                        f"{segment.values[0]}01 counts {count or 'nothing'}, "
                        f"the interchange holds {actual} {what}"
                    ),
                )
            )
        control = segment.get(2)
        if not _same_number(control, header.control_number):
            interchange.findings.append(
                Finding(
                    ErrorKind.INTERCHANGE_CONTROL_MISMATCH,
                    segment.values[0],
                    segment.position,
                    element=2,
                    value=control,
                    detail=(
                        f"{segment.values[0]}02 {control!r} does not repeat the "
                        f"header's control number {header.control_number!r}"
                    ),
                )
            )
        self._interchange = None

    # -- group ------------------------------------------------------------------

    def _open_group(self, segment, at):
        interchange = self._interchange
        header = None
        if segment is not None:
            get = segment.get
            if interchange.dialect == X12:
                header = GroupHeader(
                    get(1), get(2), get(3), get(6), get(4), get(5), get(8), segment
                )
            else:
                header = GroupHeader(
                    get(1),
                    get(2),
                    get(3),
                    get(5),
                    get(4, 1),
                    get(4, 2),
                    f"{get(7, 1)}:{get(7, 2)}",
                    segment,
                )
        group = Group(header, at.position)
        interchange.groups.append(group)
        self._group = group
        if segment is None:
            return
        dictionary = X12_004010 if interchange.dialect == X12 else EDIFACT_D96A
        for finding in _envelope_findings(dictionary, segment):
            if finding.element == 6 and interchange.dialect == X12:
                kind = ErrorKind.GROUP_CONTROL_INVALID
                group.findings.append(replace(finding, kind=kind))
            else:
                kind = ErrorKind.INTERCHANGE_HEADER_INVALID
                interchange.findings.append(replace(finding, kind=kind))
        if interchange.dialect == X12:
            version = header.version[:6]
            if version not in self.x12_dictionaries:
                group.findings.append(
                    Finding(
                        ErrorKind.GROUP_VERSION_UNSUPPORTED,
                        "GS",
                        segment.position,
                        element=8,
                        value=header.version,
                        detail=(
                            f"GS08 {header.version!r}: version "
                            f"{version} is not supported (only "
                            f"{', '.join(sorted(self.x12_dictionaries))})"
                        ),
                    )
                )
            elif header.version != version:
                interchange.notes.append(
                    f"GS08 {header.version!r} read as {version}, "
                    "without its industry identifier"
                )

    def _close_group(self, segment, at):
        """Close the open group (``segment`` None: it never got its trailer)."""
        group = self._group
        if group is None:
            return
        self._group = None
        if group.implicit:  # EDIFACT messages without UNG: nothing to close
            group.complete = True
            return
        x12 = self._interchange.dialect == X12
        trailer = "GE" if x12 else "UNE"
        if segment is None:
            group.findings.append(
                Finding(
                    ErrorKind.GROUP_TRAILER_MISSING,
                    trailer,
                    at.position,
                    detail=f"group {group.header.control_number} has no {trailer}",
                )
            )
            return
        group.complete = True
        dictionary = X12_004010 if x12 else EDIFACT_D96A
        for finding in _envelope_findings(dictionary, segment, trailer):
            self._interchange.findings.append(
                replace(finding, kind=ErrorKind.INTERCHANGE_HEADER_INVALID)
            )
        count = segment.get(1)
        group.declared_count = count
        if not (count.isdigit() and int(count) == group.received):
            group.findings.append(
                Finding(
                    ErrorKind.GROUP_COUNT_MISMATCH,
                    trailer,
                    segment.position,
                    element=1,
                    value=count,
                    detail=(
                        f"{trailer}01 counts {count or 'nothing'}, the group holds "
                        f"{group.received} set(s)"
                    ),
                )
            )
        control = segment.get(2)
        if not _same_number(control, group.header.control_number):
            group.findings.append(
                Finding(
                    ErrorKind.GROUP_CONTROL_MISMATCH,
                    trailer,
                    segment.position,
                    element=2,
                    value=control,
                    detail=(
                        f"{trailer}02 {control!r} does not repeat the group "
                        f"control number {group.header.control_number!r}"
                    ),
                )
            )
        if group.rejected:
            for result in group.results:
                result.status = REJECTED

    # -- transaction set --------------------------------------------------------

    def _close_set(self, trailer, at):
        """Judge the open set (``trailer`` None: it never got one) and return it."""
        segments = self._set
        if segments is None:
            return None
        self._set = None
        interchange = self._interchange
        group = self._group
        x12 = interchange.dialect == X12
        head = segments[0]
        if x12:
            result = SetResult(intern(head.get(1)), head.get(2), head.position)
        else:
            result = SetResult(intern(head.get(2, 1)), head.get(1), head.position)
        result.segment_count = len(segments)
        findings = result.findings
        if x12:
            result.implementation = head.get(3)
        else:
            result.message_identifier = _message_identifier(head.values)
        set_def, dictionary = self._definition(head, group, result)
        if set_def is not None:
            findings += self._validate(segments, set_def, dictionary, interchange)
        if trailer is None:
            findings.append(
                Finding(
                    ErrorKind.SET_TRAILER_MISSING,
                    "SE" if x12 else "UNT",
                    at.position,
                    len(segments) + 1,
                    detail=(
                        f"{result.code} {result.control_number} has no "
                        f"{'SE' if x12 else 'UNT'}"
                    ),
                )
            )
        else:
            self._check_trailer(trailer, len(segments), result)
        if not findings:
            result.findings = ()  # most sets: keep no list per set
            fatal = False
        else:
            fatal = any(finding.fatal for finding in findings)
        if (
            fatal
            or (self.strict and findings)
            or (group is not None and group.findings and group.rejected)
        ):
            result.status = REJECTED
        elif findings:
            result.status = ACCEPTED_WITH_ERRORS
        group.received += 1
        group.accepted += result.accepted
        if result.findings:
            group.with_findings += 1
        if self.keep_results or result.findings:
            group.results.append(result)
        transaction_set = TransactionSet(
            segments, interchange.header, group.header, result
        )
        if self.keep_sets:
            group.transaction_sets.append(transaction_set)
        return transaction_set

    def _definition(self, head, group, result):
        """The set's definition and dictionary, or None with a finding why not."""
        tag = head.values[0]
        if not result.code:
            result.findings.append(
                Finding(
                    ErrorKind.SET_IDENTIFIER_INVALID,
                    tag,
                    head.position,
                    1,
                    element=1,
                    detail=f"{tag}01 is empty",
                )
            )
            return None, None
        if not result.control_number:
            result.findings.append(
                Finding(
                    ErrorKind.SET_CONTROL_INVALID,
                    tag,
                    head.position,
                    1,
                    element=2,
                    detail=f"{tag}02 is empty",
                )
            )
        if tag == "ST":
            header = group.header

            def unsupported(detail):
                result.findings.append(
                    Finding(
                        ErrorKind.SET_NOT_SUPPORTED,
                        tag,
                        head.position,
                        1,
                        element=1,
                        value=result.code,
                        detail=detail,
                    )
                )

            if header is None:
                dictionary = X12_004010
            else:
                dictionary = self.x12_dictionaries.get(header.version[:6])
            if dictionary is None:
                unsupported(
                    f"{result.code} is in a group of version "
                    f"{header.version!r}, which is not supported"
                )
                return None, None
            result.version = dictionary.version
            set_def = dictionary.set(result.code)
            if set_def is None:
                unsupported(f"transaction set {result.code} is not supported")
                return None, None
            if header is not None and set_def.functional_id != header.functional_id:
                unsupported(
                    f"{result.code} belongs in a {set_def.functional_id} "
                    f"group, not in GS01 {header.functional_id!r}"
                )
            return set_def, dictionary
        identifier = result.message_identifier
        code, version, release, agency = identifier[:4]
        result.version = f"{version}:{release}:{agency}"
        if code == "CONTRL":
            return EDIFACT_D96A.set("CONTRL"), EDIFACT_D96A
        dictionary = self.edifact_dictionaries.get((version, release, agency))
        if dictionary is None:
            bad = 3 if version == "D" else 2
            result.findings.append(
                Finding(
                    ErrorKind.SET_NOT_SUPPORTED,
                    "UNH",
                    head.position,
                    1,
                    element=2,
                    component=bad,
                    value=release if bad == 3 else version,
                    detail=(
                        f"{code} {version}:{release}:{agency} is not a supported "
                        "directory (only "
                        + ", ".join(":".join(key) for key in self.edifact_dictionaries)
                        + ")"
                    ),
                )
            )
            return None, None
        set_def = dictionary.set(code)
        if set_def is None:
            result.findings.append(
                Finding(
                    ErrorKind.SET_NOT_SUPPORTED,
                    "UNH",
                    head.position,
                    1,
                    element=2,
                    component=1,
                    value=code,
                    detail=f"message type {code} is not supported",
                )
            )
            return None, None
        return set_def, dictionary

    def _validate(self, segments, set_def, dictionary, interchange):
        findings = []
        separators = interchange.header.separators
        if interchange.dialect == X12:
            decimal_marks, repetition = ".", separators.repetition
        else:
            decimal_marks, repetition = ".,", ""  # EDIFACT repeats are lexed
        if segments_are_clean(
            segments,
            set_machine(dictionary, set_def),
            repetition,
            decimal_marks,
        ):
            return findings
        structure = structure_check(dictionary, set_def)
        place = structure.place
        compiled = dictionary.compiled
        set_position = 0
        for segment in segments:
            set_position += 1
            values = segment.values
            tag = values[0]
            placed = place(tag, segment.position, set_position)
            if placed:
                findings += placed
            check = compiled.get(tag)
            if check is None:
                check = segment_check(dictionary, tag)
                if check is None:
                    continue
            element_findings = check_segment(
                values,
                check,
                decimal_marks,
                repetition,
                segment.position,
                set_position,
            )
            if element_findings:
                loop = structure.loop_of
                findings += [replace(found, loop=loop) for found in element_findings]
        last = segments[-1]
        findings += structure.finish(last.position, len(segments))
        return findings

    def _check_trailer(self, trailer, count, result):
        tag = trailer.values[0]
        declared = trailer.get(1)
        if not (declared.isdigit() and int(declared) == count):
            result.findings.append(
                Finding(
                    ErrorKind.SET_COUNT_MISMATCH,
                    tag,
                    trailer.position,
                    count,
                    element=1,
                    value=declared,
                    detail=(
                        f"{tag}01 counts {declared or 'nothing'} segments, "
                        f"the set holds {count}"
                    ),
                )
            )
        control = trailer.get(2)
        if control.strip() != result.control_number.strip():
            result.findings.append(
                Finding(
                    ErrorKind.SET_CONTROL_MISMATCH,
                    tag,
                    trailer.position,
                    count,
                    element=2,
                    value=control,
                    detail=(
                        f"{tag}02 {control!r} does not repeat the header's "
                        f"{result.control_number!r}"
                    ),
                )
            )


def read(source, **options):
    """Read everything: the list of :class:`Interchange`, sets kept on groups.

    For files that fit in memory; use :class:`EdiReader` to stream large ones.
    """
    reader = EdiReader(source, keep_sets=True, **options)
    # Everything read is kept and nothing read is cyclic: the collector's full
    # passes over a growing heap would only cost time (about a third of it).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _transaction_set in reader:
            pass
    finally:
        if collecting:
            gc.enable()
    return reader.interchanges


def iter_transaction_sets(source, **options):
    """Yield every transaction set of ``source`` (see :class:`EdiReader`)."""
    yield from EdiReader(source, **options)
