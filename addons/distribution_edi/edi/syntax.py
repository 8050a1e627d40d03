"""Separators, the segment model and the streaming lexer of both dialects.

Both dialects declare their own separators in the interchange: X12 by position
in the fixed-width ISA (element separator after ``ISA``, repetition separator in
ISA11 from version 00402 on, component separator in ISA16, segment terminator
right after it), EDIFACT in the optional UNA service string advice (otherwise
``:+.? '``). The lexer reads them from each interchange it meets, so a file
holding several interchanges with different separators is read correctly.

The lexer works on a binary stream in blocks cut at a segment terminator (an
ASCII byte, so never inside a multi-byte character): memory stays bounded by
the block size whatever the size of the interchange.

A segment's values are ``[tag, element1, element2, ...]``; an element is a
``str``, a ``tuple`` of components (composite), or a ``list`` of repetitions.
"""

import io
from dataclasses import dataclass, field

from .errors import EdiSyntaxError

X12 = "X12"
EDIFACT = "EDIFACT"

_WHITESPACE = b" \t\r\n\x00\x1a"  # \x1a: the DOS end-of-file a few senders keep


@dataclass(frozen=True)
class Separators:
    """How an interchange is punctuated; empty means "not used"."""

    segment: str
    element: str
    component: str
    repetition: str = ""
    release: str = ""
    decimal: str = "."

    def special_characters(self):
        return tuple(
            char
            for char in (
                self.segment,
                self.element,
                self.component,
                self.repetition,
                self.release,
            )
            if char
        )

    def check(self):
        """Raise ValueError unless the separators are usable single characters."""
        chars = self.special_characters()
        for char in chars:
            if len(char) != 1:
                raise ValueError(f"separator {char!r} is not a single character")
            if char.isalnum():
                raise ValueError(f"separator {char!r} is a letter or digit")
        if len(set(chars)) != len(chars):
            raise ValueError(f"separators are not distinct: {chars!r}")


X12_SEPARATORS = Separators(segment="~", element="*", component=">", repetition="^")
EDIFACT_SEPARATORS = Separators(
    segment="'", element="+", component=":", release="?", decimal="."
)

# UNB syntax identifiers and the Python codec that reads each.
EDIFACT_ENCODINGS = {
    "UNOA": "latin-1",  # ASCII subsets; Latin-1 reads them and never fails
    "UNOB": "latin-1",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}


class Segment:
    """One segment: ``values[0]`` is the tag, ``values[n]`` element n.

    ``position`` is the segment's position in its interchange (header = 1).
    """

    __slots__ = ("values", "position")

    def __init__(self, values, position=0):
        self.values = values
        self.position = position

    @property
    def tag(self):
        return self.values[0]

    @property
    def elements(self):
        return self.values[1:]

    def __len__(self):
        return len(self.values) - 1

    def raw(self, position):
        """The element as read: str, tuple (composite) or list (repetitions)."""
        values = self.values
        return values[position] if 0 < position < len(values) else ""

    def get(self, position, component=1, default=""):
        """Element ``position`` (1-based), or one of its components, as text.

        A simple element is its own first component; of a repeated element the
        first repetition is read.
        """
        values = self.values
        if not 0 < position < len(values):
            return default
        value = values[position]
        if value.__class__ is list:
            value = value[0] if value else ""
        if value.__class__ is tuple:
            return value[component - 1] if component <= len(value) else default
        if component != 1:
            return default
        return value if value != "" else default

    def repetitions(self, position):
        """Element ``position`` as a list of its repetitions."""
        value = self.raw(position)
        if value == "":
            return []
        return list(value) if value.__class__ is list else [value]

    def __eq__(self, other):
        return isinstance(other, Segment) and self.values == other.values

    def __hash__(self):
        return hash(repr(self.values))

    def __repr__(self):
        return f"Segment({self.values!r}, position={self.position})"


@dataclass
class Syntax:
    """What the lexer learned from one interchange header."""

    dialect: str
    separators: Separators
    encoding: str
    index: int  # 1-based index of the interchange in the input
    offset: int  # byte offset of the header in the input
    una: str = ""  # the UNA service string advice, when there was one
    notes: list = field(default_factory=list)  # what leniency let through

    @property
    def trailer_tag(self):
        return "IEA" if self.dialect == X12 else "UNZ"


def _x12_syntax(head, offset, index, encoding):
    text = head[:300].decode("latin-1")
    element = text[3:4]
    if not element or element.isalnum() or element.isspace():
        raise EdiSyntaxError(
            f"ISA has no usable element separator ({element!r})",
            offset=offset + 3,
            interchange=index,
        )
    # ISA has 16 elements, so 16 element separators; ISA16 follows the last one.
    fields = text[4:].split(element, 15)
    if len(fields) < 16:
        raise EdiSyntaxError(
            "ISA ends before its 16 elements", offset=offset, interchange=index
        )
    rest = fields.pop()
    cut = len(text) - len(rest) - 1
    component = rest[:1]
    terminator = rest[1:2]
    if not component or not terminator:
        raise EdiSyntaxError(
            "ISA ends before ISA16 and the segment terminator",
            offset=offset + cut,
            interchange=index,
        )
    notes = []
    if cut != 103:
        notes.append(
            f"ISA is not fixed-width: ISA16 is at character {cut + 1}, not 104; "
            "read with the separators it declares"
        )
    version = fields[11].strip() if len(fields) > 11 else ""
    standards = fields[10] if len(fields) > 10 else ""
    repetition = ""
    # ISA11 became the repetition separator in 00402; before, it is "U".
    if (
        version >= "00402"
        and len(standards) == 1
        and not standards.isalnum()
        and not standards.isspace()
        and standards not in (element, component, terminator)
    ):
        repetition = standards
    separators = Separators(terminator, element, component, repetition)
    try:
        separators.check()
    except ValueError as error:
        raise EdiSyntaxError(
            f"ISA declares unusable separators: {error}",
            offset=offset,
            interchange=index,
        ) from None
    return Syntax(X12, separators, encoding or "utf-8", index, offset, notes=notes), 0


def _edifact_syntax(head, offset, index, encoding):
    text = head[:300].decode("latin-1")
    consumed = 0
    una = ""
    if text.startswith("UNA"):
        if len(text) < 9:
            raise EdiSyntaxError(
                "UNA is shorter than its 6 characters", offset=offset, interchange=index
            )
        una = text[:9]
        component, element, decimal, release, repetition, terminator = una[3:9]
        release = "" if release == " " else release
        repetition = "" if repetition == " " else repetition
        consumed = 9
        rest = text[9:].lstrip(" \r\n\t")
        consumed += len(text[9:]) - len(rest)
    else:
        component, element, decimal, release, repetition, terminator = ":+.? '"
        release = "?"
        repetition = ""
        rest = text
    if not rest.startswith("UNB"):
        raise EdiSyntaxError(
            "expected UNB after the UNA service string advice"
            if una
            else "not an X12 or EDIFACT interchange: no ISA, UNA or UNB",
            offset=offset + consumed,
            interchange=index,
        )
    syntax_id = rest[4:8]
    syntax_version = rest[9:10] if rest[8:9] == component else ""
    if not una and syntax_version == "4":
        repetition = "*"  # syntax 4's default, where UNA would say it
    notes = []
    if encoding is None:
        encoding = EDIFACT_ENCODINGS.get(syntax_id)
        if encoding is None:
            encoding = "latin-1"
            notes.append(f"unknown syntax identifier {syntax_id!r}: read as Latin-1")
    separators = Separators(
        terminator, element, component, repetition, release, decimal or "."
    )
    try:
        separators.check()
    except ValueError as error:
        raise EdiSyntaxError(
            f"UNA declares unusable separators: {error}",
            offset=offset,
            interchange=index,
        ) from None
    return Syntax(EDIFACT, separators, encoding, index, offset, una, notes), consumed


def detect_syntax(head, offset=0, index=1, encoding=None):
    """Dialect and separators from the first bytes of an interchange.

    Returns ``(syntax, consumed)``: ``consumed`` bytes (the UNA) are not a
    segment. Raises :class:`EdiSyntaxError` when the bytes start no interchange.
    """
    if head.startswith(b"ISA"):
        return _x12_syntax(head, offset, index, encoding)
    if head.startswith((b"UNA", b"UNB")):
        return _edifact_syntax(head, offset, index, encoding)
    raise EdiSyntaxError(
        f"not an X12 or EDIFACT interchange: starts with {head[:20]!r}",
        offset=offset,
        interchange=index,
    )


def _join_released(pieces, separator, release):
    """Glue back pieces whose separator was released (preceded by an odd run)."""
    joined = []
    carry = None
    for piece in pieces:
        if carry is not None:
            piece = carry + separator + piece
            carry = None
        stripped = piece.rstrip(release)
        if (len(piece) - len(stripped)) % 2:
            carry = piece
        else:
            joined.append(piece)
    if carry is not None:
        joined.append(carry + separator)  # released terminator at the very end
    return joined


def split_released(raw, separators):
    """Split one segment's text when it holds release characters.

    Returns the values list with escapes removed; composites become tuples and,
    when the syntax declares a repetition separator, repetitions lists.
    """
    element_sep = separators.element
    component_sep = separators.component
    repetition_sep = separators.repetition
    release = separators.release
    values = []
    repetitions = []
    components = []
    current = []
    index = 0
    length = len(raw)

    def close_component():
        components.append("".join(current))
        current.clear()

    def close_repetition():
        close_component()
        value = tuple(components) if len(components) > 1 else components[0]
        components.clear()
        repetitions.append(value)

    def close_element():
        close_repetition()
        values.append(list(repetitions) if len(repetitions) > 1 else repetitions[0])
        repetitions.clear()

    while index < length:
        char = raw[index]
        if char == release and index + 1 < length:
            current.append(raw[index + 1])
            index += 2
            continue
        if char == element_sep:
            close_element()
        elif char == component_sep:
            close_component()
        elif repetition_sep and char == repetition_sep:
            close_repetition()
        else:
            current.append(char)
        index += 1
    close_element()
    return values


def unescape(text, release):
    """Remove release characters (``?+`` -> ``+``, ``??`` -> ``?``)."""
    if not release or release not in text:
        return text
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == release and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


class Lexer:
    """Reads a binary stream into segments, one interchange after another.

    ``segments()`` yields :class:`Segment` objects; ``syntax`` is the syntax of
    the interchange the last yielded segment belongs to, and changes when the
    next interchange header is read. ``notes`` on each syntax say what was let
    through leniently (line breaks, a missing final terminator, ...).
    """

    def __init__(self, stream, chunk_size=1 << 20, encoding=None):
        if isinstance(stream, str):
            stream, encoding = io.BytesIO(stream.encode("utf-8")), "utf-8"
        elif isinstance(stream, (bytes, bytearray, memoryview)):
            stream = io.BytesIO(bytes(stream))
        self._stream = stream
        self._chunk_size = chunk_size
        self._encoding = encoding
        self._buffer = b""
        self._eof = False
        self._offset = 0  # byte offset of _buffer[0] in the input
        self.syntax = None
        self.interchange_count = 0

    def _read(self):
        if self._eof:
            return False
        data = self._stream.read(self._chunk_size)
        if not data:
            self._eof = True
            return False
        self._buffer += data
        return True

    def _start_interchange(self):
        """Skip whitespace, then read the next header's syntax; False at the end."""
        while True:
            stripped = self._buffer.lstrip(_WHITESPACE)
            self._offset += len(self._buffer) - len(stripped)
            self._buffer = stripped
            if len(self._buffer) >= 300 or (self._eof and self._buffer):
                break
            if not self._read():
                if not self._buffer:
                    return False
                break
        self.interchange_count += 1
        syntax, consumed = detect_syntax(
            self._buffer, self._offset, self.interchange_count, self._encoding
        )
        self._buffer = self._buffer[consumed:]
        self._offset += consumed
        self.syntax = syntax
        return True

    def _decode(self, block, syntax):
        try:
            return block.decode(syntax.encoding)
        except UnicodeDecodeError as error:
            note = (
                f"bytes that are not {syntax.encoding} near byte "
                f"{self._offset + error.start}: read as Latin-1"
            )
            if note not in syntax.notes:
                syntax.notes.append(note)
            syntax.encoding = "latin-1"
            return block.decode("latin-1")

    def segments(self):
        """Yield every segment of every interchange in the stream."""
        for batch in self.batches():
            yield from batch

    def batches(self):
        """Yield the segments of every interchange, as lists in input order.

        A list never spans two interchanges: its interchange's trailer ends it,
        and ``syntax`` changes only when the next list is asked for.
        """
        position = 0
        while self._start_interchange():
            syntax = self.syntax
            separators = syntax.separators
            terminator = separators.segment
            terminator_byte = terminator.encode("ascii")
            element_sep = separators.element
            release = separators.release
            split_repetitions = syntax.dialect == EDIFACT and separators.repetition
            trailer = syntax.trailer_tag
            trailer_head = trailer + element_sep
            pending = ""
            position = 0
            line_breaks_noted = False
            ended = False
            while not ended:
                cut = self._buffer.rfind(terminator_byte)
                if cut < 0 and not self._eof:
                    self._read()
                    continue
                if cut < 0:
                    block, self._buffer = self._buffer, b""
                else:
                    block, self._buffer = (
                        self._buffer[: cut + 1],
                        self._buffer[cut + 1 :],
                    )
                block_offset = self._offset
                self._offset += len(block)
                text = pending + self._decode(block, syntax)
                pieces = text.split(terminator)
                released = release and release in text
                if released:
                    pieces = _join_released(pieces, terminator, release)
                pending = pieces.pop()
                at_end = self._eof and not self._buffer
                if at_end and pending.strip():
                    pieces.append(pending)
                    syntax.notes.append(
                        f"the last segment ({pending.strip()[:3]}) has no terminator"
                    )
                    pending = ""
                if not line_breaks_noted and ("\n" in text or "\r" in text):
                    if terminator not in "\r\n":
                        syntax.notes.append("line breaks between segments ignored")
                    line_breaks_noted = True
                if released or (split_repetitions and separators.repetition in text):
                    batch, stop = self._lex_pieces(pieces, separators, position)
                    batches = (batch,)
                else:
                    # The common case: each piece splits plainly. The trailer
                    # is found by searching the text, not by testing each piece.
                    stop = 0
                    at = text.find(trailer)
                    while at >= 0:
                        index = text.count(terminator, 0, at)
                        if index >= len(pieces):
                            break
                        raw = pieces[index].strip()
                        if raw == trailer or raw.startswith(trailer_head):
                            stop = index + 1
                            break
                        at = text.find(trailer, at + 1)
                    batches = self._split_pieces(
                        pieces, stop or len(pieces), separators, position
                    )
                if stop:
                    rest = "".join(piece + terminator for piece in pieces[stop:])
                    rest = (rest + pending).encode(syntax.encoding)
                    self._buffer = rest + self._buffer
                    self._offset = block_offset + len(block) - len(rest)
                    ended = True
                for batch in batches:
                    position += len(batch)
                    if batch:
                        yield batch
                if at_end:
                    ended = True

    @staticmethod
    def _split_pieces(pieces, stop, separators, position, size=256):
        """Segments of ``pieces[:stop]`` (no release character, no repetitions).

        In lists of at most ``size``, so that memory holds the block's text and
        one list of segments, not a block's worth of segments.
        """
        element_sep = separators.element
        component_sep = separators.component
        for start in range(0, stop, size):
            stripped = [
                piece.strip() for piece in pieces[start : min(start + size, stop)]
            ]
            rows = [
                raw.split(element_sep)
                if component_sep not in raw
                else _composite_row(raw, element_sep, component_sep)
                for raw in stripped
                if raw
            ]
            yield list(
                map(Segment, rows, range(position + 1, position + 1 + len(rows)))
            )
            position += len(rows)

    def _lex_pieces(self, pieces, separators, position):
        """Segments of pieces that hold release characters or repetitions.

        Returns the segments and, when the interchange's trailer is among
        them, the number of pieces up to and including it (else 0).
        """
        element_sep = separators.element
        component_sep = separators.component
        release = separators.release
        split_repetitions = separators.repetition and self.syntax.dialect == EDIFACT
        trailer = self.syntax.trailer_tag
        batch = []
        for index, raw in enumerate(pieces):
            raw = raw.strip()
            if not raw:
                continue
            if release and release in raw:
                values = split_released(raw, separators)
            else:
                values = raw.split(element_sep)
                if component_sep in raw and values[0] != "ISA":
                    values = [
                        tuple(value.split(component_sep))
                        if component_sep in value
                        else value
                        for value in values
                    ]
                if split_repetitions and separators.repetition in raw:
                    values = _split_repetitions(values, separators)
            position += 1
            batch.append(Segment(values, position))
            if values[0] == trailer:
                return batch, index + 1
        return batch, 0


def _composite_row(raw, element_sep, component_sep):
    """A segment's values when its text holds the component separator."""
    values = raw.split(element_sep)
    if values[0] == "ISA":  # ISA16 is the component separator itself
        return values
    return [
        tuple(value.split(component_sep)) if component_sep in value else value
        for value in values
    ]


def _split_repetitions(values, separators):
    """Split repeated elements (EDIFACT syntax 4) of an already split segment."""
    repetition_sep = separators.repetition
    component_sep = separators.component
    out = [values[0]]
    for value in values[1:]:
        if value.__class__ is tuple:
            value = component_sep.join(value)
        if repetition_sep in value:
            out.append(
                [
                    tuple(part.split(component_sep)) if component_sep in part else part
                    for part in value.split(repetition_sep)
                ]
            )
        elif component_sep in value:
            out.append(tuple(value.split(component_sep)))
        else:
            out.append(value)
    return out
