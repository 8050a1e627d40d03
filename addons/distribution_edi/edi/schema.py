"""The dictionary that drives reading, writing and validation.

A :class:`Dictionary` holds, for one dialect and version, the data elements,
the composites, the segments (each a list of element uses) and the transaction
sets or messages (each a tree of segment uses and loops). The reader checks
what arrives against it, the writer checks what leaves against it, and the
acknowledgement builders write their 997 and CONTRL through it.

Dictionaries are written as short text tables (see ``x12_dictionary`` and
``edifact_dictionary``) that :func:`build_dictionary` compiles; a partner's
extra segments or sets are added with :meth:`Dictionary.extended`.
"""

import calendar
from dataclasses import dataclass, field

UNBOUNDED = 999999

# How a value is checked; one small int per element keeps the hot loop cheap.
TEXT, INTEGER, DECIMAL, DATE, TIME = range(5)

_X12_KINDS = {"AN": TEXT, "ID": TEXT, "R": DECIMAL, "DT": DATE, "TM": TIME}
_EDIFACT_KINDS = {"a": TEXT, "an": TEXT, "n": DECIMAL}


@dataclass(frozen=True)
class ElementDef:
    """A simple data element: reference number, type, length, optional codes."""

    ref: str
    name: str
    type: str
    min_length: int
    max_length: int
    codes: frozenset = None

    @property
    def kind(self):
        if self.type in _X12_KINDS:
            return _X12_KINDS[self.type]
        if self.type in _EDIFACT_KINDS:
            return _EDIFACT_KINDS[self.type]
        if self.type.startswith("N"):  # X12 N0..N9: integer with implied decimals
            return INTEGER
        raise ValueError(f"unknown element type {self.type!r} for {self.ref}")

    @property
    def decimals(self):
        """Implied decimal places of an X12 ``Nn`` element (0 for others)."""
        if self.kind == INTEGER and len(self.type) == 2 and self.type[1].isdigit():
            return int(self.type[1])
        return 0


@dataclass(frozen=True)
class CompositeDef:
    """A composite data element: its components, each mandatory or not."""

    ref: str
    name: str
    components: tuple  # of (ElementDef, mandatory)


@dataclass(frozen=True)
class ElementUse:
    """A data element at one position of a segment."""

    position: int
    definition: object  # ElementDef or CompositeDef
    mandatory: bool
    repeat: int = 1

    @property
    def is_composite(self):
        return isinstance(self.definition, CompositeDef)


@dataclass(frozen=True)
class SegmentDef:
    """A segment: tag, name, element uses; ``width`` may exceed the uses.

    Positions after the declared ones and up to ``width`` are carried without
    being checked (the standard has them, this dictionary does not describe
    them); positions past ``width`` are errors.
    """

    tag: str
    name: str
    elements: tuple
    width: int


@dataclass(frozen=True)
class SegmentUse:
    """A segment's place in a transaction set: mandatory or not, maximum use."""

    tag: str
    mandatory: bool
    max_use: int


@dataclass(frozen=True)
class Loop:
    """A loop (X12) or segment group (EDIFACT); its first child triggers it."""

    id: str
    mandatory: bool
    max_repeat: int
    children: tuple

    @property
    def trigger(self):
        return self.children[0].tag if isinstance(self.children[0], SegmentUse) else ""

    def tags(self):
        """Every segment tag used anywhere in this loop."""
        found = set()
        for child in self.children:
            if isinstance(child, Loop):
                found |= child.tags()
            else:
                found.add(child.tag)
        return found


@dataclass(frozen=True)
class SetDef:
    """A transaction set (X12) or message (EDIFACT)."""

    code: str
    name: str
    functional_id: str
    body: Loop

    @property
    def tags(self):
        return self.body.tags()


@dataclass
class Dictionary:
    """Elements, composites, segments and sets of one dialect and version."""

    dialect: str
    version: str
    elements: dict
    composites: dict
    segments: dict
    sets: dict
    _sources: dict = field(default_factory=dict, repr=False)
    # Compiled checks, filled by the validator on first use.
    compiled: dict = field(default_factory=dict, repr=False, compare=False)

    def segment(self, tag):
        return self.segments.get(tag)

    def set(self, code):
        return self.sets.get(code)

    def extended(self, version=None, **texts):
        """A copy with more (or replaced) definitions, from the same text tables.

        ``texts`` takes ``elements``, ``composites``, ``segments``, ``sets`` and
        ``codes`` (a dict), each added after this dictionary's own.
        """
        sources = {key: list(value) for key, value in self._sources.items()}
        for key, value in texts.items():
            sources.setdefault(key, []).append(value)
        return build_dictionary(self.dialect, version or self.version, **sources)


def _parse_max(text):
    return UNBOUNDED if text in (">1", "*") else int(text)


def _parse_element_line(dialect, line):
    if dialect == "X12":
        ref, type_, minimum, maximum, name = line.split(None, 4)
        return ElementDef(ref, name, type_, int(minimum), int(maximum))
    # EDIFACT: "0062 an..14 Message reference number", "0017 n6..8 Date", "0001 a4"
    ref, form, name = line.split(None, 2)
    letters = form.rstrip("0123456789.")
    if form[len(letters) :].startswith(".."):
        minimum, maximum = 1, int(form[len(letters) + 2 :])
    elif ".." in form:
        low, high = form[len(letters) :].split("..")
        minimum, maximum = int(low), int(high)
    else:
        minimum = maximum = int(form[len(letters) :])
    return ElementDef(ref, name, letters, minimum, maximum)


def _parse_uses(text):
    """``"128 M, 127, C040 r3"`` -> [(ref, mandatory, repeat), ...]"""
    uses = []
    for item in text.split(","):
        tokens = item.split()
        if not tokens:
            continue
        mandatory = "M" in tokens[1:]
        repeat = 1
        for token in tokens[1:]:
            if token.startswith("r"):
                repeat = _parse_max(token[1:])
        uses.append((tokens[0], mandatory, repeat))
    return uses


def _split_definition(line):
    head, _, uses = line.partition(":")
    width = None
    if "/ width" in uses:
        uses, _, width_text = uses.partition("/ width")
        width = int(width_text)
    tag, _, name = head.strip().partition(" ")
    return tag, name.strip(), uses, width


def _lines(text):
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line.strip():
            yield line


def _parse_structure(text):
    """Indented set definitions -> {code: (name, functional_id, Loop)}."""
    sets = {}
    stack = []  # (indent, children list, loop header)

    def close_to(indent):
        while stack and stack[-1][0] >= indent:
            _indent, children, header = stack.pop()
            loop = Loop(header[0], header[1], header[2], tuple(children))
            if stack:
                stack[-1][1].append(loop)
            else:
                code, name, functional_id = header[3]
                sets[code] = (name, functional_id, loop)

    for line in _lines(text):
        indent = len(line) - len(line.lstrip())
        tokens = line.split()
        close_to(indent)
        if indent == 0:
            code, functional_id, name = tokens[0], tokens[1], " ".join(tokens[2:])
            functional_id = "" if functional_id == "-" else functional_id
            stack.append((indent, [], ("", True, 1, (code, name, functional_id))))
        elif tokens[0] == "LOOP":
            loop_id, requirement, maximum = tokens[1:4]
            header = (loop_id, requirement == "M", _parse_max(maximum), None)
            stack.append((indent, [], header))
        else:
            tag, requirement, maximum = tokens[:3]
            stack[-1][1].append(
                SegmentUse(tag, requirement == "M", _parse_max(maximum))
            )
    close_to(0)
    return sets


def build_dictionary(
    dialect, version, elements=(), composites=(), segments=(), sets=(), codes=()
):
    """Compile text tables (each argument a list of texts, applied in order)."""
    element_defs = {}
    for text in elements:
        for line in _lines(text):
            definition = _parse_element_line(dialect, line.strip())
            element_defs[definition.ref] = definition
    for table in codes:
        for ref, values in table.items():
            element = element_defs[ref]
            element_defs[ref] = ElementDef(
                element.ref,
                element.name,
                element.type,
                element.min_length,
                element.max_length,
                frozenset(values.split()),
            )
    composite_defs = {}
    for text in composites:
        for line in _lines(text):
            ref, name, uses, _width = _split_definition(line)
            components = tuple(
                (element_defs[component], mandatory)
                for component, mandatory, _repeat in _parse_uses(uses)
            )
            composite_defs[ref] = CompositeDef(ref, name, components)
    segment_defs = {}
    for text in segments:
        for line in _lines(text):
            tag, name, uses, width = _split_definition(line)
            element_uses = []
            for position, (ref, mandatory, repeat) in enumerate(_parse_uses(uses), 1):
                definition = composite_defs.get(ref) or element_defs[ref]
                element_uses.append(ElementUse(position, definition, mandatory, repeat))
            segment_defs[tag] = SegmentDef(
                tag, name, tuple(element_uses), max(width or 0, len(element_uses))
            )
    set_defs = {}
    for text in sets:
        for code, (name, functional_id, body) in _parse_structure(text).items():
            missing = body.tags() - segment_defs.keys()
            if missing:
                raise ValueError(
                    f"set {code} uses undefined segments {sorted(missing)}"
                )
            set_defs[code] = SetDef(code, name, functional_id, body)
    sources = {
        "elements": list(elements),
        "composites": list(composites),
        "segments": list(segments),
        "sets": list(sets),
        "codes": list(codes),
    }
    return Dictionary(
        dialect, version, element_defs, composite_defs, segment_defs, set_defs, sources
    )


def is_valid_date(value):
    """CCYYMMDD or YYMMDD, with a real month and day."""
    if len(value) == 8:
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    elif len(value) == 6:
        year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    else:
        return False
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def is_valid_time(value):
    """HHMM, HHMMSS or HHMMSS with decimal seconds, within a day."""
    if len(value) not in (4, 6, 7, 8):
        return False
    if int(value[:2]) > 23 or int(value[2:4]) > 59:
        return False
    return len(value) == 4 or int(value[4:6]) <= 59
