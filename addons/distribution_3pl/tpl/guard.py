"""What makes a warehouse document unusable whatever its kind, checked once at
the channel's seam (``tpl.warehouse.account._tpl_apply``) before any applier
looks a value up in the database. No Odoo import: tested with plain pytest.

PostgreSQL refuses text holding NUL characters (psycopg2 raises a bare
``ValueError`` on the query), and a quantity such as ``1e400`` is finite as a
``Decimal`` but infinite as the float Odoo stores: both would surface as a
traceback in the middle of an applier instead of a refusal naming the value.
"""

from decimal import Decimal, InvalidOperation

# Far above any warehouse's count, far below float's range.
MAX_QUANTITY = Decimal("1e12")
MAX_DEPTH = 32


class _Found(Exception):
    """The first problem of a scan, carried out of its recursion."""


def _where(path):
    """``document.items[3].lot`` of a ``(parent, key)`` chain."""
    keys = []
    while path is not None:
        path, key = path
        keys.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "document" + "".join(reversed(keys))


def _scan(value, path, depth, check):
    """Call ``check(key, item, path)`` on every entry under ``value``; the
    path is only written out for a problem (100,000 items are scanned in a
    fraction of a second, holding nothing but the current chain)."""
    if depth > MAX_DEPTH:
        raise _Found(f"{_where(path)} is nested too deep")
    if isinstance(value, dict):
        entries = value.items()
    elif isinstance(value, list | tuple):
        entries = enumerate(value)
    else:
        return
    for key, item in entries:
        check(key, item, path)
        if isinstance(item, dict | list | tuple):
            _scan(item, (path, key), depth + 1, check)


def _first(document, check):
    try:
        _scan(document, None, 0, check)
    except _Found as found:
        return str(found)
    return None


def _check_document(key, item, path):
    if isinstance(key, str):
        if "\x00" in key:
            raise _Found(f"{_where(path)} has a key holding a NUL character")
        if key.endswith("quantity") and _out_of_range(item):
            where = _where((path, key))
            raise _Found(f"{where} {str(item)[:40]!r} is no plausible quantity")
    if isinstance(item, str) and "\x00" in item:
        raise _Found(f"{_where((path, key))} holds a NUL character")


def document_problem(document):
    """Why ``document`` (the codec's dict of a read document) cannot be
    applied, in words naming where; ``None`` when nothing stops it."""
    return _first(document, _check_document)


def _out_of_range(value):
    if value in (None, "") or isinstance(value, bool):
        return False
    if not isinstance(value, str | int | float | Decimal):
        return False  # not a number at all: the applier says so
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    # NaN and infinity are refused by the codec and the appliers, which
    # flag the document they belong to; what they let through is the huge.
    return number.is_finite() and abs(number) >= MAX_QUANTITY
