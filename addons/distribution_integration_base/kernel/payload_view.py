"""A readable view of a payload for people: pretty JSON, one EDI segment a line.

Plain Python (no Odoo): the message form shows what this returns. It never
raises on odd input: what it cannot read is shown as text.

>>> print(readable(b'{"b":1,"a":[1,2]}', "application/json"))
{
  "a": [
    1,
    2
  ],
  "b": 1
}
>>> print(readable(b"UNB+UNOA:2+SUP+BUY'UNH+1+ORDERS:D:96A:UN'UNZ+1+7'", "text/plain"))
UNB+UNOA:2+SUP+BUY'
UNH+1+ORDERS:D:96A:UN'
UNZ+1+7'
"""

import json

PREVIEW_MAX_BYTES = 256 * 1024
X12_TERMINATOR_INDEX = 105  # the ISA segment has a fixed width


def readable(payload, content_type=None, limit=PREVIEW_MAX_BYTES):
    """The payload as text a person can read, cut at ``limit`` bytes."""
    if payload is None:
        return ""
    truncated = len(payload) > limit
    head = bytes(payload[:limit])
    text = head.decode("utf-8", errors="replace")
    view = (
        _pretty_json(text, content_type, truncated)
        or _edi_segments(text)
        or text.replace("\x00", "\\x00")
    )
    if truncated:
        view += f"\n… (first {limit:,} of {len(payload):,} bytes shown)"
    return view


def _pretty_json(text, content_type, truncated):
    looks_json = "json" in (content_type or "").lower() or text.lstrip()[:1] in "{["
    if truncated or not looks_json or not text.strip():
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    try:
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None


def _edi_segments(text):
    stripped = text.lstrip()
    if stripped.startswith("ISA") and len(stripped) > X12_TERMINATOR_INDEX:
        terminator = stripped[X12_TERMINATOR_INDEX]
        release = None
    elif stripped.startswith("UNA") and len(stripped) >= 9:
        terminator, release = stripped[8], stripped[6]
    elif stripped.startswith("UNB"):
        terminator, release = "'", "?"
    else:
        return None
    if terminator.isalnum() or terminator in " \r\n":
        return None  # not a usable separator: show the text as it is
    segments, current, escaped = [], [], False
    for char in stripped:
        current.append(char)
        if escaped:
            escaped = False
        elif release and char == release:
            escaped = True
        elif char == terminator:
            segments.append("".join(current).strip("\r\n"))
            current = []
    rest = "".join(current).strip()
    if rest:
        segments.append(rest)
    return "\n".join(segment for segment in segments if segment)
