"""Warehouse (3PL) documents to and from X12 004010 transaction sets.

The depositor (the suite) sends a 940 Warehouse Shipping Order to release a
delivery and a 943 Warehouse Stock Transfer Shipment Advice to announce goods
coming in; the warehouse answers with a 945 Warehouse Shipping Advice (what
left), a 944 Warehouse Stock Transfer Receipt Advice (what arrived), an 846
Inventory Inquiry/Advice (its stock) and a 947 Warehouse Inventory Adjustment
Advice (why its stock changed). Every set has a builder (``*_set``: a plain
``dict`` in, an :class:`~.writer.OutboundSet` out) and a reader
(:func:`read_warehouse_document`: a read set in, the same ``dict`` shape out),
so a document survives a round trip and the sandbox warehouse, the tests and
the 3PL channel speak one vocabulary. Acknowledgements are the codec's 997
(:mod:`.ack`).

Conventions (each is a fact of the 004010 standard unless said otherwise):

- Quantities are decimal strings, dates ISO ``YYYY-MM-DD``.
- Items: the warehouse's item code travels with qualifier ``VN`` (vendor's item
  number), the GTIN with ``UP`` (12 digits) or ``EN`` (13/14).
- Our line number is quoted as ``N9*LI`` in every line loop, and answers quote
  it back; lots travel as ``N9*LT`` (the lot elements of W07/W12/W19 hold only
  12 characters, so they are filled only when the lot fits), serials as
  ``N9*SE``.
- 945: one ``LX`` loop per package (``MAN*GM`` its SSCC or package id, ``N9*CN``
  its tracking number), one ``W12`` per line and lot in it. ``W1201`` ``CC``
  shipped complete, ``CP`` shipped partly, ``IS`` item substituted (``W1217``/
  ``W1218`` then name the item ordered); ``W1204`` is what the line lacks.
- 943/944 of a customer return: reporting code ``C`` (``W0601``/``W1701``).
- 944: ``W0701`` is the quantity received, damaged units included; each
  ``W13`` is an exception to it (``W1303`` ``01`` damaged, with ``W1305`` the
  damage reason), so the good quantity is ``W0701`` less the damaged ones.
- 846 (a convention agreed per warehouse, not fixed by the standard): one
  ``LIN`` per item and lot, one ``QTY`` per stock status; ``BIA01`` ``00`` is a
  full snapshot, ``04`` a change (delta). The status qualifiers default to
  :data:`STATUS_QUALIFIERS` and can be replaced per call.
- 947: ``W1902`` is signed (negative takes stock away), ``W1901`` says why.
"""

from decimal import Decimal

from .documents import DocumentError, _date, _decimal, _first, _number_text
from .writer import OutboundSet

SHIPPING_ORDER = "shipping_order"  # 940
STOCK_TRANSFER = "stock_transfer"  # 943
RECEIPT_ADVICE = "receipt_advice"  # 944
SHIPPING_ADVICE = "shipping_advice"  # 945
INVENTORY_ADVICE = "inventory_advice"  # 846
INVENTORY_ADJUSTMENT = "inventory_adjustment"  # 947

KIND_BY_CODE = {
    "940": SHIPPING_ORDER,
    "943": STOCK_TRANSFER,
    "944": RECEIPT_ADVICE,
    "945": SHIPPING_ADVICE,
    "846": INVENTORY_ADVICE,
    "947": INVENTORY_ADJUSTMENT,
}

# W0601 / W1701 (Reporting Code): a stock transfer or receipt in full detail,
# or a customer return in full detail.
FULL_DETAIL = "F"
CUSTOMER_RETURN = "C"
# W0501 (Order Status Code).
ORDER_STATUS = {"original": "N", "replace": "R", "cancel": "F"}
ORDER_PURPOSE = {code: purpose for purpose, code in ORDER_STATUS.items()}
# W1201 (Shipment/Order Status Code) as the 945 uses it.
SHIPPED_COMPLETE = "CC"
SHIPPED_PARTIAL = "CP"
SUBSTITUTED = "IS"
# W1303 (Receiving Condition Code): 01 is damaged product.
CONDITION_DAMAGED = "01"
# 846 QTY01 per stock status (see the module docstring).
STATUS_QUALIFIERS = {"available": "33", "damaged": "74", "on_hold": "QH"}
# BIA01 (Transaction Set Purpose Code).
SNAPSHOT_PURPOSE = {"full": "00", "delta": "04"}
# W1901 (Quantity or Status Adjustment Reason Code): the usual ones, in words.
ADJUSTMENT_REASONS = {
    "04": "receipt less than previously reported",
    "07": "product dumped or destroyed",
    "51": "unable-to-locate product located",
    "53": "shipment less than previously reported",
    "55": "book adjustment decrease",
    "56": "book adjustment increase",
    "AB": "accounting error",
    "AC": "condition change",
    "AE": "reidentification",
    "AH": "other",
    "AR": "order shipment error",
    "AU": "damaged in facility",
    "AW": "product recall",
    "AX": "shelf-life obsolescence",
    "AY": "receipt error",
}

ITEM_QUALIFIER = "VN"
LINE_REFERENCE = "LI"
LOT_REFERENCE = "LT"
SERIAL_REFERENCE = "SE"
TRACKING_REFERENCE = "CN"
BILL_OF_LADING = "BM"
MAX_LOT_ELEMENT = 12  # W0708 / W1209 / W1909 (451)


# -- writing helpers -------------------------------------------------------------


def _x12_date(value):
    return value.replace("-", "") if value else ""


def _quantity(value, what):
    if value in (None, ""):
        raise DocumentError(f"{what} has no quantity")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise DocumentError(f"{what}: {value!r} is not a quantity") from exc


def _gtin_qualifier(gtin):
    return "UP" if len(gtin) == 12 else "EN"


def _item_pairs(line):
    """``VN`` item code then the GTIN, as flat qualifier/value pairs."""
    pairs = []
    if line.get("item"):
        pairs += [ITEM_QUALIFIER, line["item"]]
    if line.get("gtin"):
        pairs += [_gtin_qualifier(line["gtin"]), line["gtin"]]
    if not pairs:
        raise DocumentError(
            f"line {line.get('line_id', '?')} names no item (item code or GTIN)"
        )
    return pairs


def _item_elements(line):
    """Two qualifier/value pairs (padded) for W01/W04/W07/W19 positions 4-7."""
    pairs = _item_pairs(line)
    return pairs + [""] * (4 - len(pairs))


def _short_lot(lot):
    return lot if lot and len(lot) <= MAX_LOT_ELEMENT else ""


def _party(qualifier, party):
    """N1 (with N3/N4 when an address is given) for ``party``."""
    if not party or not (party.get("name") or party.get("code")):
        return []
    n1 = ["N1", qualifier, (party.get("name") or party["code"])[:60]]
    if party.get("code"):
        n1 += ["92", party["code"]]
    segments = [tuple(n1)]
    if party.get("street"):
        n3 = ["N3", party["street"][:55]]
        if party.get("street2"):
            n3.append(party["street2"][:55])
        segments.append(tuple(n3))
    if party.get("city") or party.get("zip"):
        segments.append(
            (
                "N4",
                (party.get("city") or "")[:30],
                (party.get("state") or "")[:2],
                (party.get("zip") or "")[:15],
                (party.get("country") or "")[:3],
            )
        )
    return segments


def _notes(notes, code):
    if isinstance(notes, str):
        notes = [notes]
    segments = []
    for note in notes or ():
        text = " ".join(str(note).split())
        while text:
            segments.append(("NTE", code, text[:80]))
            text = text[80:]
    return segments


def _references(line, *, lots=True):
    segments = []
    if line.get("line_id") not in (None, ""):
        segments.append(("N9", LINE_REFERENCE, str(line["line_id"])))
    if lots:
        segments += [("N9", LOT_REFERENCE, lot) for lot in line.get("lots") or ()]
    segments += [("N9", SERIAL_REFERENCE, s) for s in line.get("serials") or ()]
    return segments


def _total(lines, key="quantity"):
    return sum((_quantity(line.get(key), "a line") for line in lines), Decimal(0))


def _require_lines(document, what, key="lines"):
    if not document.get(key):
        raise DocumentError(f"{what} {document.get('number', '')} has no lines")


# -- builders --------------------------------------------------------------------


def shipping_order_set(order, control_number):
    """The 940 releasing ``order`` to the warehouse.

    ``order``: ``number`` (our delivery, W0502), ``purpose`` (``original``,
    ``replace``, ``cancel``), ``po_number`` (the customer's order),
    ``requested_ship_date``, ``depositor``, ``warehouse`` and ``ship_to``
    (``{"name", "code", "street", "street2", "city", "state", "zip",
    "country"}``), ``carrier`` (``{"scac", "service", "method", "payment"}``),
    ``notes`` and ``lines`` (``line_id``, ``item``, ``gtin``, ``description``,
    ``quantity``, ``uom``, ``lots`` requested).
    """
    _require_lines(order, "shipping order")
    purpose = order.get("purpose") or "original"
    if purpose not in ORDER_STATUS:
        raise DocumentError(f"unknown shipping order purpose {purpose!r}")
    body = [("W05", ORDER_STATUS[purpose], order["number"], order.get("po_number"))]
    body += _party("DE", order.get("depositor"))
    body += _party("WH", order.get("warehouse"))
    body += _party("ST", order.get("ship_to"))
    if order.get("requested_ship_date"):
        body.append(("G62", "10", _x12_date(order["requested_ship_date"])))
    body += _notes(order.get("notes"), "WHI")
    carrier = order.get("carrier") or {}
    if carrier.get("scac") or carrier.get("service"):
        body.append(
            (
                "W66",
                carrier.get("payment") or "PP",
                carrier.get("method") or "M",
                "",
                "",
                (carrier.get("service") or "")[:35],
                "",
                "",
                "",
                "",
                carrier.get("scac") or "",
            )
        )
    for index, line in enumerate(order["lines"], 1):
        quantity = _quantity(line.get("quantity"), f"line {line.get('line_id')}")
        uom = line.get("uom") or "EA"
        body.append(("LX", index))
        body.append(("W01", quantity, uom, "", *_item_elements(line)))
        body += _references(line)
        body += _notes(line.get("description"), "LIN")
    body.append(("W76", _total(order["lines"])))
    return OutboundSet("940", control_number, body)


def stock_transfer_set(transfer, control_number):
    """The 943 announcing goods on their way to the warehouse.

    ``transfer``: ``number`` (our receipt, W0602), ``date``, ``shipment_id``
    (the supplier's ship notice or bill of lading), ``po_number``, ``return``
    (a customer return authorised in Odoo: reporting code ``C``),
    ``expected_date``, ``warehouse``, ``ship_from``, ``carrier`` and ``lines``
    as in :func:`shipping_order_set`.
    """
    _require_lines(transfer, "stock transfer")
    body = [
        (
            "W06",
            CUSTOMER_RETURN if transfer.get("return") else FULL_DETAIL,
            transfer["number"],
            _x12_date(transfer.get("date")),
            transfer.get("shipment_id") or "",
            "",
            transfer.get("po_number") or "",
        )
    ]
    body += _party("WH", transfer.get("warehouse"))
    body += _party("SF", transfer.get("ship_from"))
    if not any(segment[0] == "N1" for segment in body):
        raise DocumentError(f"stock transfer {transfer['number']} names no warehouse")
    if transfer.get("expected_date"):
        body.append(("G62", "17", _x12_date(transfer["expected_date"])))
    body += _notes(transfer.get("notes"), "WHI")
    carrier = transfer.get("carrier") or {}
    body.append(
        (
            "W27",
            carrier.get("method") or "M",
            carrier.get("scac") or "",
            (carrier.get("service") or "")[:35],
        )
    )
    for line in transfer["lines"]:
        quantity = _quantity(line.get("quantity"), f"line {line.get('line_id')}")
        body.append(
            ("W04", quantity, line.get("uom") or "EA", "", *_item_elements(line))
        )
        body += _references(line)
    body.append(("W03", _total(transfer["lines"])))
    return OutboundSet("943", control_number, body)


def shipping_advice_set(advice, control_number):
    """The 945 of a shipment (what a warehouse sends; the sandbox's and tests').

    ``advice``: ``order_number`` (the 940's W0502), ``po_number``,
    ``shipment_id``, ``date`` (shipped), ``warehouse``, ``ship_to``,
    ``carrier``, ``bill_of_lading``, ``partial`` (bool) and ``packages``:
    ``package_id``, ``tracking_number`` and ``contents`` (``line_id``,
    ``item``, ``gtin``, ``status``, ``ordered_quantity``, ``quantity``
    shipped, ``uom``, ``lot``, ``serials``, ``substituted_for``).
    """
    if not advice.get("packages"):
        raise DocumentError(f"shipping advice {advice.get('order_number')} is empty")
    body = [
        (
            "W06",
            "P" if advice.get("partial") else "F",
            advice["order_number"],
            _x12_date(advice.get("date")),
            advice.get("shipment_id") or "",
            "",
            advice.get("po_number") or "",
        )
    ]
    body += _party("WH", advice.get("warehouse")) or [("N1", "WH", "WAREHOUSE")]
    body += _party("ST", advice.get("ship_to"))
    if advice.get("bill_of_lading"):
        body.append(("N9", BILL_OF_LADING, advice["bill_of_lading"]))
    if advice.get("date"):
        body.append(("G62", "11", _x12_date(advice["date"])))
    carrier = advice.get("carrier") or {}
    if carrier.get("scac") or carrier.get("service"):
        body.append(
            (
                "W27",
                carrier.get("method") or "M",
                carrier.get("scac") or "",
                (carrier.get("service") or "")[:35],
            )
        )
    total = Decimal(0)
    per_line = {}  # what the advice ships of each line, in all its packages
    for package in advice["packages"]:
        for content in package.get("contents") or ():
            key = str(content.get("line_id") or content.get("item"))
            per_line[key] = per_line.get(key, Decimal(0)) + _quantity(
                content.get("quantity"), "a shipped line"
            )
    for index, package in enumerate(advice["packages"], 1):
        body.append(("LX", index))
        if package.get("package_id"):
            body.append(("MAN", "GM", package["package_id"]))
        if package.get("tracking_number"):
            body.append(("N9", TRACKING_REFERENCE, package["tracking_number"]))
        for content in package.get("contents") or ():
            shipped = _quantity(content.get("quantity"), "a shipped line")
            total += shipped
            ordered = content.get("ordered_quantity")
            ordered = None if ordered in (None, "") else Decimal(str(ordered))
            line_total = per_line[str(content.get("line_id") or content.get("item"))]
            status = content.get("status") or (
                SUBSTITUTED
                if content.get("substituted_for")
                else SHIPPED_PARTIAL
                if ordered is not None and line_total < ordered
                else SHIPPED_COMPLETE
            )
            w12 = [
                "W12",
                status,
                ordered,
                shipped,
                None if ordered is None else ordered - line_total,
                content.get("uom") or "EA",
                "",
                *_item_pairs(content)[:2],
                _short_lot(content.get("lot")),
            ]
            if content.get("substituted_for"):
                w12 += [""] * 7 + [ITEM_QUALIFIER, content["substituted_for"]]
            body.append(tuple(w12))
            if content.get("line_id") not in (None, ""):
                body.append(("N9", LINE_REFERENCE, str(content["line_id"])))
            if content.get("gtin") and content.get("item"):
                body.append(("N9", "UP", content["gtin"]))
            if content.get("lot"):
                body.append(("N9", LOT_REFERENCE, content["lot"]))
            body += [("N9", SERIAL_REFERENCE, s) for s in content.get("serials") or ()]
    body.append(("W03", total))
    return OutboundSet("945", control_number, body)


def receipt_advice_set(receipt, control_number):
    """The 944 of a receipt (what a warehouse sends; the sandbox's and tests').

    ``receipt``: ``receipt_number`` (the warehouse's, W1703), ``order_number``
    (the 943's W0602), ``shipment_id``, ``date``, ``return`` (a customer
    return's receipt), ``warehouse`` and ``lines``:
    ``line_id``, ``item``, ``gtin``, ``quantity`` received (damaged units
    included), ``uom``, ``lot``, ``serials`` (the units' serial numbers, one
    N9 ``SE`` each) and ``exceptions`` (``quantity``, ``condition`` W1303,
    ``reason`` W1305).
    """
    _require_lines(receipt, "receipt advice")
    body = [
        (
            "W17",
            CUSTOMER_RETURN if receipt.get("return") else FULL_DETAIL,
            _x12_date(receipt["date"]),
            receipt["receipt_number"],
            receipt.get("order_number") or "",
            receipt.get("shipment_id") or "",
        )
    ]
    body += _party("WH", receipt.get("warehouse")) or [("N1", "WH", "WAREHOUSE")]
    for line in receipt["lines"]:
        quantity = _quantity(line.get("quantity"), f"line {line.get('line_id')}")
        uom = line.get("uom") or "EA"
        body.append(
            (
                "W07",
                quantity,
                uom,
                "",
                *_item_elements(line),
                _short_lot(line.get("lot")),
            )
        )
        lots = [line["lot"]] if line.get("lot") else []
        body += _references(
            {
                "line_id": line.get("line_id"),
                "lots": lots,
                "serials": line.get("serials") or (),
            }
        )
        for exception in line.get("exceptions") or ():
            condition = exception.get("condition") or CONDITION_DAMAGED
            reason = exception.get("reason") or ""
            if condition == CONDITION_DAMAGED and not reason:
                reason = "AV"  # W1305 is required for damaged product
            body.append(
                (
                    "W13",
                    _quantity(exception.get("quantity"), "a receipt exception"),
                    exception.get("uom") or uom,
                    condition,
                    _short_lot(line.get("lot")),
                    reason,
                )
            )
    body.append(("W14", _total(receipt["lines"])))
    return OutboundSet("944", control_number, body)


def inventory_advice_set(snapshot, control_number, status_codes=None):
    """The 846 of a stock snapshot (a warehouse's; the sandbox's and tests').

    ``snapshot``: ``report_id``, ``date``, ``snapshot`` (``full`` or ``delta``),
    ``warehouse`` and ``items`` (``item``, ``gtin``, ``lot``, ``status``,
    ``quantity``, ``uom``).
    """
    qualifiers = status_codes or STATUS_QUALIFIERS
    kind = snapshot.get("snapshot") or "full"
    if kind not in SNAPSHOT_PURPOSE:
        raise DocumentError(f"unknown snapshot kind {kind!r} (full or delta)")
    body = [
        (
            "BIA",
            SNAPSHOT_PURPOSE[kind],
            "SI",
            snapshot["report_id"],
            _x12_date(snapshot["date"]),
        )
    ]
    body += _party("WH", snapshot.get("warehouse"))
    groups = {}
    for entry in snapshot.get("items") or ():
        key = (entry.get("item") or "", entry.get("gtin") or "", entry.get("lot") or "")
        groups.setdefault(key, []).append(entry)
    if not groups and kind == "full":
        raise DocumentError(f"inventory advice {snapshot['report_id']} has no items")
    for index, ((item, gtin, lot), entries) in enumerate(groups.items(), 1):
        pairs = _item_pairs({"item": item, "gtin": gtin})
        if lot:
            pairs += [LOT_REFERENCE, lot]
        body.append(("LIN", str(index), *pairs))
        for entry in entries:
            status = entry.get("status") or "available"
            if status not in qualifiers:
                raise DocumentError(f"no QTY qualifier for stock status {status!r}")
            body.append(
                (
                    "QTY",
                    qualifiers[status],
                    _quantity(entry.get("quantity"), f"item {item}"),
                    (entry.get("uom") or "EA",),
                )
            )
    body.append(("CTT", len(groups)))
    return OutboundSet("846", control_number, body)


def inventory_adjustment_set(advice, control_number):
    """The 947 of stock adjustments (a warehouse's; the sandbox's and tests').

    ``advice``: ``adjustment_number``, ``date``, ``warehouse`` and
    ``adjustments`` (``item``, ``gtin``, ``lot``, ``quantity`` signed, ``uom``,
    ``reason_code`` W1901, ``note``).
    """
    _require_lines(advice, "inventory adjustment", key="adjustments")
    body = [("W15", _x12_date(advice["date"]), advice["adjustment_number"])]
    body += _party("WH", advice.get("warehouse")) or [("N1", "WH", "WAREHOUSE")]
    for entry in advice["adjustments"]:
        reason = entry.get("reason_code") or "AH"
        body.append(
            (
                "W19",
                reason,
                _quantity(entry.get("quantity"), f"adjustment of {entry.get('item')}"),
                entry.get("uom") or "EA",
                "",
                *_item_elements(entry),
                _short_lot(entry.get("lot")),
            )
        )
        if entry.get("lot"):
            body.append(("N9", LOT_REFERENCE, entry["lot"]))
        if entry.get("note"):
            body.append(("N9", "ZZ", "NOTE", entry["note"][:45]))
    return OutboundSet("947", control_number, body)


# -- readers ---------------------------------------------------------------------


def read_warehouse_document(transaction_set, status_codes=None):
    """The business content of a read warehouse set, as a JSON-ready dict.

    Raises :class:`~.documents.DocumentError` for a set that is not a warehouse
    set or lacks what its kind needs (its order or receipt number, say).
    """
    kind = KIND_BY_CODE.get(transaction_set.code)
    if kind is None:
        raise DocumentError(
            f"{transaction_set.code} is not a warehouse document this codec reads"
        )
    body = transaction_set.body
    if kind == INVENTORY_ADVICE:
        document = _read_846(body, status_codes or STATUS_QUALIFIERS)
    else:
        document = _READERS[kind](body)
    document.update(
        kind=kind,
        code=transaction_set.code,
        control_number=transaction_set.control_number,
    )
    return document


def _items(segment, start, stop=None):
    """``item``/``gtin``/``lot`` from qualifier/value pairs from ``start``."""
    found = {"item": "", "gtin": ""}
    values = segment.values
    stop = min(stop or len(values), len(values))
    for position in range(start, stop - 1, 2):
        qualifier, value = segment.get(position), segment.get(position + 1)
        if not (qualifier and value):
            continue
        if qualifier in ("VN", "SK", "BP", "VP", "IN") and not found["item"]:
            found["item"] = value
        elif qualifier in ("UP", "EN", "UK", "UA") and not found["gtin"]:
            found["gtin"] = value
        elif qualifier == LOT_REFERENCE:
            found["lot"] = value
    return found


def _with_upc(found, segment, position):
    """Fill ``gtin`` from a U.P.C. case code element when no pair gave one."""
    if not found["gtin"] and segment.get(position):
        found["gtin"] = segment.get(position)
    return found


def _read_party(segments, qualifier):
    party = None
    for segment in segments:
        tag = segment.values[0]
        if tag == "N1":
            if party is not None:
                break
            if segment.get(1) == qualifier:
                party = {"name": segment.get(2), "code": segment.get(4)}
        elif party is not None and tag == "N3":
            party["street"] = segment.get(1)
            if segment.get(2):
                party["street2"] = segment.get(2)
        elif party is not None and tag == "N4":
            party.update(
                city=segment.get(1),
                state=segment.get(2),
                zip=segment.get(3),
                country=segment.get(4),
            )
        elif party is not None and tag not in ("N2", "PER"):
            break
    return party or {}


def _amount(segment, position, what):
    return _number_text(_decimal(segment.get(position), what))


def _apply_reference(target, segment):
    qualifier, value = segment.get(1), segment.get(2)
    if qualifier == LINE_REFERENCE:
        target["line_id"] = value
    elif qualifier == LOT_REFERENCE:
        target["lot"] = value
    elif qualifier == SERIAL_REFERENCE:
        target.setdefault("serials", []).append(value)
    elif qualifier in ("UP", "EN") and not target.get("gtin"):
        target["gtin"] = value


def _carrier(segment, method, scac, service):
    return {
        "method": segment.get(method),
        "scac": segment.get(scac),
        "service": segment.get(service),
    }


def _require(document, key, what):
    if not document.get(key):
        raise DocumentError(f"the {what} does not say its {key.replace('_', ' ')}")
    return document


def _read_940(body):
    w05 = _first(body, "W05")
    document = {
        "number": w05.get(2) if w05 else "",
        "purpose": ORDER_PURPOSE.get(w05.get(1), w05.get(1)) if w05 else "",
        "po_number": w05.get(3) if w05 else "",
        "depositor": _read_party(body, "DE"),
        "warehouse": _read_party(body, "WH"),
        "ship_to": _read_party(body, "ST"),
        "requested_ship_date": None,
        "carrier": {},
        "notes": [],
        "lines": [],
    }
    line = None
    for segment in body:
        tag = segment.values[0]
        if tag == "G62" and segment.get(1) == "10":
            document["requested_ship_date"] = _date(segment.get(2))
        elif tag == "W66":
            document["carrier"] = {
                "payment": segment.get(1),
                "method": segment.get(2),
                "service": segment.get(5),
                "scac": segment.get(10),
            }
        elif tag == "W01":
            line = {
                "line_id": "",
                **_with_upc(_items(segment, 4, 8), segment, 3),
                "quantity": _amount(segment, 1, "W0101"),
                "uom": segment.get(2),
                "lots": [],
            }
            document["lines"].append(line)
        elif tag == "N9" and line is not None:
            if segment.get(1) == LOT_REFERENCE:
                line["lots"].append(segment.get(2))
            else:
                _apply_reference(line, segment)
        elif tag == "NTE":
            if line is not None and segment.get(1) == "LIN":
                line["description"] = (
                    line.get("description", "") + segment.get(2)
                ).strip()
            elif line is None:
                document["notes"].append(segment.get(2))
    return _require(document, "number", "shipping order")


def _read_943(body):
    w06 = _first(body, "W06")
    w27 = _first(body, "W27")
    document = {
        "number": w06.get(2) if w06 else "",
        "return": bool(w06) and w06.get(1) == CUSTOMER_RETURN,
        "date": _date(w06.get(3)) if w06 else None,
        "shipment_id": w06.get(4) if w06 else "",
        "po_number": w06.get(6) if w06 else "",
        "warehouse": _read_party(body, "WH"),
        "ship_from": _read_party(body, "SF"),
        "expected_date": None,
        "carrier": _carrier(w27, 1, 2, 3) if w27 else {},
        "lines": [],
    }
    line = None
    for segment in body:
        tag = segment.values[0]
        if tag == "G62" and segment.get(1) == "17":
            document["expected_date"] = _date(segment.get(2))
        elif tag == "W04":
            line = {
                "line_id": "",
                **_with_upc(_items(segment, 4, 8), segment, 3),
                "quantity": _amount(segment, 1, "W0401"),
                "uom": segment.get(2),
                "lots": [],
            }
            document["lines"].append(line)
        elif tag == "N9" and line is not None:
            if segment.get(1) == LOT_REFERENCE:
                line["lots"].append(segment.get(2))
            else:
                _apply_reference(line, segment)
    return _require(document, "number", "stock transfer advice")


def _read_945(body):
    w06 = _first(body, "W06")
    w27 = _first(body, "W27")
    document = {
        "order_number": w06.get(2) if w06 else "",
        "partial": bool(w06) and w06.get(1) == "P",
        "date": _date(w06.get(3)) if w06 else None,
        "shipment_id": w06.get(4) if w06 else "",
        "po_number": w06.get(6) if w06 else "",
        "warehouse": _read_party(body, "WH"),
        "ship_to": _read_party(body, "ST"),
        "carrier": _carrier(w27, 1, 2, 3) if w27 else {},
        "bill_of_lading": "",
        "tracking_numbers": [],
        "packages": [],
        "lines": [],
    }
    package = content = None
    for segment in body:
        tag = segment.values[0]
        if tag == "LX":
            package = {"package_id": "", "tracking_number": "", "contents": []}
            document["packages"].append(package)
            content = None
        elif tag == "MAN" and package is not None:
            package["package_id"] = segment.get(2)
        elif tag == "N9" and content is not None:
            _apply_reference(content, segment)
        elif tag == "N9" and segment.get(1) in (TRACKING_REFERENCE, "2I"):
            if package is not None:
                package["tracking_number"] = segment.get(2)
            if segment.get(2) not in document["tracking_numbers"]:
                document["tracking_numbers"].append(segment.get(2))
        elif tag == "N9" and segment.get(1) == BILL_OF_LADING:
            document["bill_of_lading"] = segment.get(2)
        elif tag == "G62" and segment.get(1) == "11" and package is None:
            document["date"] = _date(segment.get(2)) or document["date"]
        elif tag == "W12":
            if package is None:  # a 945 without LX: one anonymous package
                package = {"package_id": "", "tracking_number": "", "contents": []}
                document["packages"].append(package)
            content = {
                "line_id": "",
                **_with_upc(_items(segment, 7, 9), segment, 6),
                "status": segment.get(1),
                "ordered_quantity": _amount(segment, 2, "W1202"),
                "quantity": _amount(segment, 3, "W1203") or "0",
                "uom": segment.get(5),
            }
            if segment.get(9):
                content["lot"] = segment.get(9)
            if segment.get(1) == SUBSTITUTED:
                content["substituted_for"] = _items(segment, 17, 19)["item"]
            package["contents"].append(content)
    for package in document["packages"]:
        for content in package["contents"]:
            content.setdefault("lot", "")
            content.setdefault("serials", [])
            content.setdefault("substituted_for", "")
    document["lines"] = shipped_lines(document)
    return _require(document, "order_number", "shipping advice")


def shipped_lines(advice):
    """A 945's contents summed per line: quantity, lots, serials, packages."""
    lines = {}
    for package in advice["packages"]:
        for content in package["contents"]:
            key = (content["line_id"], content["item"])
            quantity = Decimal(content["quantity"])
            line = lines.get(key)
            if line is None:
                line = lines[key] = {
                    "line_id": content["line_id"],
                    "item": content["item"],
                    "gtin": content["gtin"],
                    "status": content["status"],
                    "ordered_quantity": content["ordered_quantity"],
                    "shipped_quantity": Decimal(0),
                    "uom": content["uom"],
                    "lots": {},
                    "serials": [],
                    "packages": [],
                    "substituted_for": content["substituted_for"],
                }
            line["gtin"] = line["gtin"] or content["gtin"]
            line["shipped_quantity"] += quantity
            if content["lot"]:
                line["lots"][content["lot"]] = (
                    line["lots"].get(content["lot"], Decimal(0)) + quantity
                )
            line["serials"] += content["serials"]
            line["packages"].append(
                {
                    "package_id": package["package_id"],
                    "tracking_number": package["tracking_number"],
                    "quantity": content["quantity"],
                }
            )
            if content["status"] != line["status"]:
                line["status"] = SHIPPED_PARTIAL
    return [
        {
            **line,
            "shipped_quantity": _number_text(line["shipped_quantity"]),
            "lots": [
                {"lot": lot, "quantity": _number_text(quantity)}
                for lot, quantity in line["lots"].items()
            ],
        }
        for line in lines.values()
    ]


def _read_944(body):
    w17 = _first(body, "W17")
    document = {
        "receipt_number": w17.get(3) if w17 else "",
        "return": bool(w17) and w17.get(1) == CUSTOMER_RETURN,
        "date": _date(w17.get(2)) if w17 else None,
        "order_number": w17.get(4) if w17 else "",
        "shipment_id": w17.get(5) if w17 else "",
        "warehouse": _read_party(body, "WH"),
        "lines": [],
    }
    line = None
    for segment in body:
        tag = segment.values[0]
        if tag == "W07":
            line = {
                "line_id": "",
                **_with_upc(_items(segment, 4, 8), segment, 3),
                "quantity": _amount(segment, 1, "W0701"),
                "uom": segment.get(2),
                "lot": segment.get(8),
                "exceptions": [],
            }
            document["lines"].append(line)
        elif tag == "N9" and line is not None and not line["exceptions"]:
            _apply_reference(line, segment)
        elif tag == "W13" and line is not None:
            line["exceptions"].append(
                {
                    "quantity": _amount(segment, 1, "W1301"),
                    "uom": segment.get(2),
                    "condition": segment.get(3),
                    "damaged": segment.get(3) == CONDITION_DAMAGED,
                    "reason": segment.get(5),
                }
            )
    for line in document["lines"]:
        damaged = sum(
            (Decimal(e["quantity"]) for e in line["exceptions"] if e["damaged"]),
            Decimal(0),
        )
        line["damaged_quantity"] = _number_text(damaged)
        line["good_quantity"] = _number_text(Decimal(line["quantity"]) - damaged)
    return _require(document, "receipt_number", "receipt advice")


def _read_846(body, status_codes):
    statuses = {code: status for status, code in status_codes.items()}
    bia = _first(body, "BIA")
    purposes = {code: kind for kind, code in SNAPSHOT_PURPOSE.items()}
    document = {
        "report_id": bia.get(3) if bia else "",
        "date": _date(bia.get(4)) if bia else None,
        "snapshot": purposes.get(bia.get(1), bia.get(1)) if bia else "",
        "warehouse": _read_party(body, "WH"),
        "items": [],
    }
    identity = None
    for segment in body:
        tag = segment.values[0]
        if tag == "LIN":
            identity = _items(segment, 2)
            identity.setdefault("lot", "")
        elif tag == "REF" and identity is not None and segment.get(1) == "LT":
            identity["lot"] = segment.get(2)
        elif tag == "QTY" and identity is not None:
            qualifier = segment.get(1)
            document["items"].append(
                {
                    **identity,
                    "status": statuses.get(qualifier, qualifier),
                    "quantity": _amount(segment, 2, "QTY02") or "0",
                    "uom": segment.get(3),  # none: the stock unit
                }
            )
    return _require(document, "report_id", "inventory advice")


def _read_947(body):
    w15 = _first(body, "W15")
    document = {
        "adjustment_number": w15.get(2) if w15 else "",
        "date": _date(w15.get(1)) if w15 else None,
        "warehouse": _read_party(body, "WH"),
        "adjustments": [],
    }
    entry = None
    for segment in body:
        tag = segment.values[0]
        if tag == "W19":
            reason = segment.get(1)
            entry = {
                **_with_upc(_items(segment, 5, 9), segment, 4),
                "lot": segment.get(9),
                "quantity": _amount(segment, 2, "W1902"),
                "uom": segment.get(3),
                "reason_code": reason,
                "reason": ADJUSTMENT_REASONS.get(reason, ""),
                "note": "",
            }
            document["adjustments"].append(entry)
        elif tag == "N9" and entry is not None:
            if segment.get(1) == "ZZ" and segment.get(2) == "NOTE":
                entry["note"] = segment.get(3)
            else:
                _apply_reference(entry, segment)
    return _require(document, "adjustment_number", "inventory adjustment advice")


_READERS = {
    SHIPPING_ORDER: _read_940,
    STOCK_TRANSFER: _read_943,
    SHIPPING_ADVICE: _read_945,
    RECEIPT_ADVICE: _read_944,
    INVENTORY_ADJUSTMENT: _read_947,
}


# -- the same documents from a warehouse's JSON API -------------------------------


def read_warehouse_json(kind, data):
    """The dict :func:`read_warehouse_document` gives for the same document, from
    the JSON a warehouse API sends (the builders' input shapes above: a shipping
    advice by packages, a receipt advice with its exceptions...), so that one
    applier serves both profiles.

    ``data`` is untrusted: anything that is not the expected shape raises
    :class:`~.documents.DocumentError` naming what is wrong.
    """
    reader = _JSON_READERS.get(kind)
    if reader is None:
        raise DocumentError(f"{kind!r} is not a warehouse document read from JSON")
    document = reader(_json_object(data, kind.replace("_", " ")))
    document["kind"] = kind
    return document


def _json_object(value, what):
    if not isinstance(value, dict):
        raise DocumentError(f"the {what} is not a JSON object")
    return value


def _json_list(document, key, what):
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DocumentError(f"{key} of the {what} is not a list of objects")
    return value


def _json_text(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise DocumentError(f"{str(value)[:40]!r} is not a text value")
    return str(value)


def _json_amount(value, what):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DocumentError(f"{what} is not a number: {str(value)[:40]!r}")
    number = _decimal(str(value), what)
    if not number.is_finite():
        raise DocumentError(f"{what} is not a number: {value!r}")
    return _number_text(number)


def _json_flag(value, what):
    """A JSON yes/no: ``"false"`` or ``"0"`` sent as text must not read as yes."""
    if value in (None, "", False, 0, True, 1) and not isinstance(value, float):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise DocumentError(f"{what} is not true or false: {str(value)[:40]!r}")


def _json_date(value):
    text = _json_text(value)
    return _date(text.replace("-", "")[:8]) if text else None


def _json_party(document, key):
    party = document.get(key) or {}
    if not isinstance(party, dict):
        raise DocumentError(f"{key} is not a JSON object")
    return {k: _json_text(v) for k, v in party.items() if v not in (None, "")}


def _json_item(entry):
    return {
        "item": _json_text(entry.get("item")),
        "gtin": _json_text(entry.get("gtin")),
    }


def _json_945(data):
    document = {
        "order_number": _json_text(data.get("order_number")),
        "partial": _json_flag(data.get("partial"), "partial"),
        "date": _json_date(data.get("date")),
        "shipment_id": _json_text(data.get("shipment_id")),
        "po_number": _json_text(data.get("po_number")),
        "warehouse": _json_party(data, "warehouse"),
        "ship_to": _json_party(data, "ship_to"),
        "carrier": _json_party(data, "carrier"),
        "bill_of_lading": _json_text(data.get("bill_of_lading")),
        "tracking_numbers": [],
        "packages": [],
        "lines": [],
    }
    _require(document, "order_number", "shipping advice")
    per_line = {}
    for package in _json_list(data, "packages", "shipping advice"):
        read = {
            "package_id": _json_text(package.get("package_id")),
            "tracking_number": _json_text(package.get("tracking_number")),
            "contents": [],
        }
        tracking = read["tracking_number"]
        if tracking and tracking not in document["tracking_numbers"]:
            document["tracking_numbers"].append(tracking)
        for content in _json_list(package, "contents", "shipping advice"):
            serials = content.get("serials") or []
            if not isinstance(serials, list):
                raise DocumentError("serials of a shipped line is not a list")
            line = {
                "line_id": _json_text(content.get("line_id")),
                **_json_item(content),
                "status": _json_text(content.get("status")),
                "ordered_quantity": _json_amount(
                    content.get("ordered_quantity"), "an ordered quantity"
                ),
                "quantity": _json_amount(content.get("quantity"), "a shipped quantity")
                or "0",
                # None given: the product's stock unit, as in a 945 without W1205.
                "uom": _json_text(content.get("uom")),
                "lot": _json_text(content.get("lot")),
                "serials": [_json_text(s) for s in serials],
                "substituted_for": _json_text(content.get("substituted_for")),
            }
            key = line["line_id"] or line["item"]
            per_line[key] = per_line.get(key, Decimal(0)) + Decimal(line["quantity"])
            read["contents"].append(line)
        document["packages"].append(read)
    for package in document["packages"]:
        for line in package["contents"]:
            # As the 945 builder states it when the warehouse did not.
            if not line["status"]:
                ordered = line["ordered_quantity"]
                shipped = per_line[line["line_id"] or line["item"]]
                line["status"] = (
                    SUBSTITUTED
                    if line["substituted_for"]
                    else SHIPPED_PARTIAL
                    if ordered is not None and shipped < Decimal(ordered)
                    else SHIPPED_COMPLETE
                )
    document["lines"] = shipped_lines(document)
    return document


def _json_944(data):
    document = {
        "receipt_number": _json_text(data.get("receipt_number")),
        "return": _json_flag(data.get("return"), "return"),
        "date": _json_date(data.get("date")),
        "order_number": _json_text(data.get("order_number")),
        "shipment_id": _json_text(data.get("shipment_id")),
        "warehouse": _json_party(data, "warehouse"),
        "lines": [],
    }
    _require(document, "receipt_number", "receipt advice")
    for entry in _json_list(data, "lines", "receipt advice"):
        received = _json_amount(entry.get("quantity"), "a received quantity") or "0"
        line = {
            "line_id": _json_text(entry.get("line_id")),
            **_json_item(entry),
            "quantity": received,
            "uom": _json_text(entry.get("uom")),  # none: the stock unit
            "lot": _json_text(entry.get("lot")),
            "exceptions": [],
        }
        serials = entry.get("serials") or []
        if not isinstance(serials, list):
            raise DocumentError("serials of a received line is not a list")
        if serials:
            line["serials"] = [_json_text(serial) for serial in serials]
        damaged = Decimal(0)
        for exception in _json_list(entry, "exceptions", "receipt advice"):
            condition = _json_text(exception.get("condition")) or CONDITION_DAMAGED
            read = {
                "quantity": _json_amount(exception.get("quantity"), "an exception")
                or "0",
                "uom": _json_text(exception.get("uom")) or line["uom"],
                "condition": condition,
                "damaged": condition == CONDITION_DAMAGED,
                "reason": _json_text(exception.get("reason")),
            }
            if read["damaged"]:
                damaged += Decimal(read["quantity"])
            line["exceptions"].append(read)
        line["damaged_quantity"] = _number_text(damaged)
        line["good_quantity"] = _number_text(Decimal(received) - damaged)
        document["lines"].append(line)
    return document


def _json_846(data):
    document = {
        "report_id": _json_text(data.get("report_id")),
        "date": _json_date(data.get("date")),
        "snapshot": _json_text(data.get("snapshot")) or "full",
        "warehouse": _json_party(data, "warehouse"),
        "items": [],
    }
    _require(document, "report_id", "inventory advice")
    for entry in _json_list(data, "items", "inventory advice"):
        document["items"].append(
            {
                **_json_item(entry),
                "lot": _json_text(entry.get("lot")),
                "status": _json_text(entry.get("status")) or "available",
                "quantity": _json_amount(entry.get("quantity"), "a stock quantity")
                or "0",
                "uom": _json_text(entry.get("uom")),  # none: the stock unit
            }
        )
    return document


def _json_947(data):
    document = {
        "adjustment_number": _json_text(data.get("adjustment_number")),
        "date": _json_date(data.get("date")),
        "warehouse": _json_party(data, "warehouse"),
        "adjustments": [],
    }
    _require(document, "adjustment_number", "inventory adjustment advice")
    for entry in _json_list(data, "adjustments", "inventory adjustment advice"):
        reason = _json_text(entry.get("reason_code")) or "AH"
        document["adjustments"].append(
            {
                **_json_item(entry),
                "lot": _json_text(entry.get("lot")),
                "quantity": _json_amount(entry.get("quantity"), "an adjustment"),
                "uom": _json_text(entry.get("uom")),  # none: the stock unit
                "reason_code": reason,
                "reason": ADJUSTMENT_REASONS.get(reason, ""),
                "note": _json_text(entry.get("note")),
            }
        )
    return document


_JSON_READERS = {
    SHIPPING_ADVICE: _json_945,
    RECEIPT_ADVICE: _json_944,
    INVENTORY_ADVICE: _json_846,
    INVENTORY_ADJUSTMENT: _json_947,
}
