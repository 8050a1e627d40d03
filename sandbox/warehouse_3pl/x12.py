"""The sandbox warehouse's own small X12 reader and writer (standard library).

Deliberately independent of the suite's codec (``addons/distribution_edi/edi``):
the sandbox is the suite's peer in tests, so it must not share the code under
test. It reads what a depositor sends (940, 943, 997), answers with a 997 and
writes the warehouse's 945, 944, 846 and 947 as plain segment lists.
"""

from datetime import datetime, timezone
from decimal import Decimal

ELEMENT = "*"
COMPONENT = ">"
SEGMENT = "~"
FUNCTIONAL_IDS = {
    "940": "OW",
    "943": "AR",
    "944": "RE",
    "945": "SW",
    "846": "IB",
    "947": "AW",
    "997": "FA",
}


class X12Error(ValueError):
    """An interchange the sandbox cannot read at all (answered with 400)."""


class ReadSet:
    """One transaction set: code, control number, body segments, problems."""

    def __init__(self, code, control, group_id, group_control):
        self.code = code
        self.control = control
        self.group_id = group_id
        self.group_control = group_control
        self.segments = []  # each a list: [tag, element1, ...]
        self.problems = []

    def get(self, segment, position):
        return segment[position] if position < len(segment) else ""


def parse(data):
    """Split an interchange into :class:`ReadSet` objects and its ISA values."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        raise X12Error("not an X12 interchange (no ISA header)")
    element, terminator = text[3], text[105]
    segments = [
        part.strip("\r\n").split(element)
        for part in text.split(terminator)
        if part.strip("\r\n ")
    ]
    isa = segments[0]
    if len(isa) != 17:
        raise X12Error(f"ISA has {len(isa) - 1} elements, not 16")
    sets, current, group = [], None, ("", "")
    for segment in segments[1:]:
        tag = segment[0]
        if tag == "GS":
            group = (segment[1] if len(segment) > 1 else "", _at(segment, 6))
        elif tag == "ST":
            current = ReadSet(_at(segment, 1), _at(segment, 2), *group)
            sets.append(current)
        elif tag == "SE":
            if current is None:
                raise X12Error("SE without ST")
            expected = len(current.segments) + 2
            if _at(segment, 1) != str(expected):
                current.problems.append(
                    f"SE01 says {_at(segment, 1)} segments, the set has {expected}"
                )
            if _at(segment, 2) != current.control:
                current.problems.append("SE02 does not repeat ST02")
            current = None
        elif tag in ("GE", "IEA"):
            continue
        elif current is not None:
            current.segments.append(segment)
        else:
            raise X12Error(f"segment {tag} outside a transaction set")
    if current is not None:
        raise X12Error(f"transaction set {current.code} has no SE")
    return isa, sets


def _at(segment, position):
    return segment[position] if position < len(segment) else ""


def _fixed(value, width):
    return str(value)[:width].ljust(width)


def interchange(sender, receiver, control, sets, moment=None):
    """Bytes of an interchange; ``sets`` are (code, control, body segments).

    Consecutive sets of one functional identifier share a group.
    """
    moment = moment or datetime.now(timezone.utc)
    lines = [
        ELEMENT.join(
            [
                "ISA",
                "00",
                _fixed("", 10),
                "00",
                _fixed("", 10),
                "ZZ",
                _fixed(sender, 15),
                "ZZ",
                _fixed(receiver, 15),
                moment.strftime("%y%m%d"),
                moment.strftime("%H%M"),
                "U",
                "00401",
                str(control).zfill(9),
                "0",
                "P",
                COMPONENT,
            ]
        )
    ]
    groups = []
    for code, set_control, body in sets:
        functional_id = FUNCTIONAL_IDS[code]
        if not groups or groups[-1][0] != functional_id:
            groups.append((functional_id, []))
        groups[-1][1].append((code, set_control, body))
    for number, (functional_id, members) in enumerate(groups, start=int(control)):
        lines.append(
            ELEMENT.join(
                [
                    "GS",
                    functional_id,
                    sender,
                    receiver,
                    moment.strftime("%Y%m%d"),
                    moment.strftime("%H%M"),
                    str(number),
                    "X",
                    "004010",
                ]
            )
        )
        for code, set_control, body in members:
            lines.append(f"ST{ELEMENT}{code}{ELEMENT}{set_control}")
            lines += [render(segment) for segment in body]
            lines.append(f"SE{ELEMENT}{len(body) + 2}{ELEMENT}{set_control}")
        lines.append(f"GE{ELEMENT}{len(members)}{ELEMENT}{number}")
    lines.append(f"IEA{ELEMENT}{len(groups)}{ELEMENT}{str(control).zfill(9)}")
    return (SEGMENT + "\n").join(lines).encode() + SEGMENT.encode() + b"\n"


def render(segment):
    """``["W12", "CC", Decimal("5")]`` -> ``W12*CC*5`` (trailing empties cut)."""
    values = ["" if value is None else _text(value) for value in segment]
    while values and values[-1] == "":
        values.pop()
    for value in values:
        if any(char in value for char in (ELEMENT, SEGMENT, COMPONENT)):
            raise ValueError(f"{segment[0]} holds a separator: {value!r}")
    return ELEMENT.join(values)


def _text(value):
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def acknowledgement(sets, isa):
    """A 997 body per functional group of ``sets`` (A, or R with AK5 codes)."""
    groups = {}
    for read_set in sets:
        groups.setdefault((read_set.group_id, read_set.group_control), []).append(
            read_set
        )
    bodies = []
    for (group_id, group_control), members in groups.items():
        body = [["AK1", group_id, group_control]]
        accepted = 0
        for read_set in members:
            body.append(["AK2", read_set.code, read_set.control])
            if read_set.problems:
                body.append(["AK5", "R", "5"])
            else:
                accepted += 1
                body.append(["AK5", "A"])
        status = "A" if accepted == len(members) else ("P" if accepted else "R")
        body.append(["AK9", status, len(members), len(members), accepted])
        bodies.append(body)
    return bodies
