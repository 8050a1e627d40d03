"""Business documents to and from transaction sets, in both dialects.

Outbound, :func:`order_set` turns a purchase order (a plain ``dict``) into an
850 or an ORDERS. Inbound, :func:`read_business_document` turns a read
:class:`~.reader.TransactionSet` into a JSON-ready ``dict`` that says the same
thing whichever dialect it came in:

* ``order_response`` (855 / ORDRSP): per line the verdict, confirmed quantity,
  price and date;
* ``change_response`` (865): the supplier's answer to a revision or a
  cancellation of the order, line by line like an 855 (EDIFACT answers a
  change with an ORDRSP);
* ``despatch`` (856 / DESADV): shipment, carrier, tracking, items and lots;
* ``invoice`` (810 / INVOIC): number, dates, lines, totals;
* ``acknowledgement`` (997 / CONTRL): which sets were accepted or rejected,
  with the error codes.

Quantities and amounts are decimal strings, dates ISO ``YYYY-MM-DD``: the dicts
are stored as message payloads a person can read and, when needed, correct.
Line numbers are the ones the buyer sent (the purchase line's id), which every
answering document quotes back.
"""

import datetime
from decimal import Decimal, InvalidOperation

from .errors import EdiError
from .reader import REJECTED
from .syntax import X12
from .writer import OutboundSet

ORDER_RESPONSE = "order_response"
CHANGE_RESPONSE = "change_response"
DESPATCH = "despatch"
INVOICE = "invoice"
ACKNOWLEDGEMENT = "acknowledgement"
ORDER = "order"

KIND_BY_CODE = {
    "850": ORDER,
    "ORDERS": ORDER,
    "855": ORDER_RESPONSE,
    "ORDRSP": ORDER_RESPONSE,
    "865": CHANGE_RESPONSE,
    "856": DESPATCH,
    "DESADV": DESPATCH,
    "810": INVOICE,
    "INVOIC": INVOICE,
    "997": ACKNOWLEDGEMENT,
    "CONTRL": ACKNOWLEDGEMENT,
}

# Line verdicts in X12's ACK01 vocabulary (element 668), used for both dialects.
LINE_ACCEPTED = "IA"
LINE_REJECTED = "IR"
LINE_QUANTITY_CHANGED = "IQ"
LINE_BACKORDERED = "IB"
LINE_PARTLY_BACKORDERED = "BP"
LINE_PRICE_CHANGED = "IP"
LINE_DATE_CHANGED = "DR"
LINE_CHANGED = "IC"
LINE_DELETED = "ID"
# What each verdict means to the buyer. 668 is the same list in 004010 and
# 005010; R5-R9 came later and read as the rejections they are.
MEANING_ACCEPTED = "accepted"
MEANING_CHANGED = "changed"
MEANING_BACKORDERED = "backordered"
MEANING_PRICE_PENDING = "price_pending"
MEANING_ON_HOLD = "on_hold"
MEANING_DELETED = "deleted"
MEANING_REJECTED = "rejected"
LINE_MEANINGS = {
    "IA": MEANING_ACCEPTED,  # accepted
    "AA": MEANING_ACCEPTED,  # accepted, forwarded to an alternate location
    "AC": MEANING_ACCEPTED,  # accepted and shipped
    "AR": MEANING_ACCEPTED,  # accepted and released for shipment
    "SP": MEANING_ACCEPTED,  # accepted, schedule date pending
    "IC": MEANING_CHANGED,  # accepted, changes made
    "IP": MEANING_CHANGED,  # accepted, price changed
    "IQ": MEANING_CHANGED,  # accepted, quantity changed
    "DR": MEANING_CHANGED,  # accepted, date rescheduled
    "IS": MEANING_CHANGED,  # accepted, substitution made
    "IB": MEANING_BACKORDERED,  # backordered
    "BP": MEANING_BACKORDERED,  # partial shipment, balance backordered
    "IE": MEANING_PRICE_PENDING,  # accepted, price pending
    "IF": MEANING_ON_HOLD,  # on hold, incomplete description
    "IH": MEANING_ON_HOLD,  # on hold
    "IW": MEANING_ON_HOLD,  # on hold, waiver required
    "ID": MEANING_DELETED,  # deleted
    "IR": MEANING_REJECTED,
    **{f"R{n}": MEANING_REJECTED for n in range(1, 10)},
}
LINE_STATUS_WORDS = {
    "IA": "accepted",
    "AA": "accepted, forwarded to another location of the supplier",
    "AC": "accepted and shipped",
    "AR": "accepted and released for shipment",
    "SP": "accepted, schedule date pending",
    "IC": "accepted with changes",
    "IP": "price changed",
    "IQ": "quantity changed",
    "DR": "date rescheduled",
    "IS": "substituted",
    "IB": "backordered",
    "BP": "partly shipped, balance backordered",
    "IE": "accepted, price pending",
    "IF": "on hold, incomplete description",
    "IH": "on hold",
    "IW": "on hold, waiver required",
    "ID": "deleted",
    "IR": "rejected",
    "R1": "rejected, not a contract item",
    "R2": "rejected, invalid item product number",
    "R3": "rejected, invalid unit of issue",
    "R4": "rejected, contract item not available",
    "R5": "rejected, reorder as a just-in-time order",
    "R6": "rejected, reorder as an extended delivery order",
    "R7": "rejected, reorder as a drop shipment",
    "R8": "rejected, reorder as a surge order",
    "R9": "rejected, discontinued",
}


def line_meaning(code):
    """What a line verdict code means (``None`` for a code no list has)."""
    return LINE_MEANINGS.get(code or LINE_ACCEPTED)


# EDIFACT LIN 1229 (D.96A): the seller's verdict, when it gives one. 1 to 4
# repeat the action of a change the buyer asked for; the quantities say how
# it was answered.
EDIFACT_LINE_ACTIONS = {"5": LINE_ACCEPTED, "6": LINE_CHANGED, "7": LINE_REJECTED}
EDIFACT_CHANGE_ACTIONS = {"1": "added", "2": "deleted", "3": "changed", "4": ""}
# What an order is: BEG01 (353) and BGM 1225.
X12_PURPOSES = {"original": "00", "replace": "05", "cancel": "01"}
EDIFACT_FUNCTIONS = {"original": "9", "replace": "5", "cancel": "1"}
# BAK02 / BCA02 (587) values that refuse the whole order (or change); BGM
# 4343 RE (rejected) and BGM 1225 27 (not accepted) say the same in EDIFACT.
ORDER_REJECTED_CODES = ("RD", "RF", "RJ", "RN", "RO", "RV")
EDIFACT_REJECTED_RESPONSES = ("RE",)
EDIFACT_REJECTED_FUNCTIONS = ("27",)
# BAK02 AH and BGM 4343 AJ (pending): the supplier holds the order.
ORDER_HELD_CODES = ("AH", "AJ")

VENDOR_CODE_QUALIFIERS = ("VP", "VN", "SA")
GTIN_QUALIFIERS = ("UP", "EN", "UK", "SRV")
LOT_QUALIFIERS = ("LT", "B8")


class DocumentError(EdiError):
    """A set that parsed cleanly but does not say what its kind must say."""

    transient = False
    category = "validation"


# -- small readers -------------------------------------------------------------


def _decimal(text, what):
    if text in ("", None):
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise DocumentError(f"{what} is not a number: {text!r}") from exc


def _text(value):
    return "" if value is None else str(value)


def _number_text(value):
    return None if value is None else format(value, "f")


def _date(text, fmt="102"):
    """ISO date of an X12 CCYYMMDD / YYMMDD or an EDIFACT DTM value."""
    if not text:
        return None
    digits = text.strip()
    try:
        if fmt in ("203", "204") or len(digits) >= 12:
            return datetime.datetime.strptime(digits[:8], "%Y%m%d").date().isoformat()
        if len(digits) == 6 or fmt == "101":
            return datetime.datetime.strptime(digits[:6], "%y%m%d").date().isoformat()
        return datetime.datetime.strptime(digits[:8], "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def _pairs(segment, start, stop=None):
    """Qualifier/value pairs of an X12 segment from element ``start``."""
    values = segment.values
    stop = min(stop or len(values), len(values))
    for position in range(start, stop - 1, 2):
        qualifier, value = segment.get(position), segment.get(position + 1)
        if qualifier and value:
            yield qualifier, value


def _blocks(segments, head_tag, stop_tags=()):
    """Split ``segments`` into runs that start at ``head_tag``."""
    header, blocks = [], []
    for segment in segments:
        tag = segment.values[0]
        if tag in stop_tags:
            break
        if tag == head_tag:
            blocks.append([segment])
        elif blocks:
            blocks[-1].append(segment)
        else:
            header.append(segment)
    return header, blocks


def _first(segments, tag, qualifier=None):
    """The first ``tag`` segment (whose first element is ``qualifier``, if given)."""
    for segment in segments:
        if segment.values[0] == tag and qualifier in (None, segment.get(1)):
            return segment
    return None


def _identifiers(vendor_code=None, gtin=None, qualifier_pairs=()):
    ids = {"vendor_code": vendor_code or "", "gtin": gtin or ""}
    for qualifier, value in qualifier_pairs:
        if qualifier in VENDOR_CODE_QUALIFIERS and not ids["vendor_code"]:
            ids["vendor_code"] = value
        elif qualifier in GTIN_QUALIFIERS and not ids["gtin"]:
            ids["gtin"] = value
        elif qualifier in LOT_QUALIFIERS:
            ids.setdefault("lots", []).append(value)
    return ids


def _verdict(ordered, confirmed, backordered=None, dated=False):
    """An EDIFACT line's verdict from its quantities, in 668's words."""
    if confirmed is None or ordered is None or confirmed == ordered:
        return LINE_ACCEPTED
    if confirmed == 0:
        # QTY+83 is the backorder quantity; a line with nothing confirmed and
        # no delivery date is refused, whatever it says is missing.
        return LINE_BACKORDERED if backordered and dated else LINE_REJECTED
    return LINE_QUANTITY_CHANGED


# -- outbound: the purchase order ----------------------------------------------


def _gtin_qualifier(gtin):
    return "UP" if len(gtin) == 12 else "EN"


def _x12_date(value):
    return value.replace("-", "") if value else ""


def order_set(order, dialect, control_number, *, x12_version="004010"):
    """The 850 (``dialect`` X12) or ORDERS (EDIFACT) of ``order``.

    ``order`` keys: ``number``, ``purpose`` (``original``, ``replace`` or
    ``cancel``),
    ``date``, ``currency``, ``requested_date``, ``buyer`` and ``supplier``
    (``{"name", "id"}``), ``ship_to`` (``{"name", "code", "street", "city",
    "zip", "state", "country"}``) and ``lines``: ``line_id``, ``vendor_code``,
    ``gtin``, ``description``, ``quantity``, ``uom``, ``price`` (decimals as
    text or Decimal) and ``date``.
    """
    if not order.get("lines"):
        raise DocumentError(f"order {order.get('number')} has no lines to send")
    if dialect == X12:
        return OutboundSet("850", control_number, _x12_order_body(order))
    return OutboundSet("ORDERS", control_number, _edifact_order_body(order))


def _x12_order_body(order):
    purpose = X12_PURPOSES[order.get("purpose") or "original"]
    body = [("BEG", purpose, "SA", order["number"], "", _x12_date(order["date"]))]
    if order.get("currency"):
        body.append(("CUR", "BY", order["currency"]))
    if order.get("requested_date"):
        body.append(("DTM", "002", _x12_date(order["requested_date"])))
    for qualifier, party in (("BY", order.get("buyer")), ("SE", order.get("supplier"))):
        if party and party.get("name"):
            body.append(
                ("N1", qualifier, party["name"][:60], "92", party.get("id", ""))
            )
    ship_to = order.get("ship_to") or {}
    if ship_to.get("name"):
        body.append(("N1", "ST", ship_to["name"][:60], "92", ship_to.get("code", "")))
        if ship_to.get("street"):
            body.append(("N3", ship_to["street"][:55]))
        if ship_to.get("city"):
            body.append(
                (
                    "N4",
                    ship_to["city"][:30],
                    ship_to.get("state", "")[:2],
                    ship_to.get("zip", "")[:15],
                    ship_to.get("country", "")[:3],
                )
            )
    for line in order["lines"]:
        po1 = [
            "PO1",
            str(line["line_id"]),
            Decimal(str(line["quantity"])),
            line.get("uom") or "EA",
            Decimal(str(line["price"])),
            "",
        ]
        if line.get("vendor_code"):
            po1 += ["VP", line["vendor_code"]]
        if line.get("gtin"):
            po1 += [_gtin_qualifier(line["gtin"]), line["gtin"]]
        body.append(tuple(po1))
        if line.get("description"):
            body.append(("PID", "F", "", "", "", line["description"][:80]))
        if line.get("date"):
            body.append(("DTM", "002", _x12_date(line["date"])))
    body.append(("CTT", len(order["lines"])))
    return body


def _edifact_order_body(order):
    function = EDIFACT_FUNCTIONS[order.get("purpose") or "original"]
    body = [
        ("BGM", "220", order["number"], function),
        ("DTM", ("137", _x12_date(order["date"]), "102")),
    ]
    if order.get("requested_date"):
        body.append(("DTM", ("2", _x12_date(order["requested_date"]), "102")))
    for qualifier, party in (("BY", order.get("buyer")), ("SU", order.get("supplier"))):
        if party and party.get("id"):
            body.append(("NAD", qualifier, (party["id"], "", "92")))
    ship_to = order.get("ship_to") or {}
    if ship_to.get("code") or ship_to.get("name"):
        body.append(
            (
                "NAD",
                "DP",
                (ship_to.get("code") or ship_to["name"][:35], "", "92"),
                "",
                ship_to.get("name", "")[:35],
                ship_to.get("street", "")[:35],
                ship_to.get("city", "")[:35],
                "",
                ship_to.get("zip", "")[:9],
                ship_to.get("country", "")[:3],
            )
        )
    if order.get("currency"):
        body.append(("CUX", ("2", order["currency"], "9")))
    for line in order["lines"]:
        lin = ["LIN", str(line["line_id"]), ""]
        if line.get("vendor_code"):
            lin.append((line["vendor_code"], "VP"))
        body.append(tuple(lin))
        if line.get("gtin"):
            body.append(("PIA", "1", (line["gtin"], _gtin_qualifier(line["gtin"]))))
        if line.get("description"):
            body.append(("IMD", "F", "", ("", "", "", line["description"][:35])))
        body.append(
            ("QTY", ("21", _number_text(Decimal(str(line["quantity"]))), line["uom"]))
        )
        if line.get("date"):
            body.append(("DTM", ("2", _x12_date(line["date"]), "102")))
        body.append(("PRI", ("AAA", _number_text(Decimal(str(line["price"]))))))
    body += [("UNS", "S"), ("CNT", ("2", str(len(order["lines"]))))]
    return body


# -- inbound: what a supplier sends ---------------------------------------------


def read_business_document(transaction_set):
    """The business content of a read set, as a JSON-ready dict.

    Raises :class:`DocumentError` when the set is not one the channel reads
    or lacks what its kind needs (an order number, say).
    """
    kind = KIND_BY_CODE.get(transaction_set.code)
    reader = _READERS.get((kind, transaction_set.interchange.dialect == X12))
    if reader is None:
        raise DocumentError(
            f"{transaction_set.code} is not a document this channel receives"
        )
    document = reader(transaction_set.body)
    document.update(
        kind=kind,
        code=transaction_set.code,
        control_number=transaction_set.control_number,
    )
    return document


def _require(document, key, what):
    if not document.get(key):
        raise DocumentError(f"the {what} does not say its {key.replace('_', ' ')}")
    return document


# 855 and 865


def _x12_order_response(body):
    bak = _first(body, "BAK")
    document = {
        "order_number": bak.get(3) if bak else "",
        "purpose": bak.get(1) if bak else "",
        "response_type": bak.get(2) if bak else "",
        "seller_reference": bak.get(8) if bak else "",
        "date": _date(bak.get(4)) if bak else None,
        "lines": [],
    }
    _x12_response_lines(document, body, "PO1")
    return _require(document, "order_number", "order response")


def _x12_change_response(body):
    bca = _first(body, "BCA")
    document = {
        "order_number": bca.get(3) if bca else "",
        "purpose": bca.get(1) if bca else "",
        "response_type": bca.get(2) if bca else "",
        "change_sequence": bca.get(5) if bca else "",
        "seller_reference": bca.get(9) if bca else "",
        "date": _date(bca.get(10) or bca.get(6)) if bca else None,
        "lines": [],
    }
    _x12_response_lines(document, body, "POC")
    return _require(document, "order_number", "change acknowledgement")


# PO1 and POC: where the quantity, unit, price and product ids are.
_LINE_POSITIONS = {"PO1": (2, 3, 4, 6), "POC": (3, 5, 6, 8)}


def _x12_response_lines(document, body, head):
    document["order_rejected"] = document["response_type"] in ORDER_REJECTED_CODES
    document["order_held"] = document["response_type"] in ORDER_HELD_CODES
    quantity_at, uom_at, price_at, ids_at = _LINE_POSITIONS[head]
    _header, blocks = _blocks(body, head, stop_tags=("CTT",))
    for block in blocks:
        head_segment = block[0]
        ordered = _decimal(head_segment.get(quantity_at), f"{head}0{quantity_at}")
        line = {
            "line_id": head_segment.get(1),
            "ordered_quantity": _number_text(ordered),
            "uom": head_segment.get(uom_at),
            "price": _number_text(
                _decimal(head_segment.get(price_at), f"{head}0{price_at}")
            ),
            **_identifiers(qualifier_pairs=_pairs(head_segment, ids_at)),
            "status": LINE_ACCEPTED,
            "confirmed_quantity": _number_text(ordered),
            "date": None,
            "reason": "",
        }
        if head == "POC":
            line["change_action"] = head_segment.get(2)
        acks = [segment for segment in block if segment.values[0] == "ACK"]
        if acks:
            _x12_acks(line, acks, ordered)
        reason = _first(block, "REF", "ZZ")
        if reason is not None:
            line["reason"] = reason.get(3) or reason.get(2)
        document["lines"].append(line)


def _x12_acks(line, acks, ordered):
    """Fold a line's ACK segments into its verdict and quantities.

    A split line carries one ACK per part (say IA 60 and IB 40 with the date
    the 40 follow); ACK02 is the quantity each part is about, ACK03 its unit,
    ACK04/05 its date.
    """
    confirmed = Decimal(0)
    backordered = Decimal(0)
    backorder_named = False
    codes = []
    for ack in acks:
        code = ack.get(1) or LINE_ACCEPTED
        codes.append(code)
        quantity = _decimal(ack.get(2), "ACK02")
        meaning = line_meaning(code)
        date = _date(ack.get(5)) if ack.get(5) else None
        if ack.get(3) and not line.get("uom"):
            line["uom"] = ack.get(3)
        if code == LINE_BACKORDERED:
            backorder_named = True
            backordered += quantity or 0
            if date:
                line["backorder_date"] = line.get("backorder_date") or date
            continue
        if meaning not in (MEANING_REJECTED, MEANING_DELETED, MEANING_ON_HOLD):
            confirmed += quantity if quantity is not None else (ordered or 0)
        if date:
            line["date"] = line["date"] or date
    # The first verdict that is not the backordered rest is the line's.
    line["status"] = next(
        (code for code in codes if code != LINE_BACKORDERED), LINE_BACKORDERED
    )
    if line["status"] == LINE_PARTLY_BACKORDERED or (
        backorder_named and not backordered
    ):
        # BP, or an IB without its quantity: the balance of the order.
        backordered = max((ordered or 0) - confirmed, Decimal(0))
    line["confirmed_quantity"] = _number_text(confirmed)
    if backordered:
        line["backordered_quantity"] = _number_text(backordered)
        if line["status"] == LINE_BACKORDERED:
            line["date"] = line["date"] or line.get("backorder_date")


def _edifact_quantity(block, qualifier):
    for segment in block:
        if segment.values[0] == "QTY" and segment.get(1) == qualifier:
            return _decimal(segment.get(1, 2), f"QTY {qualifier}"), segment.get(1, 3)
    return None, ""


def _edifact_date(segments, qualifiers):
    for segment in segments:
        if segment.values[0] == "DTM" and segment.get(1) in qualifiers:
            return _date(segment.get(1, 2), segment.get(1, 3))
    return None


def _edifact_reference(segments, qualifier):
    for segment in segments:
        if segment.values[0] == "RFF" and segment.get(1) == qualifier:
            return segment.get(1, 2)
    return ""


def _edifact_line_ids(block):
    lin = block[0]
    pairs = []
    if lin.get(3):
        pairs.append((lin.get(3, 2) or "VP", lin.get(3)))
    for segment in block[1:]:
        tag = segment.values[0]
        if tag == "PIA":
            for position in range(2, len(segment.values)):
                if segment.get(position):
                    pairs.append((segment.get(position, 2), segment.get(position, 1)))
        elif tag == "GIN" and segment.get(1) in ("BX", "BN"):
            pairs.append(("LT", segment.get(2)))
        elif tag == "RFF" and segment.get(1) == "BT":
            pairs.append(("LT", segment.get(1, 2)))
    return _identifiers(qualifier_pairs=pairs)


def _edifact_order_response(body):
    bgm = _first(body, "BGM")
    header, blocks = _blocks(body, "LIN", stop_tags=("UNS", "CNT"))
    document = {
        "order_number": _edifact_reference(header, "ON"),
        "function": bgm.get(3) if bgm else "",
        "response_type": bgm.get(4) if bgm else "",
        "seller_reference": bgm.get(2) if bgm else "",
        "date": _edifact_date(header, ("137",)),
        "lines": [],
    }
    document["order_rejected"] = (
        document["response_type"] in EDIFACT_REJECTED_RESPONSES
        or document["function"] in EDIFACT_REJECTED_FUNCTIONS
    )
    document["order_held"] = document["response_type"] in ORDER_HELD_CODES
    for block in blocks:
        ordered, uom = _edifact_quantity(block, "21")
        confirmed, confirmed_uom = _edifact_quantity(block, "113")
        if confirmed is None:
            confirmed, confirmed_uom = _edifact_quantity(block, "12")
        backordered, _uom = _edifact_quantity(block, "83")
        if ordered is None:
            ordered = confirmed
        price = None
        for segment in block:
            if segment.values[0] == "PRI" and segment.get(1, 2):
                price = _decimal(segment.get(1, 2), "PRI 5118")
                break
        reason = _first(block, "FTX", "AAO")
        date = _edifact_date(block, ("67", "2", "69"))
        action = block[0].get(2)
        status = EDIFACT_LINE_ACTIONS.get(action) or _verdict(
            ordered, confirmed, backordered, dated=bool(date)
        )
        if status == LINE_REJECTED:
            confirmed = Decimal(0)
        line = {
            "line_id": block[0].get(1),
            "ordered_quantity": _number_text(ordered),
            "uom": uom or confirmed_uom,
            "price": _number_text(price),
            **_edifact_line_ids(block),
            "status": status,
            "confirmed_quantity": _number_text(
                confirmed if confirmed is not None else ordered
            ),
            "date": date,
            "reason": reason.get(4) if reason is not None else "",
        }
        if action in EDIFACT_CHANGE_ACTIONS:
            line["change_action"] = EDIFACT_CHANGE_ACTIONS[action]
        if backordered and status != LINE_REJECTED:
            line["backordered_quantity"] = _number_text(backordered)
            line["backorder_date"] = date
        document["lines"].append(line)
    return _require(document, "order_number", "order response")


# 856


def _x12_despatch(body):
    bsn = _first(body, "BSN")
    document = {
        "shipment_id": bsn.get(2) if bsn else "",
        "date": _date(bsn.get(3)) if bsn else None,
        "order_numbers": [],
        "carrier": "",
        "carrier_code": "",
        "tracking_numbers": [],
        "bill_of_lading": "",
        "shipped_date": None,
        "expected_date": None,
        "items": [],
    }
    level = ""
    order_number = ""
    item = None
    for segment in body:
        tag = segment.values[0]
        if tag == "HL":
            level = segment.get(3)
            item = None
            continue
        if tag == "TD5" and not document["carrier"]:
            document["carrier_code"] = segment.get(3)
            document["carrier"] = segment.get(5) or segment.get(3)
        elif tag == "REF" and level == "S":
            if segment.get(1) in ("CN", "2I"):
                document["tracking_numbers"].append(segment.get(2))
            elif segment.get(1) == "BM":
                document["bill_of_lading"] = segment.get(2)
        elif tag == "DTM" and level == "S":
            if segment.get(1) == "011":
                document["shipped_date"] = _date(segment.get(2))
            elif segment.get(1) in ("017", "067"):
                document["expected_date"] = _date(segment.get(2))
        elif tag == "PRF":
            order_number = segment.get(1)
            if order_number not in document["order_numbers"]:
                document["order_numbers"].append(order_number)
        elif tag == "LIN":
            item = {
                "line_id": segment.get(1),
                "order_number": order_number,
                **_identifiers(qualifier_pairs=_pairs(segment, 2)),
                "quantity": None,
                "uom": "",
            }
            document["items"].append(item)
        elif tag == "SN1" and item is not None:
            item["line_id"] = item["line_id"] or segment.get(1)
            item["quantity"] = _number_text(_decimal(segment.get(2), "SN102"))
            item["uom"] = segment.get(3)
            if segment.get(5):
                item["ordered_quantity"] = _number_text(
                    _decimal(segment.get(5), "SN105")
                )
        elif tag == "REF" and item is not None and segment.get(1) in LOT_QUALIFIERS:
            item.setdefault("lots", []).append(segment.get(2))
    return _require(document, "shipment_id", "ship notice")


def _edifact_despatch(body):
    bgm = _first(body, "BGM")
    header, blocks = _blocks(body, "LIN", stop_tags=("UNS", "CNT"))
    order_number = _edifact_reference(header, "ON")
    tdt = _first(header, "TDT")
    document = {
        "shipment_id": bgm.get(2) if bgm else "",
        "date": _edifact_date(header, ("137",)),
        "order_numbers": [order_number] if order_number else [],
        "carrier": (tdt.get(8, 4) or tdt.get(8, 1)) if tdt else "",
        "carrier_code": tdt.get(8, 1) if tdt else "",
        "tracking_numbers": [
            s.get(1, 2)
            for s in header
            if s.values[0] == "RFF" and s.get(1) in ("CN", "AAS")
        ],
        "bill_of_lading": _edifact_reference(header, "BM")
        or (tdt.get(2) if tdt else ""),
        "shipped_date": _edifact_date(header, ("11",)),
        "expected_date": _edifact_date(header, ("17", "132")),
        "items": [],
    }
    for block in blocks:
        quantity, uom = _edifact_quantity(block, "12")
        reference = _first(block, "RFF", "ON")
        item = {
            "line_id": (reference.get(1, 3) if reference is not None else "")
            or block[0].get(1),
            "order_number": (reference.get(1, 2) if reference is not None else "")
            or order_number,
            **_edifact_line_ids(block),
            "quantity": _number_text(quantity),
            "uom": uom,
        }
        document["items"].append(item)
        if (
            item["order_number"]
            and item["order_number"] not in document["order_numbers"]
        ):
            document["order_numbers"].append(item["order_number"])
    return _require(document, "shipment_id", "despatch advice")


# 810


def _x12_invoice(body):
    big = _first(body, "BIG")
    cur = _first(body, "CUR")
    tds = _first(body, "TDS")
    document = {
        "invoice_number": big.get(2) if big else "",
        "date": _date(big.get(1)) if big else None,
        "order_number": big.get(4) if big else "",
        "currency": cur.get(2) if cur else "",
        "shipment_id": "",
        "lines": [],
        # TDS01 is the total in cents (two implied decimals).
        "total": _number_text(_decimal(tds.get(1), "TDS01") / 100)
        if tds and tds.get(1)
        else None,
    }
    reference = _first(body, "REF", "SI")
    if reference is not None:
        document["shipment_id"] = reference.get(2)
    _header, blocks = _blocks(body, "IT1", stop_tags=("TDS", "CTT"))
    for block in blocks:
        it1 = block[0]
        document["lines"].append(
            {
                "line_id": it1.get(1),
                "quantity": _number_text(_decimal(it1.get(2), "IT102")),
                "uom": it1.get(3),
                "price": _number_text(_decimal(it1.get(4), "IT104")),
                **_identifiers(qualifier_pairs=_pairs(it1, 6)),
            }
        )
    _require(document, "invoice_number", "invoice")
    return _require(document, "order_number", "invoice")


def _edifact_invoice(body):
    bgm = _first(body, "BGM")
    header, blocks = _blocks(body, "LIN", stop_tags=("UNS",))
    cux = _first(header, "CUX")
    document = {
        "invoice_number": bgm.get(2) if bgm else "",
        "date": _edifact_date(header, ("137", "3")),
        "order_number": _edifact_reference(header, "ON"),
        "currency": cux.get(1, 2) if cux else "",
        "shipment_id": _edifact_reference(header, "AAK"),
        "lines": [],
        "total": None,
    }
    for segment in body:
        if segment.values[0] == "MOA" and segment.get(1) in ("77", "86", "39"):
            document["total"] = _number_text(_decimal(segment.get(1, 2), "MOA"))
            break
    for block in blocks:
        quantity, uom = _edifact_quantity(block, "47")
        price = None
        for segment in block:
            if segment.values[0] == "PRI" and segment.get(1, 2):
                price = _decimal(segment.get(1, 2), "PRI 5118")
                break
        document["lines"].append(
            {
                "line_id": block[0].get(1),
                "quantity": _number_text(quantity),
                "uom": uom,
                "price": _number_text(price),
                **_edifact_line_ids(block),
            }
        )
    _require(document, "invoice_number", "invoice")
    return _require(document, "order_number", "invoice")


# 997 / CONTRL


def _x12_acknowledgement(body):
    ak1 = _first(body, "AK1")
    ak9 = _first(body, "AK9")
    document = {
        "functional_id": ak1.get(1) if ak1 else "",
        "acknowledged_group": ak1.get(2) if ak1 else "",
        "acknowledged_interchange": "",
        "group_status": ak9.get(1) if ak9 else "",
        "sets": [],
    }
    current = None
    for segment in body:
        tag = segment.values[0]
        if tag == "AK2":
            current = {
                "code": segment.get(1),
                "control_number": segment.get(2),
                "status": "",
                "errors": [],
            }
            document["sets"].append(current)
        elif tag == "AK3" and current is not None:
            current["errors"].append(
                f"segment {segment.get(1)} at position {segment.get(2)}: "
                f"error code {segment.get(4) or '-'}"
            )
        elif tag == "AK4" and current is not None:
            current["errors"].append(
                f"  element {segment.get(1)} (data element {segment.get(2)}): "
                f"error code {segment.get(3)}"
                + (f", value {segment.get(4)!r}" if segment.get(4) else "")
            )
        elif tag == "AK5" and current is not None:
            current["status"] = segment.get(1)
            codes = [segment.get(n) for n in range(2, 7) if segment.get(n)]
            if codes:
                current["errors"].append(f"set error code(s) {', '.join(codes)}")
    if ak9 is not None:
        codes = [ak9.get(n) for n in range(5, 10) if ak9.get(n)]
        if codes:
            document["group_errors"] = [f"group error code(s) {', '.join(codes)}"]
    return _require(document, "acknowledged_group", "997")


_UCI_ACTION_STATUS = {"4": REJECTED, "7": "A", "8": "A"}


def _edifact_acknowledgement(body):
    uci = _first(body, "UCI")
    document = {
        "functional_id": "",
        "acknowledged_group": "",
        "acknowledged_interchange": uci.get(1) if uci else "",
        "group_status": _UCI_ACTION_STATUS.get(uci.get(4), "") if uci else "",
        "sets": [],
    }
    if uci is not None and uci.get(5):
        document["group_errors"] = [
            f"interchange error code {uci.get(5)}"
            + (f" on {uci.get(6)}" if uci.get(6) else "")
        ]
    current = None
    for segment in body:
        tag = segment.values[0]
        if tag == "UCM":
            current = {
                "code": segment.get(2, 1),
                "control_number": segment.get(1),
                "status": _UCI_ACTION_STATUS.get(segment.get(3), ""),
                "errors": [],
            }
            if segment.get(4):
                current["errors"].append(f"message error code {segment.get(4)}")
            document["sets"].append(current)
        elif tag == "UCS" and current is not None:
            current["errors"].append(
                f"segment at position {segment.get(1)}: error code "
                f"{segment.get(2) or '-'}"
            )
        elif tag == "UCD" and current is not None:
            current["errors"].append(
                f"  element {segment.get(2)}: error code {segment.get(1)}"
            )
    return _require(document, "acknowledged_interchange", "CONTRL")


_READERS = {
    (ORDER_RESPONSE, True): _x12_order_response,
    (ORDER_RESPONSE, False): _edifact_order_response,
    (CHANGE_RESPONSE, True): _x12_change_response,
    (DESPATCH, True): _x12_despatch,
    (DESPATCH, False): _edifact_despatch,
    (INVOICE, True): _x12_invoice,
    (INVOICE, False): _edifact_invoice,
    (ACKNOWLEDGEMENT, True): _x12_acknowledgement,
    (ACKNOWLEDGEMENT, False): _edifact_acknowledgement,
}
