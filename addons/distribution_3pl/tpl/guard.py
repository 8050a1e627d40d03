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


def document_problem(document):
    """Why ``document`` (the codec's dict of a read document) cannot be
    applied, in words naming where; ``None`` when nothing stops it."""
    stack = [(document, "document", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{where} is nested too deep"
        if isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                if "\x00" in key:
                    return f"{where} has a key holding a NUL character"
                here = f"{where}.{key}"
                if key.endswith("quantity") and _out_of_range(item):
                    return f"{here} {str(item)[:40]!r} is no plausible quantity"
                stack.append((item, here, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend(
                (item, f"{where}[{index}]", depth + 1)
                for index, item in enumerate(value)
            )
        elif isinstance(value, str) and "\x00" in value:
            return f"{where} holds a NUL character"
    return None


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


# The codes a warehouse may write for "each": X12 355 (EA, UN, PC) and UN/ECE
# Recommendation 20 (C62 "one", H87 "piece", PCE in EDIFACT practice).
EACHES = ("EA", "UN", "PC", "PCE", "C62", "H87")


def unit_problem(document, units=EACHES):
    """Where ``document`` counts in a unit the channel does not exchange (its
    orders, announcements and reports are in eaches): 3 cases read as 3 units
    would validate or adjust the wrong quantity. ``None`` when all are known."""
    stack = [(document, "document", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None  # document_problem names it
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}"
                if key == "uom" and isinstance(item, str) and item.strip():
                    if item.strip().upper() not in units:
                        return f"{here} is {item[:10]!r}, not each ({units[0]})"
                    continue
                stack.append((item, here, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend(
                (item, f"{where}[{index}]", depth + 1)
                for index, item in enumerate(value)
            )
    return None
