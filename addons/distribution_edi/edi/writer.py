"""Writing X12 and EDIFACT interchanges from envelope parameters and segments.

The caller gives the envelope (:class:`X12Envelope` or :class:`EdifactEnvelope`:
identifiers, control numbers, test flag, separators) and the transaction sets
(:class:`OutboundSet`: code, control number, body segments as tuples
``("BEG", "00", "SA", "4500000042", "", "20260924")``). The writer adds the
headers and trailers with their counts and control numbers, escapes EDIFACT
data with the release character, refuses X12 data that holds a separator (X12
has no release character), and checks every set against the dictionary before
it is written, so what leaves is what the reader would accept.

Element values: ``str`` (``""`` or ``None`` for an empty element), ``int`` or
``Decimal``, a ``tuple`` of components for a composite, a ``list`` of
repetitions for a repeating element. Trailing empty elements and components
are dropped, as both standards require.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from .edifact_dictionary import EDIFACT_D96A
from .errors import EdiWriteError
from .reader import X12_DICTIONARIES
from .syntax import EDIFACT_ENCODINGS, EDIFACT_SEPARATORS, X12_SEPARATORS, Separators
from .validate import (
    check_segment,
    segment_check,
    set_is_clean,
    set_machine,
    structure_check,
)


@dataclass
class OutboundSet:
    """One transaction set or message to write; ``segments`` is the body only."""

    code: str
    control_number: str
    segments: list
    # EDIFACT: UNH S009 version:release:agency and association code (EAN008...).
    message_version: str = "D:96A:UN"
    association_code: str = ""
    # X12 005010: ST03, the implementation guide's reference.
    implementation: str = ""


@dataclass
class X12Envelope:
    """ISA and GS parameters. Groups follow the sets' functional identifiers.

    Consecutive sets of one functional identifier share a group; the groups
    take ``group_control_number``, then the next numbers up.
    """

    sender_id: str
    receiver_id: str
    control_number: int
    group_control_number: int
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender_id: str = ""  # GS02; defaults to sender_id
    application_receiver_id: str = ""  # GS03; defaults to receiver_id
    version: str = "004010"  # GS08 (may carry an industry suffix)
    test: bool = False
    acknowledgement_requested: bool = False
    timestamp: datetime.datetime = None  # default: now
    separators: Separators = X12_SEPARATORS
    authorization_qualifier: str = "00"
    authorization: str = ""
    security_qualifier: str = "00"
    security: str = ""
    encoding: str = "utf-8"


@dataclass
class EdifactEnvelope:
    """UNA/UNB parameters."""

    sender_id: str
    receiver_id: str
    control_number: str  # UNB 0020
    sender_qualifier: str = ""
    receiver_qualifier: str = ""
    syntax_identifier: str = "UNOC"
    syntax_version: str = "3"
    test: bool = False
    acknowledgement_requested: bool = False
    application_reference: str = ""
    timestamp: datetime.datetime = None
    separators: Separators = field(default_factory=lambda: EDIFACT_SEPARATORS)
    una: bool = True  # write the service string advice


# X12_SEPARATORS without the repetition separator, which 004010 does not have.
_X12_SEPARATORS_004010 = Separators(
    X12_SEPARATORS.segment, X12_SEPARATORS.element, X12_SEPARATORS.component
)


def _text(value, segment_tag, position):
    if value is None:
        return ""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int or cls is Decimal:
        return format(value, "f") if cls is Decimal else str(value)
    if cls is bool or isinstance(value, float):
        raise EdiWriteError(
            f"{segment_tag}{position:02d}: {value!r} is a {cls.__name__}; "
            "give text, an int or a Decimal"
        )
    return str(value)


def _trim(parts):
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _render_values(values, separators, escape):
    """``[tag, ...]`` -> segment text without terminator; data checked or escaped."""
    tag = values[0]
    element_sep = separators.element
    repetition_sep = separators.repetition
    parts = [tag]
    for position, value in enumerate(values[1:], 1):
        cls = value.__class__
        if cls is str:
            parts.append(escape(value, tag, position) if escape else value)
        elif cls is tuple:
            parts.append(_render_composite(value, separators, escape, tag, position))
        elif cls is list:
            if not repetition_sep:
                raise EdiWriteError(
                    f"{tag}{position:02d} repeats, and this interchange has no "
                    "repetition separator"
                )
            parts.append(
                repetition_sep.join(
                    _render_composite(item, separators, escape, tag, position)
                    if item.__class__ is tuple
                    else _leaf(item, escape, tag, position)
                    for item in value
                )
            )
        else:
            parts.append(_leaf(value, escape, tag, position))
    _trim(parts)
    text = element_sep.join(parts)
    if escape is None:
        _refuse_separators(text, parts, separators)
        if separators.component in text or (repetition_sep and repetition_sep in text):
            _x12_check_components(values, separators)
    return text


def _leaf(value, escape, tag, position):
    text = _text(value, tag, position)
    return escape(text, tag, position) if escape else text


def _render_composite(value, separators, escape, tag, position):
    components = [_leaf(item, escape, tag, position) for item in value]
    return separators.component.join(_trim(components))


def _refuse_separators(text, parts, separators):
    """X12: a separator inside data would change the document's structure."""
    if separators.segment in text or text.count(separators.element) != len(parts) - 1:
        raise EdiWriteError(_separator_message(parts, separators))


def _separator_message(parts, separators):
    tag = parts[0]
    for position, part in enumerate(parts[1:], 1):
        for name in ("segment", "element", "repetition", "component"):
            char = getattr(separators, name)
            if char and char in part:
                return (
                    f"{tag}{position:02d} {part!r} holds the {name} separator "
                    f"{char!r}, and X12 has no release character"
                )
    return f"{tag}: data holds a separator"  # pragma: no cover


def _x12_check_components(values, separators):
    """Components and repetitions: their separators may not be in the data."""
    component_sep = separators.component
    repetition_sep = separators.repetition
    tag = values[0]
    for position, value in enumerate(values[1:], 1):
        items = value if value.__class__ is list else [value]
        for item in items:
            leaves = item if item.__class__ is tuple else (item,)
            for leaf in leaves:
                if leaf.__class__ is not str:
                    continue
                for name, char in (
                    ("component", component_sep),
                    ("repetition", repetition_sep),
                ):
                    if char and char in leaf:
                        raise EdiWriteError(
                            f"{tag}{position:02d} {leaf!r} holds the {name} "
                            f"separator {char!r}, and X12 has no release character"
                        )


def _edifact_escaper(separators):
    special = separators.special_characters()
    release = separators.release

    def escape(text, tag, position):
        for char in special:
            if char in text:
                break
        else:
            return text
        if not release:
            raise EdiWriteError(
                f"{tag}{position:02d} {text!r} holds a separator and the "
                "interchange has no release character"
            )
        return "".join(release + char if char in special else char for char in text)

    return escape


def _render_fast(values, separators):
    """Render a segment whose data holds no separator; None sends it the long way.

    Joins first and then checks by counting: a separator the join did not put
    there came from the data, which then needs escaping (EDIFACT) or is refused
    (X12) by :func:`_render_values`.
    """
    component_sep = separators.component
    parts = []
    joins = 0  # component separators this function put in
    for value in values:
        cls = value.__class__
        if cls is str:
            parts.append(value)
        elif cls is tuple:
            try:
                joined = component_sep.join(value)
            except TypeError:
                return None
            if joined.count(component_sep) != len(value) - 1:
                return None
            joined = joined.rstrip(component_sep)
            joins += joined.count(component_sep)
            parts.append(joined)
        elif value is None:
            parts.append("")
        elif cls is int:
            parts.append(str(value))
        elif cls is Decimal:
            parts.append(format(value, "f"))
        else:
            return None
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    element_sep = separators.element
    text = element_sep.join(parts)
    if (
        text.count(element_sep) != len(parts) - 1
        or text.count(component_sep) != joins
        or separators.segment in text
        or (separators.release and separators.release in text)
        or (separators.repetition and separators.repetition in text)
    ):
        return None
    return text


def _render_set(set_values, separators, rows):
    """Render a whole set's segments at once; None sends it the long way.

    :func:`_render_fast` for every segment, with its separator checks done
    once on the set's text: a separator the joins did not put there came from
    the data (each segment's count can only exceed what its joins put in, so
    the totals match only if every segment's does). When ``rows`` is a list,
    each segment's values as :func:`_normalise` gives them (for the
    dictionary check) are appended to it; None is returned where
    :func:`_normalise` would convert or refuse something this does not.
    """
    element_sep = separators.element
    component_sep = separators.component
    texts = []
    elements = components = 0
    try:
        for segment in set_values:
            cls = segment.__class__
            if cls is not tuple and cls is not list:
                segment = getattr(segment, "values", segment)
            parts = []
            converted = False
            for value in segment:
                cls = value.__class__
                if cls is str:
                    parts.append(value)
                elif cls is tuple:
                    if value[-1] == "":  # IndexError for (): the long way
                        items = list(value)
                        while items and items[-1] == "":
                            items.pop()
                        if items:
                            components += len(items) - 1
                        parts.append(component_sep.join(items))
                    else:
                        components += len(value) - 1
                        parts.append(component_sep.join(value))
                elif value is None:
                    parts.append("")
                    converted = True
                elif cls is int:
                    parts.append(str(value))
                    converted = True
                elif cls is Decimal:
                    parts.append(format(value, "f"))
                    converted = True
                else:
                    return None
            if parts[-1] == "":  # IndexError for an empty segment: the long way
                while len(parts) > 1 and parts[-1] == "":
                    parts.pop()
            if rows is not None:
                if segment[0].__class__ is not str:
                    return None
                rows.append(_normalise(segment) if converted else segment)
            elements += len(parts) - 1
            texts.append(element_sep.join(parts))
    except (TypeError, IndexError):  # not text, or empty: the long way says what
        return None
    text = "".join(texts)
    if (
        text.count(element_sep) != elements
        or text.count(component_sep) != components
        or separators.segment in text
        or (separators.release and separators.release in text)
        or (separators.repetition and separators.repetition in text)
    ):
        return None
    return texts


def _render(segment, separators, escape):
    values = getattr(segment, "values", segment)
    text = _render_fast(values, separators)
    if text is None:
        text = _render_values(_normalise(values), separators, escape)
    return text


def _validate_set(set_values, set_def, dictionary, separators, decimal_marks):
    findings = []
    structure = structure_check(dictionary, set_def)
    for set_position, values in enumerate(set_values, 1):
        findings += structure.place(values[0], 0, set_position)
        check = segment_check(dictionary, values[0])
        if check is not None:
            findings += check_segment(
                values,
                check,
                decimal_marks,
                separators.repetition,
                0,
                set_position,
            )
    findings += structure.finish(0, len(set_values))
    return findings


def _normalise(segment):
    """A segment given as a tuple, list or Segment -> list of values."""
    values = getattr(segment, "values", segment)
    if not values or not isinstance(values[0], str):
        raise EdiWriteError(f"a segment must start with its tag, got {segment!r}")
    out = [values[0]]
    for position, value in enumerate(values[1:], 1):
        cls = value.__class__
        if cls is str or cls is tuple or cls is list:
            if cls is tuple:
                value = tuple(_text(item, values[0], position) for item in value)
            elif cls is list:
                value = [
                    tuple(_text(part, values[0], position) for part in item)
                    if item.__class__ is tuple
                    else _text(item, values[0], position)
                    for item in value
                ]
            out.append(value)
        else:
            out.append(_text(value, values[0], position))
    return out


def _now(timestamp):
    return timestamp or datetime.datetime.now()


def _fixed(value, width, name):
    value = str(value)
    if len(value) > width:
        raise EdiWriteError(f"{name} {value!r} is longer than its {width} characters")
    return value.ljust(width)


def _control(value, width, name):
    text = str(value).strip()
    if not text.isdigit() or len(text) > width:
        raise EdiWriteError(
            f"{name} {value!r} is not a number of at most {width} digits"
        )
    return text.zfill(width) if width == 9 else str(int(text))


def _finish(segments_text, separators, newline, encoding):
    terminator = separators.segment + ("\n" if newline else "")
    text = terminator.join(segments_text) + terminator
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        index = text.count(separators.segment, 0, error.start)
        raise EdiWriteError(
            f"segment {index + 1} ({segments_text[index][:3]}) holds "
            f"{text[error.start : error.end]!r}, which {encoding} cannot carry"
        ) from None


def write_x12(
    envelope,
    sets,
    *,
    validate=True,
    newline=False,
    dictionaries=None,
    interchange_segments=(),
):
    """An X12 interchange (bytes) holding ``sets``, with counts and envelopes.

    ``interchange_segments`` go between ISA and the first GS (TA1 segments).
    """
    separators = envelope.separators
    if separators is not X12_SEPARATORS:  # the default is known to be usable
        separators.check()
    version = envelope.version[:6]
    dictionary = (dictionaries or X12_DICTIONARIES).get(version)
    if dictionary is None:
        raise EdiWriteError(f"X12 version {envelope.version!r} is not supported")
    five = version >= "005010"
    if not five:
        separators = (
            _X12_SEPARATORS_004010
            if separators is X12_SEPARATORS
            else Separators(
                separators.segment, separators.element, separators.component
            )
        )
    moment = _now(envelope.timestamp)
    short_date, clock, long_date = moment.strftime("%y%m%d|%H%M|%Y%m%d").split("|")
    isa = [
        "ISA",
        _fixed(envelope.authorization_qualifier, 2, "ISA01"),
        _fixed(envelope.authorization, 10, "ISA02"),
        _fixed(envelope.security_qualifier, 2, "ISA03"),
        _fixed(envelope.security, 10, "ISA04"),
        _fixed(envelope.sender_qualifier, 2, "ISA05"),
        _fixed(envelope.sender_id, 15, "ISA06"),
        _fixed(envelope.receiver_qualifier, 2, "ISA07"),
        _fixed(envelope.receiver_id, 15, "ISA08"),
        short_date,
        clock,
        separators.repetition if five else "U",
        "00501" if five else "00401",
        _control(envelope.control_number, 9, "ISA13"),
        "1" if envelope.acknowledgement_requested else "0",
        "T" if envelope.test else "P",
        separators.component,
    ]
    texts = [separators.element.join(isa)]
    for segment in interchange_segments:
        texts.append(_render_values(_normalise(segment), separators, None))
    groups = []
    for outbound in sets:
        set_def = dictionary.set(outbound.code)
        if set_def is None:
            raise EdiWriteError(f"transaction set {outbound.code} is not in {version}")
        if not groups or groups[-1][0] != set_def.functional_id:
            groups.append((set_def.functional_id, []))
        groups[-1][1].append((outbound, set_def))
    first_group = int(_control(envelope.group_control_number, 9, "GS06"))
    for number, (functional_id, members) in enumerate(groups):
        group_control = str(first_group + number)
        gs = [
            "GS",
            functional_id,
            envelope.application_sender_id or envelope.sender_id,
            envelope.application_receiver_id or envelope.receiver_id,
            long_date,
            clock,
            group_control,
            "X",
            envelope.version,
        ]
        texts.append(separators.element.join(gs))
        for outbound, set_def in members:
            texts.extend(
                _x12_set(outbound, set_def, dictionary, separators, five, validate)
            )
        texts.append(separators.element.join(["GE", str(len(members)), group_control]))
    texts.append(
        separators.element.join(["IEA", str(len(groups)), isa[13]]),
    )
    return _finish(texts, separators, newline, envelope.encoding)


def _x12_set(outbound, set_def, dictionary, separators, five, validate):
    control = str(outbound.control_number)
    header = ["ST", outbound.code, control]
    if five and outbound.implementation:
        header.append(outbound.implementation)
    body = outbound.segments
    set_values = [header, *body, ["SE", str(len(body) + 2), control]]
    rows = [] if validate else None
    texts = _render_set(set_values, separators, rows)
    if validate and (
        texts is None
        or not set_is_clean(
            rows, set_machine(dictionary, set_def), separators.repetition, "."
        )
    ):
        normalised = [header, *map(_normalise, body), set_values[-1]]
        findings = _validate_set(normalised, set_def, dictionary, separators, ".")
        if findings:
            raise EdiWriteError(
                f"{outbound.code} {control} does not conform to {dictionary.version}",
                findings,
            )
    if texts is None:
        texts = [_render(values, separators, None) for values in set_values]
    return texts


def write_edifact(envelope, messages, *, validate=True, newline=False):
    """An EDIFACT interchange (bytes) holding ``messages``, with UNA/UNB/UNZ."""
    separators = envelope.separators
    syntax_version = str(envelope.syntax_version)
    if syntax_version != "4" and separators.repetition:
        separators = Separators(
            separators.segment,
            separators.element,
            separators.component,
            "",
            separators.release,
            separators.decimal,
        )
    if separators is not EDIFACT_SEPARATORS:  # the default is known to be usable
        separators.check()
    escape = _edifact_escaper(separators)
    encoding = EDIFACT_ENCODINGS.get(envelope.syntax_identifier)
    if encoding is None:
        raise EdiWriteError(f"syntax identifier {envelope.syntax_identifier!r} unknown")
    moment = _now(envelope.timestamp)
    date = moment.strftime("%Y%m%d" if syntax_version == "4" else "%y%m%d")
    control = str(envelope.control_number)
    if not control or len(control) > 14:
        raise EdiWriteError(f"UNB 0020 {control!r} must be 1 to 14 characters")
    unb = [
        "UNB",
        (envelope.syntax_identifier, syntax_version),
        (envelope.sender_id, envelope.sender_qualifier),
        (envelope.receiver_id, envelope.receiver_qualifier),
        (date, moment.strftime("%H%M")),
        control,
        "",
        envelope.application_reference,
        "",
        "1" if envelope.acknowledgement_requested else "",
        "",
        "1" if envelope.test else "",
    ]
    texts = [_render_values(unb, separators, escape)]
    for message in messages:
        texts.extend(_edifact_message(message, separators, escape, validate))
    texts.append(
        _render_values(["UNZ", str(len(messages)), control], separators, escape)
    )
    out = _finish(texts, separators, newline, encoding)
    if envelope.una:
        una = "UNA" + "".join(
            (
                separators.component,
                separators.element,
                separators.decimal,
                separators.release or " ",
                separators.repetition or " ",
                separators.segment,
            )
        )
        out = una.encode("ascii") + (b"\n" if newline else b"") + out
    return out


def _edifact_message(message, separators, escape, validate):
    version, release, agency = (message.message_version.split(":") + ["", "", ""])[:3]
    if message.code == "CONTRL" or (version, release, agency) == ("D", "96A", "UN"):
        dictionary = EDIFACT_D96A
    else:
        raise EdiWriteError(
            f"message version {message.message_version!r} is not supported"
        )
    set_def = dictionary.set(message.code)
    if set_def is None:
        raise EdiWriteError(f"message type {message.code} is not supported")
    control = str(message.control_number)
    identifier = (message.code, version, release, agency)
    if message.association_code:
        identifier += (message.association_code,)
    body = message.segments
    set_values = [
        ["UNH", control, identifier],
        *body,
        ["UNT", str(len(body) + 2), control],
    ]
    rows = [] if validate else None
    texts = _render_set(set_values, separators, rows)
    if validate and (
        texts is None
        or not set_is_clean(
            rows,
            set_machine(dictionary, set_def),
            separators.repetition,
            separators.decimal,
        )
    ):
        normalised = [set_values[0], *map(_normalise, body), set_values[-1]]
        findings = _validate_set(
            normalised, set_def, dictionary, separators, separators.decimal
        )
        if findings:
            raise EdiWriteError(
                f"{message.code} {control} does not conform to D.96A", findings
            )
    if texts is None:
        texts = [_render(values, separators, escape) for values in set_values]
    return texts
