"""Checking segments and transaction sets against a :class:`~.schema.Dictionary`.

:func:`check_segment` judges one segment's elements (mandatory, length, type,
codes, composites, repetitions); :class:`StructureCheck` follows a transaction
set's segments through the set's tree of segment uses and loops (unknown,
unexpected, out-of-sequence and missing segments, maximum uses and loop
repeats). Both return :class:`~.errors.Finding` objects located by position,
tag, element and component. The checks are compiled once per dictionary and
segment, because the reader runs them on every segment it reads.
"""

import calendar

from .errors import ErrorKind, Finding
from .schema import (
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    TIME,
    Loop,
    is_valid_date,
    is_valid_time,
)

_MISSING = ErrorKind.ELEMENT_MANDATORY_MISSING


class SegmentCheck:
    """The compiled checks of one segment definition.

    ``checks`` holds one plain tuple per element use (position, reference,
    kind, minimum, maximum, codes, mandatory, components, repeat, and the
    components' own (kind, minimum, maximum, codes, mandatory)): tuples unpack
    faster than attribute look-ups, and this runs for every element read.
    """

    __slots__ = ("tag", "name", "checks", "width", "last_mandatory")

    def __init__(self, definition):
        self.tag = definition.tag
        self.name = definition.name
        checks = []
        for use in definition.elements:
            element = use.definition
            if use.is_composite:
                checks.append(
                    (
                        use.position,
                        element.ref,
                        None,
                        0,
                        0,
                        None,
                        use.mandatory,
                        tuple(element.components),
                        use.repeat,
                        _layout(element.components),
                    )
                )
            else:
                checks.append(
                    (
                        use.position,
                        element.ref,
                        element.kind,
                        element.min_length,
                        element.max_length,
                        element.codes,
                        use.mandatory,
                        None,
                        use.repeat,
                        None,
                    )
                )
        self.checks = tuple(checks)
        self.width = definition.width
        mandatory = [use.position for use in definition.elements if use.mandatory]
        self.last_mandatory = max(mandatory, default=0)


class _Use:
    """An element use as the slow path's helpers read it."""

    __slots__ = (
        "position",
        "ref",
        "kind",
        "minimum",
        "maximum",
        "codes",
        "mandatory",
        "components",
        "repeat",
    )

    def __init__(self, check):
        (
            self.position,
            self.ref,
            self.kind,
            self.minimum,
            self.maximum,
            self.codes,
            self.mandatory,
            self.components,
            self.repeat,
            _layout,
        ) = check


def segment_check(dictionary, tag):
    """The compiled :class:`SegmentCheck` of ``tag`` (None if undefined)."""
    cache = dictionary.compiled
    check = cache.get(tag)
    if check is None and tag not in cache:
        definition = dictionary.segments.get(tag)
        check = cache[tag] = SegmentCheck(definition) if definition else None
    return check


def structure_check(dictionary, set_def):
    """A fresh :class:`StructureCheck` for one set, on a cached compiled tree."""
    key = ("set", set_def.code)
    level = dictionary.compiled.get(key)
    if level is None:
        level = dictionary.compiled[key] = _Level(set_def.body)
    return StructureCheck(set_def, dictionary, level)


def value_error(value, kind, minimum, maximum, codes, decimal_marks="."):
    """The :class:`ErrorKind` a non-empty simple value violates, or None."""
    if kind == TEXT:
        length = len(value)
    elif kind in (INTEGER, DECIMAL):
        digits = value[1:] if value[0] == "-" else value
        if kind == DECIMAL:
            for mark in decimal_marks:
                if mark in digits:
                    digits = digits.replace(mark, "", 1)
                    break
        if not (digits.isascii() and digits.isdigit()):
            return ErrorKind.INVALID_CHARACTER
        length = len(digits)
    elif kind == DATE:
        if not (value.isascii() and value.isdigit() and is_valid_date(value)):
            return ErrorKind.INVALID_DATE
        length = len(value)
    elif kind == TIME:
        if not (value.isascii() and value.isdigit() and is_valid_time(value)):
            return ErrorKind.INVALID_TIME
        length = len(value)
    else:  # pragma: no cover - kinds are closed
        length = len(value)
    if length < minimum:
        return ErrorKind.ELEMENT_TOO_SHORT
    if length > maximum:
        return ErrorKind.ELEMENT_TOO_LONG
    if codes is not None and value not in codes:
        return ErrorKind.INVALID_CODE
    return None


def _layout(components):
    """A composite's components as (checks, how many must at least be there)."""
    checks = tuple(
        (part.kind, part.min_length, part.max_length, part.codes, mandatory)
        for part, mandatory in components
    )
    required = max(
        (
            number
            for number, (_part, mandatory) in enumerate(components, 1)
            if mandatory
        ),
        default=0,
    )
    return checks, required


def _clean_composite(parts, layout, decimal_marks):
    """True when a composite's components are all present and valid."""
    checks, required = layout
    if not required <= len(parts) <= len(checks):
        return False
    for part, (kind, minimum, maximum, codes, mandatory) in zip(
        parts, checks[: len(parts)], strict=True
    ):
        if not part:
            if mandatory:
                return False
        elif kind == TEXT:
            if not minimum <= len(part) <= maximum or (
                codes is not None and part not in codes
            ):
                return False
        elif value_error(part, kind, minimum, maximum, codes, decimal_marks):
            return False
    return True


def check_segment(
    values,
    check,
    decimal_marks=".",
    repetition_sep="",
    position=0,
    set_position=0,
):
    """Findings for one segment's elements (an empty tuple when it is clean).

    ``values`` is the segment as read (``[tag, element1, ...]``). In X12 a
    repetition separator only splits elements the dictionary declares
    repeatable (X12 has no release character, so elsewhere it can only be data
    a sender forgot to avoid); such elements are replaced by their list of
    repetitions in ``values``.
    """
    findings = None
    count = len(values) - 1
    checks = check.checks
    if count < len(checks) and count >= check.last_mandatory:
        checks = checks[:count]  # the rest is absent and optional
    for element in checks:
        (
            index,
            _ref,
            kind,
            minimum,
            maximum,
            codes,
            mandatory,
            components,
            repeat,
            layout,
        ) = element
        value = values[index] if index <= count else ""
        if layout is not None and value and repeat == 1:
            parts = (value,) if value.__class__ is str else value
            if parts.__class__ is tuple and _clean_composite(
                parts, layout, decimal_marks
            ):
                continue
        if value.__class__ is str and components is None:
            if not value:
                if not mandatory:
                    continue
            elif repeat == 1 or not repetition_sep or repetition_sep not in value:
                # The common case, kept inline: a simple value that is clean.
                if kind == TEXT:
                    if minimum <= len(value) <= maximum and (
                        codes is None or value in codes
                    ):
                        continue
                elif (
                    kind in (INTEGER, DECIMAL)
                    and value.isdigit()
                    and value.isascii()
                    and minimum <= len(value) <= maximum
                ):
                    continue
                error = value_error(value, kind, minimum, maximum, codes, decimal_marks)
                if error is None:
                    continue
                if findings is None:
                    findings = []
                findings.append(
                    _element_finding(
                        error, values[0], position, set_position, _Use(element), value
                    )
                )
                continue
        found = _check_element(
            values,
            index,
            value,
            _Use(element),
            repetition_sep,
            decimal_marks,
            position,
            set_position,
        )
        if found:
            if findings is None:
                findings = []
            findings += found
    if count > check.width:
        if findings is None:
            findings = []
        tag = values[0]
        findings.append(
            Finding(
                ErrorKind.TOO_MANY_ELEMENTS,
                tag,
                position,
                set_position,
                element=check.width + 1,
                detail=f"{tag} has {count} elements, at most {check.width} exist",
            )
        )
    return findings or ()


def _check_element(
    values, index, value, element, repetition_sep, decimal_marks, position, set_position
):
    """The slow path: empty, composite, repeated or split values."""
    tag = values[0]
    if value.__class__ is tuple and not any(value):
        value = ""  # a composite of empty components is an absent one
    if value == "" or value == []:
        if not element.mandatory:
            return []
        return [
            Finding(
                _MISSING,
                tag,
                position,
                set_position,
                element=index,
                element_ref=element.ref,
                detail=f"{tag}{index:02d} ({element.ref}) is mandatory",
            )
        ]
    findings = []
    cls = value.__class__
    if cls is str and element.repeat > 1 and repetition_sep in value:
        value = values[index] = value.split(repetition_sep)
        cls = list
    repetitions = value if cls is list else (value,)
    if cls is list and len(repetitions) > element.repeat:
        findings.append(
            Finding(
                ErrorKind.TOO_MANY_REPETITIONS,
                tag,
                position,
                set_position,
                element=index,
                element_ref=element.ref,
                detail=(
                    f"{tag}{index:02d} ({element.ref}) repeats {len(repetitions)} "
                    f"times, at most {element.repeat} allowed"
                ),
            )
        )
    for number, repetition in enumerate(repetitions, 1):
        findings += _check_occurrence(
            repetition,
            element,
            tag,
            position,
            set_position,
            number if cls is list else 0,
            decimal_marks,
        )
    return findings


def _element_finding(
    error,
    tag,
    position,
    set_position,
    element,
    value,
    component=0,
    repetition=0,
    ref="",
):
    where = f"{tag}{element.position:02d}"
    if component:
        where += f"-{component}"
    return Finding(
        error,
        tag,
        position,
        set_position,
        element=element.position,
        component=component,
        repetition=repetition,
        element_ref=ref or element.ref,
        value=value,
        detail=f"{where} ({ref or element.ref}): {error.description}: {value!r}",
    )


def _check_occurrence(
    value, element, tag, position, set_position, repetition, decimal_marks
):
    findings = []
    if element.components is None:
        # A simple element that arrived in pieces: read as its first piece.
        if value.__class__ is tuple:
            findings.append(
                Finding(
                    ErrorKind.TOO_MANY_COMPONENTS,
                    tag,
                    position,
                    set_position,
                    element=element.position,
                    repetition=repetition,
                    element_ref=element.ref,
                    value=value[0],
                    detail=(
                        f"{tag}{element.position:02d} is a simple element and arrived "
                        f"with {len(value)} components; read as {value[0]!r}"
                    ),
                )
            )
            value = value[0]
        if value:
            error = value_error(
                value,
                element.kind,
                element.minimum,
                element.maximum,
                element.codes,
                decimal_marks,
            )
            if error is not None:
                findings.append(
                    _element_finding(
                        error,
                        tag,
                        position,
                        set_position,
                        element,
                        value,
                        repetition=repetition,
                    )
                )
        elif element.mandatory:
            findings.append(
                Finding(
                    _MISSING,
                    tag,
                    position,
                    set_position,
                    element=element.position,
                    repetition=repetition,
                    element_ref=element.ref,
                )
            )
        return findings
    components = value if value.__class__ is tuple else (value,)
    declared = element.components
    if len(components) > len(declared):
        findings.append(
            Finding(
                ErrorKind.TOO_MANY_COMPONENTS,
                tag,
                position,
                set_position,
                element=element.position,
                component=len(declared) + 1,
                repetition=repetition,
                element_ref=element.ref,
                detail=(
                    f"{tag}{element.position:02d} ({element.ref}) has "
                    f"{len(components)} components, at most {len(declared)} exist"
                ),
            )
        )
    for number, (definition, mandatory) in enumerate(declared, 1):
        part = components[number - 1] if number <= len(components) else ""
        if not part:
            if mandatory:
                findings.append(
                    Finding(
                        _MISSING,
                        tag,
                        position,
                        set_position,
                        element=element.position,
                        component=number,
                        repetition=repetition,
                        element_ref=definition.ref,
                        detail=(
                            f"{tag}{element.position:02d}-{number} ({definition.ref}) "
                            "is mandatory in its composite"
                        ),
                    )
                )
            continue
        error = value_error(
            part,
            definition.kind,
            definition.min_length,
            definition.max_length,
            definition.codes,
            decimal_marks,
        )
        if error is not None:
            findings.append(
                _element_finding(
                    error,
                    tag,
                    position,
                    set_position,
                    element,
                    part,
                    component=number,
                    repetition=repetition,
                    ref=definition.ref,
                )
            )
    return findings


class _Level:
    """One loop of a set definition, compiled for :class:`StructureCheck`.

    ``entries`` are ``(tag, mandatory, maximum, sublevel)`` (``sublevel`` is
    the loop's own level, None for a segment use); ``starts`` maps a tag to the
    entries it can start; ``mandatory`` lists the mandatory entries.
    """

    __slots__ = (
        "id",
        "entries",
        "starts",
        "mandatory",
        "next_mandatory",
        "tags",
        "first",
    )

    def __init__(self, loop, is_loop=False):
        self.id = loop.id
        entries = []
        self.starts = {}
        for index, child in enumerate(loop.children):
            if isinstance(child, Loop):
                sublevel = _Level(child, is_loop=True)
                entry = (child.trigger, child.mandatory, child.max_repeat, sublevel)
            else:
                entry = (child.tag, child.mandatory, child.max_use, None)
            entries.append(entry)
            self.starts.setdefault(entry[0], []).append(index)
        self.entries = tuple(entries)
        # A loop's trigger is there whenever the loop is: never missing.
        first = 1 if is_loop else 0
        self.mandatory = tuple(
            index for index, entry in enumerate(entries) if entry[1] and index >= first
        )
        # next_mandatory[i]: the first mandatory entry at or after i (or the
        # number of entries): a frame only moves forward, so entries after its
        # current one are all unused, and "something mandatory was skipped" is
        # one comparison.
        following = len(entries)
        self.next_mandatory = [following] * (len(entries) + 1)
        for index in range(len(entries) - 1, -1, -1):
            if index in self.mandatory:
                following = index
            self.next_mandatory[index] = following
        self.tags = frozenset(loop.tags())
        # first[tag][current]: the entry ``tag`` starts when the frame stands at
        # ``current`` (what :meth:`StructureCheck.place` searches), -1 for none.
        self.first = {}
        for tag, candidates in self.starts.items():
            row = []
            for current in range(len(entries)):
                if is_loop and current == 0:
                    current = 1  # a loop's trigger again: the next repeat
                row.append(next((i for i in candidates if i >= current), -1))
            self.first[tag] = tuple(row)


class _Frame:
    __slots__ = ("level", "current", "counts")

    def __init__(self, level):
        self.level = level
        self.current = 0
        self.counts = [0] * len(level.entries)


class StructureCheck:
    """Follows one transaction set's segments through its definition.

    Call :meth:`place` with each segment in order, then :meth:`finish`; each
    returns findings (an empty tuple when all is well). ``loop_of`` (after
    ``place``) is the id of the loop the segment was placed in, for AK303.
    """

    def __init__(self, set_def, dictionary, root_level=None):
        self.set_def = set_def
        self.dictionary = dictionary
        self.root = root_level or _Level(set_def.body)
        self.stack = [_Frame(self.root)]
        self.loop_of = ""

    def _missing(self, frame, start, stop, tag, position, set_position):
        findings = []
        level = frame.level
        counts = frame.counts
        for index in level.mandatory:
            if start <= index < stop and not counts[index]:
                missing = level.entries[index][0]
                findings.append(
                    Finding(
                        ErrorKind.SEGMENT_MANDATORY_MISSING,
                        missing,
                        position,
                        set_position,
                        loop=level.id,
                        detail=(
                            f"mandatory segment {missing} missing before {tag}"
                            if tag
                            else f"mandatory segment {missing} missing"
                        ),
                    )
                )
        return findings

    def place(self, tag, position, set_position):
        """Findings for ``tag`` arriving next (empty when it fits)."""
        stack = self.stack
        depth = len(stack) - 1
        while depth >= 0:
            frame = stack[depth]
            candidates = frame.level.starts.get(tag)
            if candidates is not None:
                # A loop's trigger seen again starts the loop's next repeat,
                # which the enclosing level decides.
                current = frame.current or (1 if depth else 0)
                for index in candidates:
                    if index >= current:
                        return self._enter(
                            depth, frame, index, tag, position, set_position
                        )
            depth -= 1
        return self._misplaced(tag, position, set_position)

    def _misplaced(self, tag, position, set_position):
        stack = self.stack
        self.loop_of = stack[-1].level.id
        if tag in self.root.tags:
            earlier = any(
                tag in frame.level.starts and frame.level.starts[tag][0] < frame.current
                for frame in stack
            )
            kind = (
                ErrorKind.SEGMENT_OUT_OF_SEQUENCE
                if earlier
                else ErrorKind.SEGMENT_UNEXPECTED
            )
            detail = f"{tag}: {kind.description}"
        elif tag in self.dictionary.segments:
            kind = ErrorKind.SEGMENT_NOT_IN_SET
            detail = f"{tag} is not a segment {self.set_def.code} defines"
        else:
            kind = ErrorKind.SEGMENT_UNRECOGNIZED
            detail = f"{tag}: {kind.description}"
        return [
            Finding(kind, tag, position, set_position, loop=self.loop_of, detail=detail)
        ]

    def _skipped(self, frame, stop):
        """True when a mandatory entry before ``stop`` was never used."""
        current = frame.current
        start = current + 1 if frame.counts[current] else current
        return frame.level.next_mandatory[start] < stop

    def _enter(self, depth, frame, index, tag, position, set_position):
        findings = ()
        stack = self.stack
        while len(stack) - 1 > depth:
            closed = stack.pop()
            if self._skipped(closed, len(closed.counts)):
                findings = [
                    *findings,
                    *self._missing(
                        closed,
                        closed.current,
                        len(closed.counts),
                        tag,
                        position,
                        set_position,
                    ),
                ]
        level = frame.level
        if index > frame.current:
            if self._skipped(frame, index):
                findings = [
                    *findings,
                    *self._missing(
                        frame, frame.current, index, tag, position, set_position
                    ),
                ]
            frame.current = index
        counts = frame.counts
        counts[index] += 1
        _tag, _mandatory, maximum, sublevel = level.entries[index]
        if sublevel is None:
            self.loop_of = level.id
            if counts[index] > maximum:
                findings = [
                    *findings,
                    Finding(
                        ErrorKind.SEGMENT_TOO_MANY,
                        tag,
                        position,
                        set_position,
                        loop=level.id,
                        detail=f"{tag} used more than {maximum} times",
                    ),
                ]
            return findings
        self.loop_of = sublevel.id
        if counts[index] > maximum:
            findings = [
                *findings,
                Finding(
                    ErrorKind.LOOP_TOO_MANY,
                    tag,
                    position,
                    set_position,
                    loop=sublevel.id,
                    detail=f"loop {sublevel.id} repeats more than {maximum} times",
                ),
            ]
        inner = _Frame(sublevel)
        inner.counts[0] = 1
        stack.append(inner)
        return findings

    def finish(self, position, set_position):
        """Findings for what is still missing when the set ends."""
        findings = []
        while self.stack:
            frame = self.stack.pop()
            findings += self._missing(
                frame, frame.current, len(frame.counts), "", position, set_position
            )
        return findings


# -- the fast path --------------------------------------------------------------
#
# Most segments are clean. For each segment definition a small function is
# generated (once per dictionary and tag) that answers only "would
# check_segment find nothing here?", with every element's checks unrolled and
# its constants bound: no loop over element tuples, no finding built. It is
# conservative: False sends the segment (and its set) through the checks above,
# which alone build findings, so what is reported never depends on it. It never
# changes ``values`` (the slow path splits X12 repetitions in place).


def _simple_lines(var, kind, minimum, maximum, codes, mandatory, repeat, constants):
    """Source lines: return False unless simple element ``var`` is clean."""
    name = f"C{len(constants)}"
    constants[name] = codes
    lines = [f"if {var}.__class__ is not str: return False"]
    if repeat != 1:
        lines.append(f"if rep and rep in {var}: return False")
    if kind == TEXT:
        if codes is not None and all(minimum <= len(code) <= maximum for code in codes):
            test = f"{var} not in {name}"
        else:
            test = f"not {minimum} <= len({var}) <= {maximum}"
            if codes is not None:
                test = f"({test} or {var} not in {name})"
    elif kind in (INTEGER, DECIMAL):
        lines.append(f"if {var}:")
        lines.append(
            f"    if not ({var}.isdigit() and {var}.isascii() and "
            f"{minimum} <= len({var}) <= {maximum}):"
        )
        lines += [
            "        " + line
            for line in _number_lines(var, kind, minimum, maximum, codes, name)
        ]
        if mandatory:
            lines.append("else: return False")
        return lines
    else:
        test = _moment_test(var, kind, minimum, maximum, codes, name)
    lines.append(f"if {var}:")
    lines.append(f"    if {test}: return False")
    if mandatory:
        lines.append("else: return False")
    return lines


# Every MMDD of a year that is not a leap year: is_valid_date as a set look-up.
_MONTH_DAYS = frozenset(
    f"{month:02d}{day:02d}"
    for month in range(1, 13)
    for day in range(1, calendar.monthrange(2001, month)[1] + 1)
)


def _digits_date(value):
    """:func:`~.schema.is_valid_date` of a string of ASCII digits."""
    length = len(value)
    if length == 8:
        if value[4:] in _MONTH_DAYS:
            return True
        return value[4:] == "0229" and calendar.isleap(int(value[:4]))
    if length == 6:
        if value[2:] in _MONTH_DAYS:
            return True
        return value[2:] == "0229" and calendar.isleap(2000 + int(value[:2]))
    return False


def _digits_time(value):
    """:func:`~.schema.is_valid_time` of a string of ASCII digits."""
    length = len(value)
    if length != 4 and not 6 <= length <= 8:
        return False
    return (
        value[:2] <= "23" and value[2:4] <= "59" and (length == 4 or value[4:6] <= "59")
    )


def _number_lines(var, kind, minimum, maximum, codes, name):
    """Source lines: return False unless number ``var`` passes :func:`value_error`."""
    lines = [f"d = {var}[1:] if {var}[0] == '-' else {var}"]
    if kind == DECIMAL:
        lines += [
            "for m in marks:",
            "    if m in d:",
            "        d = d.replace(m, '', 1)",
            "        break",
        ]
    test = f"d.isdigit() and d.isascii() and {minimum} <= len(d) <= {maximum}"
    if codes is not None:
        test += f" and {var} in {name}"
    lines.append(f"if not ({test}): return False")
    return lines


def _moment_test(var, kind, minimum, maximum, codes, name):
    """A test true when date or time ``var`` fails :func:`value_error`."""
    valid = "_valid_date" if kind == DATE else "_valid_time"
    test = (
        f"not ({var}.isdigit() and {var}.isascii() and {valid}({var}) and "
        f"{minimum} <= len({var}) <= {maximum})"
    )
    if codes is not None:
        test += f" or {var} not in {name}"
    return test


def _component_lines(var, kind, minimum, maximum, codes, mandatory, constants):
    """Source lines mirroring :func:`_clean_composite` for one component."""
    name = f"C{len(constants)}"
    constants[name] = codes
    if kind in (INTEGER, DECIMAL):
        lines = [f"if {var}:"]
        lines += [
            "    " + line
            for line in _number_lines(var, kind, minimum, maximum, codes, name)
        ]
        if mandatory:
            lines.append("else: return False")
        return lines
    if kind == TEXT:
        test = f"not {minimum} <= len({var}) <= {maximum}"
        if codes is not None:
            test += f" or {var} not in {name}"
    else:
        test = _moment_test(var, kind, minimum, maximum, codes, name)
    lines = [f"if {var}:", f"    if {test}: return False"]
    if mandatory:
        lines.append("else: return False")
    return lines


def _composite_lines(var, layout, constants):
    """Source lines: return False unless tuple ``var`` is a clean composite."""
    checks, required = layout
    lines = [
        f"k = len({var})",
        f"if not {max(required, 1)} <= k <= {len(checks)}: return False",
    ]
    for number, (kind, minimum, maximum, codes, mandatory) in enumerate(checks):
        body = [f"p = {var}[{number}]"] + _component_lines(
            "p", kind, minimum, maximum, codes, mandatory, constants
        )
        if number >= required:
            lines.append(f"if k > {number}:")
            lines += ["    " + line for line in body]
        else:
            lines += body
    return lines


def compile_fast_check(check):
    """A function ``(values, rep, marks) -> bool``: True when ``check`` is clean.

    True means :func:`check_segment` with the same arguments returns no finding
    and changes nothing; False means "ask check_segment".
    """
    constants = {
        "_valid_date": _digits_date,
        "_valid_time": _digits_time,
    }
    lines = [
        "n = len(v)",
        f"if n < {check.last_mandatory + 1} or n > {check.width + 1}: return False",
    ]
    for element in check.checks:
        (
            index,
            _ref,
            kind,
            minimum,
            maximum,
            codes,
            mandatory,
            components,
            repeat,
            layout,
        ) = element
        if index > check.last_mandatory:
            lines.append(f"if n <= {index}: return True")
        lines.append(f"x = v[{index}]")
        if layout is None:
            lines += _simple_lines(
                "x", kind, minimum, maximum, codes, mandatory, repeat, constants
            )
            continue
        if repeat != 1:
            lines.append("if x.__class__ is not str or x: return False")
            if mandatory:
                lines.append("return False")
            continue
        lines.append("if x.__class__ is tuple:")
        lines += ["    " + line for line in _composite_lines("x", layout, constants)]
        lines.append("elif x.__class__ is str:")
        lines.append("    if x:")
        component_checks, required = layout
        if required > 1 or not component_checks:
            lines.append("        return False")
        else:
            lines += [
                "        " + line
                for line in _component_lines("x", *component_checks[0], constants)
            ]
        if mandatory:
            lines.append("    else: return False")
        lines.append("else: return False")
    lines.append("return True")
    source = "def fast(v, rep, marks):\n" + "".join(f"    {line}\n" for line in lines)
    namespace = dict(constants)
    exec(compile(source, f"<fast check {check.tag}>", "exec"), namespace)  # noqa: S102
    return namespace["fast"]


class _FastChecks(dict):
    """tag -> fast check (None for an undefined tag), compiled on first use."""

    def __init__(self, dictionary):
        super().__init__()
        self.dictionary = dictionary

    def __missing__(self, tag):
        check = segment_check(self.dictionary, tag)
        fast = self[tag] = compile_fast_check(check) if check is not None else None
        return fast


def fast_checks(dictionary):
    """The :class:`_FastChecks` of ``dictionary`` (one per dictionary)."""
    table = dictionary.compiled.get("fast")
    if table is None:
        table = dictionary.compiled["fast"] = _FastChecks(dictionary)
    return table


def set_level(dictionary, set_def):
    """The compiled tree of a set definition (shared with :func:`structure_check`)."""
    key = ("set", set_def.code)
    level = dictionary.compiled.get(key)
    if level is None:
        level = dictionary.compiled[key] = _Level(set_def.body)
    return level


class _State(dict):
    """One place in a set's tree: tag -> transition, None -> may the set end here.

    A place is the stack of (level, current entry) that :class:`StructureCheck`
    keeps, without its counts (the root's current entry is -1 before the
    header). A transition is ``(state, fast check, depth, index, maximum,
    width)``: the next place, the segment's fast check, the entry counted
    (its frame's depth and index) and its maximum, and ``width`` the number of
    entries of the loop it opens (0: none); None where ``tag`` would be a
    finding whatever the counts (unexpected, out of sequence, a mandatory
    segment skipped). Counts (maximum uses and repeats) are the caller's.
    """

    __slots__ = ("machine", "frames")

    def __init__(self, machine, frames):
        super().__init__()
        self.machine = machine
        self.frames = frames
        self[None] = all(
            level.next_mandatory[current + 1] >= len(level.entries)
            for level, current in frames
        )

    def __missing__(self, tag):
        transition = self[tag] = self.machine.transition(self.frames, tag)
        return transition


class _Machine:
    """The places of one set definition, built as segments first reach them."""

    def __init__(self, root, fast):
        self.fast = fast
        self.states = {}
        self.start = self.state(((root, -1),))
        self.depth = self._depth(root)

    def _depth(self, level):
        subs = [entry[3] for entry in level.entries if entry[3] is not None]
        return 1 + max((self._depth(sub) for sub in subs), default=0)

    def state(self, frames):
        state = self.states.get(frames)
        if state is None:
            state = self.states[frames] = _State(self, frames)
        return state

    def transition(self, frames, tag):
        """Follow :meth:`StructureCheck.place` from ``frames`` for ``tag``."""
        if tag is None:  # pragma: no cover - None is the end-of-set key
            return None
        depth = len(frames) - 1
        while depth >= 0:
            level, current = frames[depth]
            row = level.first.get(tag)
            if row is not None:
                index = row[max(current, 0)]
                if index >= 0:
                    break
            depth -= 1
        else:
            return None
        for level, current in frames[depth + 1 :]:
            # counts[current] > 0 in a loop's frame: its trigger counts at once.
            if level.next_mandatory[current + 1] < len(level.entries):
                return None
        level, current = frames[depth]
        if index > max(current, 0) and level.next_mandatory[current + 1] < index:
            return None  # current + 1 is 0 before the header: counts[0] == 0
        _tag, _mandatory, maximum, sublevel = level.entries[index]
        placed = (*frames[:depth], (level, index))
        width = 0
        if sublevel is not None:
            placed += ((sublevel, 0),)
            width = len(sublevel.entries)
        check = self.fast[tag]
        if check is None:  # pragma: no cover - sets use defined segments only
            return None
        return (self.state(placed), check, depth, index, maximum, width)


def set_machine(dictionary, set_def):
    """The :class:`_Machine` of a set definition (one per dictionary and set)."""
    key = ("machine", set_def.code)
    machine = dictionary.compiled.get(key)
    if machine is None:
        machine = _Machine(set_level(dictionary, set_def), fast_checks(dictionary))
        dictionary.compiled[key] = machine
    return machine


def set_is_clean(set_values, machine, rep, marks):
    """True when a set's segments (value lists) would give no finding at all.

    Runs every segment's fast check and follows the structure as
    :class:`StructureCheck` does, without building anything; False as soon as
    something is not plainly right (then the full checks say what).
    """
    state = machine.start
    counts = [None] * (machine.depth + 1)
    counts[0] = [0] * len(machine.start.frames[0][0].entries)
    for values in set_values:
        transition = state[values[0]]
        if transition is None:
            return False
        state, check, depth, index, maximum, width = transition
        if not check(values, rep, marks):
            return False
        row = counts[depth]
        used = row[index] + 1
        if used > maximum:
            return False
        row[index] = used
        if width:
            row = counts[depth + 1] = [0] * width
            row[0] = 1
    return state[None]


def segments_are_clean(segments, machine, rep, marks):
    """:func:`set_is_clean` of :class:`~.syntax.Segment` objects, as read."""
    return set_is_clean([segment.values for segment in segments], machine, rep, marks)
