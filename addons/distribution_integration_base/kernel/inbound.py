"""Checks the inbound gateway makes on what a partner sends, without Odoo.

Everything here takes untrusted values (URL parts, header values, bodies) and
either returns a clean value or raises :class:`InboundRefusal` with the HTTP
status, a machine code and a message the partner can act on. Nothing here
may raise anything else on any input: the gateway answers 4xx, never 5xx, for
what a client sends.
"""

import json
import re

# Codes of endpoints and flows (see integration.code.mixin): anything else
# cannot name a record, so it is refused before any database look-up.
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# Header values stored on a message: printable ASCII only (no NUL, CR, LF...).
HEADER_VALUE_RE = re.compile(r"[\x20-\x7e]{1,255}")
_MEDIA_TYPE_RE = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,126}"
)

# JSON deeper than this is refused: handlers walk payloads recursively.
MAX_JSON_DEPTH = 64
JSON_TYPES = ("application/json", "text/json")
UTF8_CHARSETS = ("utf-8", "utf8", "us-ascii")

DEFAULT_JSON_TYPES = "application/json"
EDI_TYPES = "application/edi-x12, application/edifact, text/plain"


class InboundRefusal(Exception):
    """A refused inbound request: HTTP status, machine code and a clear message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def loggable(value, limit=120):
    """``value`` escaped for one log line: repr-quoted, control characters
    (CR, LF, NUL, ANSI escapes...) shown as escapes, cut at ``limit``.

    >>> loggable("acme\\r\\nCRITICAL fake")
    "'acme\\\\r\\\\nCRITICAL fake'"
    >>> loggable("x" * 10, limit=4)
    "'xxxx'…(10 chars)"
    """
    if value is None:
        return "None"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value)
    if len(text) > limit:
        return f"{text[:limit]!r}…({len(text)} chars)"
    return repr(text)


def is_code(value):
    """Whether ``value`` can be the code of an endpoint or a flow.

    >>> is_code("acme-edi"), is_code("acme\\x00"), is_code("A" * 3)
    (True, False, False)
    """
    return isinstance(value, str) and CODE_RE.fullmatch(value) is not None


def header_value(headers, name, what=None):
    """The header ``name`` if present and clean, ``None`` if absent; refuses
    control characters, non-ASCII and values over 255 characters with 400."""
    value = headers.get(name)
    if value is None or value == "":
        return None
    if not HEADER_VALUE_RE.fullmatch(value):
        raise InboundRefusal(
            400,
            "bad_header",
            f"Header {name} must be 1 to 255 printable ASCII characters"
            f"{f' ({what})' if what else ''}.",
        )
    return value


def parse_media_type(value):
    """``(media type, parameters)`` of a Content-Type value, lower-cased;
    ``(None, {})`` when it is missing or not a media type.

    >>> parse_media_type("Application/JSON; charset=UTF-8")
    ('application/json', {'charset': 'utf-8'})
    >>> parse_media_type("json")
    (None, {})
    """
    if not value:
        return None, {}
    kind, _sep, rest = value.partition(";")
    kind = kind.strip().lower()
    if not _MEDIA_TYPE_RE.fullmatch(kind) or "*" in kind:
        return None, {}
    params = {}
    for part in rest.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            params[key.strip().lower()] = val.strip().strip('"').lower()
    return kind, params


def accepted_types(declaration):
    """The media types a flow declares, from its comma/space separated field.

    >>> accepted_types("application/json, text/*")
    ['application/json', 'text/*']
    """
    return [
        item.strip().lower()
        for item in re.split(r"[,\s]+", declaration or "")
        if item.strip()
    ]


def check_content_type(content_type, declaration):
    """Return the request's media type if the flow accepts it; 415 otherwise.

    ``declaration`` lists media types; ``type/*`` and ``*/*`` are wildcards.
    JSON must be UTF-8 (RFC 8259): another declared charset is refused too.

    >>> check_content_type("application/json; charset=utf-8", "application/json")
    'application/json'
    >>> try:
    ...     check_content_type("text/plain", "application/json, text/csv")
    ... except InboundRefusal as refusal:
    ...     print(refusal.status, refusal.code)
    415 unsupported_media_type
    """
    accepted = accepted_types(declaration)
    kind, params = parse_media_type(content_type)
    if kind is None:
        shown = loggable(content_type, 60) if content_type else "none"
        raise InboundRefusal(
            415,
            "unsupported_media_type",
            f"Content type {shown} is not a media type; send one of: "
            f"{', '.join(accepted) or 'nothing (this flow accepts no requests)'}.",
        )
    major = kind.split("/", 1)[0]
    if not any(item in (kind, f"{major}/*", "*/*") for item in accepted):
        raise InboundRefusal(
            415,
            "unsupported_media_type",
            f"Content type {kind!r} is not accepted by this flow; send one of: "
            f"{', '.join(accepted) or 'nothing'}.",
        )
    charset = params.get("charset")
    if is_json_type(kind) and charset and charset not in UTF8_CHARSETS:
        raise InboundRefusal(
            415,
            "unsupported_charset",
            f"JSON must be UTF-8 encoded, not {charset[:40]!r}.",
        )
    return kind


def is_json_type(kind):
    """``application/json``, ``text/json`` and ``application/<x>+json``."""
    return bool(kind) and (kind in JSON_TYPES or kind.endswith("+json"))


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _depth(document, limit):
    # Iterative: a recursive walk could itself hit the recursion limit.
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in node)
    return deepest


def check_json(raw, max_depth=MAX_JSON_DEPTH):
    """Refuse (400) a body that is not UTF-8 JSON or nests deeper than ``max_depth``.

    >>> check_json(b'{"a": [1, 2]}')
    >>> try:
    ...     check_json(b"[" * 100 + b"]" * 100)
    ... except InboundRefusal as refusal:
    ...     print(refusal.status, refusal.code)
    400 json_too_deep
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InboundRefusal(
            400,
            "malformed_json",
            f"The body is not UTF-8 (byte {exc.start}); JSON must be UTF-8 encoded.",
        ) from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        document = None
        too_deep = True
    except ValueError as exc:
        raise InboundRefusal(
            400, "malformed_json", f"The body is not valid JSON: {exc}."[:300]
        ) from None
    else:
        # Only a body with many brackets can be deep: skip the walk otherwise.
        too_deep = (
            raw.count(b"[") + raw.count(b"{") > max_depth
            and _depth(document, max_depth) > max_depth
        )
    if too_deep:
        raise InboundRefusal(
            400,
            "json_too_deep",
            f"The JSON body nests deeper than {max_depth} levels.",
        )
