"""What can be wrong with an interchange, located, and in both dialects' codes.

Every problem the reader finds is a :class:`Finding`: *what* (an
:class:`ErrorKind`) and *where* (segment position in the interchange and in
the transaction set, tag, element, component, repetition). An error kind
carries the code the X12 acknowledgement reports it with (TA1 ``I18``, AK9
``716``, AK5 ``718``, AK3 ``720`` or AK4 ``723``, by level) and the UN/EDIFACT
syntax error code (``0085``) a CONTRL reports it with, so the acknowledgement
builders never translate prose.

Exceptions are for what stops reading or writing altogether:
:class:`EdiSyntaxError` (the bytes are not an interchange that can be read
further) and :class:`EdiWriteError` (the writer was asked for something it
cannot put on the wire).
"""

from dataclasses import dataclass
from enum import Enum

INTERCHANGE = "interchange"
GROUP = "group"
SET = "set"
SEGMENT = "segment"
ELEMENT = "element"


class ErrorKind(Enum):
    """An error kind: level, X12 code, EDIFACT 0085 code, fatal?, description.

    ``fatal`` errors reject the transaction set (or the group, or the
    interchange, by level); the others are reported and the set is still
    accepted, unless the reader is strict.
    """

    # Interchange level: X12 TA1 note codes (I18), EDIFACT UCI 0085.
    INTERCHANGE_CONTROL_MISMATCH = (
        INTERCHANGE,
        "001",
        "28",
        True,
        "interchange control number in header and trailer do not match",
    )
    INTERCHANGE_HEADER_INVALID = (
        INTERCHANGE,
        "024",
        "12",
        False,
        "interchange header element invalid",
    )
    INTERCHANGE_COUNT_MISMATCH = (
        INTERCHANGE,
        "021",
        "29",
        True,
        "number of included groups or messages does not match the count",
    )
    INTERCHANGE_STRUCTURE_INVALID = (
        INTERCHANGE,
        "022",
        "15",
        True,
        "segment out of place in the envelope structure",
    )
    INTERCHANGE_TRAILER_MISSING = (
        INTERCHANGE,
        "023",
        "13",
        True,
        "interchange trailer missing: the file ends before it",
    )
    # Functional group level: X12 AK9 716, EDIFACT UCF 0085.
    GROUP_NOT_SUPPORTED = (
        GROUP,
        "1",
        "14",
        True,
        "functional group not supported",
    )
    GROUP_VERSION_UNSUPPORTED = (
        GROUP,
        "2",
        "14",
        True,
        "functional group version not supported",
    )
    GROUP_TRAILER_MISSING = (
        GROUP,
        "3",
        "13",
        True,
        "functional group trailer missing",
    )
    GROUP_CONTROL_MISMATCH = (
        GROUP,
        "4",
        "28",
        True,
        "group control number in header and trailer do not match",
    )
    GROUP_COUNT_MISMATCH = (
        GROUP,
        "5",
        "29",
        True,
        "number of included transaction sets does not match the count",
    )
    GROUP_CONTROL_INVALID = (
        GROUP,
        "6",
        "12",
        True,
        "group control number violates syntax",
    )
    # Transaction set / message level: X12 AK5 718, EDIFACT UCM 0085.
    SET_NOT_SUPPORTED = (
        SET,
        "1",
        "14",
        True,
        "transaction set or message type/version not supported",
    )
    SET_TRAILER_MISSING = (
        SET,
        "2",
        "13",
        True,
        "transaction set trailer missing",
    )
    SET_CONTROL_MISMATCH = (
        SET,
        "3",
        "28",
        True,
        "control number in header and trailer do not match",
    )
    SET_COUNT_MISMATCH = (
        SET,
        "4",
        "29",
        True,
        "number of included segments does not match the actual count",
    )
    SET_IDENTIFIER_INVALID = (
        SET,
        "6",
        "12",
        True,
        "transaction set identifier missing or invalid",
    )
    SET_CONTROL_INVALID = (
        SET,
        "7",
        "12",
        True,
        "transaction set control number missing or invalid",
    )
    # Segment level: X12 AK3 720, EDIFACT UCS 0085.
    SEGMENT_UNRECOGNIZED = (
        SEGMENT,
        "1",
        "15",
        False,
        "unrecognized segment ID",
    )
    SEGMENT_UNEXPECTED = (
        SEGMENT,
        "2",
        "15",
        False,
        "unexpected segment",
    )
    SEGMENT_MANDATORY_MISSING = (
        SEGMENT,
        "3",
        "13",
        True,
        "mandatory segment missing",
    )
    LOOP_TOO_MANY = (
        SEGMENT,
        "4",
        "36",
        False,
        "loop occurs over maximum times",
    )
    SEGMENT_TOO_MANY = (
        SEGMENT,
        "5",
        "35",
        False,
        "segment exceeds maximum use",
    )
    SEGMENT_NOT_IN_SET = (
        SEGMENT,
        "6",
        "15",
        False,
        "segment not in defined transaction set",
    )
    SEGMENT_OUT_OF_SEQUENCE = (
        SEGMENT,
        "7",
        "15",
        False,
        "segment not in proper sequence",
    )
    # Element level: X12 AK4 723, EDIFACT UCD 0085.
    ELEMENT_MANDATORY_MISSING = (
        ELEMENT,
        "1",
        "13",
        True,
        "mandatory data element missing",
    )
    TOO_MANY_ELEMENTS = (
        ELEMENT,
        "3",
        "16",
        False,
        "too many data elements",
    )
    ELEMENT_TOO_SHORT = (
        ELEMENT,
        "4",
        "40",
        False,
        "data element too short",
    )
    ELEMENT_TOO_LONG = (
        ELEMENT,
        "5",
        "39",
        False,
        "data element too long",
    )
    INVALID_CHARACTER = (
        ELEMENT,
        "6",
        "37",
        False,
        "invalid character in data element",
    )
    INVALID_CODE = (
        ELEMENT,
        "7",
        "12",
        False,
        "invalid code value",
    )
    INVALID_DATE = (
        ELEMENT,
        "8",
        "12",
        False,
        "invalid date",
    )
    INVALID_TIME = (
        ELEMENT,
        "9",
        "12",
        False,
        "invalid time",
    )
    # 004010's element 723 has no code for these (005010 adds 12 and 13, which
    # many 004010 partners refuse in a 997), so X12 reports them as a character
    # the element cannot hold: the separator.
    TOO_MANY_COMPONENTS = (
        ELEMENT,
        "6",
        "16",
        False,
        "simple data element arrived with components",
    )
    TOO_MANY_REPETITIONS = (
        ELEMENT,
        "6",
        "16",
        False,
        "data element repeated more often than allowed",
    )

    def __init__(self, level, x12_code, edifact_code, fatal, description):
        self.level = level
        self.x12_code = x12_code
        self.edifact_code = edifact_code
        self.fatal = fatal
        self.description = description


@dataclass(frozen=True)
class Finding:
    """One located problem.

    Positions count from 1. ``position`` is the segment's position in the
    interchange (the ISA or UNB is 1; UNA is no segment), ``set_position`` its
    position in the transaction set (ST or UNH is 1; 0 outside a set).
    ``element`` 0 means the whole segment; ``component`` and ``repetition`` 0
    mean the whole element. ``value`` is the offending data, when there is one.
    """

    kind: ErrorKind
    tag: str = ""
    position: int = 0
    set_position: int = 0
    element: int = 0
    component: int = 0
    repetition: int = 0
    element_ref: str = ""
    value: str = ""
    loop: str = ""
    detail: str = ""

    @property
    def fatal(self):
        return self.kind.fatal

    @property
    def level(self):
        return self.kind.level

    @property
    def location(self):
        """Where, in words: ``BEG05 (segment 2 of the set, 4 of the interchange)``."""
        where = self.tag
        if self.element:
            where += f"{self.element:02d}"
            if self.component:
                where += f"-{self.component}"
            if self.repetition:
                where += f" repetition {self.repetition}"
        places = []
        if self.set_position:
            places.append(f"segment {self.set_position} of the set")
        if self.position:
            places.append(f"segment {self.position} of the interchange")
        if places:
            where += f" ({', '.join(places)})"
        return where.strip()

    def __str__(self):
        text = self.detail or self.kind.description
        if self.value and self.value not in text:
            text += f": {self.value!r}"
        codes = f"X12 {self.kind.x12_code}, EDIFACT {self.kind.edifact_code}"
        where = self.location
        return f"{where}: {text} ({codes})" if where else f"{text} ({codes})"


class EdiError(ValueError):
    """Base of the codec's exceptions."""


class EdiSyntaxError(EdiError):
    """The bytes cannot be read further as an interchange.

    ``offset`` is the byte offset in the input where reading stopped,
    ``interchange`` the 1-based index of the interchange in the input.
    """

    def __init__(self, message, *, offset=None, interchange=None):
        where = []
        if interchange is not None:
            where.append(f"interchange {interchange}")
        if offset is not None:
            where.append(f"byte {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.offset = offset
        self.interchange = interchange


class EdiWriteError(EdiError):
    """The writer refused a document; ``findings`` says what and where."""

    def __init__(self, message, findings=()):
        self.findings = tuple(findings)
        if self.findings:
            message += ": " + "; ".join(str(finding) for finding in self.findings[:5])
            if len(self.findings) > 5:
                message += f"; and {len(self.findings) - 5} more"
        super().__init__(message)
