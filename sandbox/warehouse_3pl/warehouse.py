"""The SANDBOX warehouse's state: stock, orders, receipts and what it reports.

Not a real warehouse. Everything is in memory and deterministic except the
dates it stamps (today, UTC) and what the behaviours switch on. Shipping,
receiving, snapshots and adjustments each produce confirmations in the profile
the order or receipt arrived in (``x12`` or ``json``); :class:`Warehouse`
hands them to a ``deliver`` callable the server provides.
"""

import csv
import io
import itertools
import threading
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from . import x12

WAREHOUSE = {"name": "SANDBOX 3PL EAST", "code": "SBX-EAST"}
# Stock a fresh sandbox holds: (item, lot, status) -> quantity.
SEED_STOCK = {
    ("BRKT-050", "L2026A", "available"): Decimal(40),
    ("BRKT-050", "L2026B", "available"): Decimal(20),
    ("PANEL-A3", "", "available"): Decimal(100),
    ("BOLT-M8", "L-BOLT-7", "available"): Decimal(500),
}
STATUSES = ("available", "damaged", "on_hold")
QTY_QUALIFIERS = {"available": "33", "damaged": "74", "on_hold": "QH"}
DEFAULT_BEHAVIOURS = {
    "short_pick": 0,  # units short on every line shipped
    "lot_substitution": False,  # ship another lot than the one asked for
    "split_shipment": False,  # ship every order in two shipments
    "damaged_on_receipt": 0,  # units of every receipt line reported damaged
    "short_receipt": 0,  # units of every receipt line that never arrived
    "refused_on_receipt": 0,  # units of every receipt line refused at the dock
    "inventory_drift": 0,  # units the next snapshot finds more (or fewer)
    "duplicate_confirmations": False,  # every confirmation delivered twice
    "late_confirmations": False,  # hold confirmations until /_sandbox/flush
    "down": False,  # answer 503 to every partner request
    "slow": 0,  # seconds to wait before answering a partner request
    "auto_ship": False,  # ship an order as soon as it is released
    "auto_receive": False,  # receive an announced receipt at once
    "auto_stock": True,  # unknown items get stock when an order needs it
}


class Refused(Exception):
    """A request the warehouse refuses; ``status`` is the HTTP answer."""

    def __init__(self, message, status=409):
        super().__init__(message)
        self.status = status


def quantity(value, what):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Refused(f"{what}: {value!r} is not a quantity", 422) from exc
    if not number.is_finite() or number < 0:
        raise Refused(f"{what}: {value!r} is not a quantity", 422)
    return number


def text(value):
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _today():
    return datetime.now(timezone.utc).date().isoformat()


def _x12_date(iso):
    return iso.replace("-", "")


class Warehouse:
    """Stock per item, lot and status; orders; receipts; confirmations."""

    def __init__(self, deliver, *, sender="SANDBOX3PL", receiver="DEPOSITOR"):
        self.deliver = deliver  # callable(event dict)
        self.sender = sender
        self.receiver = receiver
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.stock = dict(SEED_STOCK)
            self.changed = set()  # stock keys changed since the last snapshot
            # Each item's unit as its orders and receipts name it: what the
            # stock reports count it in (EA when none did).
            self.units = {}
            self.orders = {}
            self.receipts = {}
            self.refusals = []
            self.behaviours = dict(DEFAULT_BEHAVIOURS)
            self.counter = itertools.count(1)
            self.interchange_counter = itertools.count(1)

    def _learn_unit(self, line):
        self.units[line["item"]] = line["uom"]

    def next_number(self):
        return next(self.counter)

    # -- what arrives --------------------------------------------------------

    def release(self, order, profile):
        """Record (or replace, or cancel) a shipping order; the order's dict."""
        with self.lock:
            number = order.get("number")
            if not number:
                raise Refused("the order has no number", 422)
            purpose = order.get("purpose") or "original"
            known = self.orders.get(number)
            if purpose == "cancel":
                return self.cancel(number)
            if known is not None:
                if purpose == "original" and known["request"] == order:
                    return known  # the same release again: no second effect
                if known["status"] in ("shipped", "partially_shipped"):
                    raise self._refuse(number, "the order has already shipped")
                if known["status"] == "cancelled":
                    raise self._refuse(number, "the order was cancelled")
                if purpose == "original":
                    raise Refused(
                        f"order {number} exists with other content; send a "
                        "replacement (PUT, or a 940 with W0501 R)"
                    )
            lines = []
            for index, line in enumerate(_lines(order), 1):
                if not (line.get("item") or line.get("gtin")):
                    raise Refused(f"line {index} names no item", 422)
                lines.append(
                    {
                        "line_id": str(line.get("line_id") or index),
                        "item": line.get("item") or line.get("gtin"),
                        "gtin": line.get("gtin") or "",
                        "quantity": quantity(line.get("quantity"), f"line {index}"),
                        "uom": line.get("uom") or "EA",
                        "lots": list(line.get("lots") or ()),
                        "serials": list(line.get("serials") or ()),
                    }
                )
                self._learn_unit(lines[-1])
            if not lines:
                raise Refused(f"order {number} has no lines", 422)
            record = {
                "number": number,
                "profile": profile,
                "request": order,
                "po_number": order.get("po_number") or "",
                "ship_to": order.get("ship_to") or {},
                "carrier": order.get("carrier") or {},
                "lines": lines,
                "status": "open",
                "revision": (known["revision"] + 1) if known else 1,
                "shipments": [],
            }
            self.orders[number] = record
        if self.behaviours["auto_ship"]:
            self.ship(number)
        return record

    def cancel(self, number):
        with self.lock:
            order = self.orders.get(number)
            if order is None:
                raise Refused(f"order {number} is unknown", 404)
            if order["status"] in ("shipped", "partially_shipped"):
                raise self._refuse(number, "the order has already shipped")
            order["status"] = "cancelled"
            return order

    def _refuse(self, number, why):
        self.refusals.append({"order": number, "reason": why})
        return Refused(f"order {number}: {why}")

    def announce(self, receipt, profile):
        """Record an inbound announcement (943 / ASN)."""
        with self.lock:
            number = receipt.get("number")
            if not number:
                raise Refused("the receipt has no number", 422)
            known = self.receipts.get(number)
            if known is not None:
                if known["request"] == receipt:
                    return known
                if known["status"] != "announced":
                    raise Refused(f"receipt {number} was already received")
                # Other content for a receipt still expected: the depositor's
                # revised announcement replaces what the dock expects.
            lines = []
            for index, line in enumerate(_lines(receipt), 1):
                if not (line.get("item") or line.get("gtin")):
                    raise Refused(f"line {index} names no item", 422)
                lines.append(
                    {
                        "line_id": str(line.get("line_id") or index),
                        "item": line.get("item") or line.get("gtin"),
                        "gtin": line.get("gtin") or "",
                        "quantity": quantity(line.get("quantity"), f"line {index}"),
                        "uom": line.get("uom") or "EA",
                        "lots": list(line.get("lots") or ()),
                        "serials": list(line.get("serials") or ()),
                    }
                )
                self._learn_unit(lines[-1])
            if not lines:
                raise Refused(f"receipt {number} has no lines", 422)
            record = {
                "number": number,
                "profile": profile,
                "request": receipt,
                "po_number": receipt.get("po_number") or "",
                "shipment_id": receipt.get("shipment_id") or "",
                "lines": lines,
                "status": "announced",
                "receipt_number": "",
                "return": bool(receipt.get("return")),
                "revision": known["revision"] + 1 if known else 1,
            }
            self.receipts[number] = record
        if self.behaviours["auto_receive"]:
            self.receive(number)
        return record

    # -- what the warehouse does ----------------------------------------------

    def _allocate(self, line, wanted):
        """[(lot, quantity)] taken from available stock for ``line``."""
        item = line["item"]
        lots = [
            key[1]
            for key, on_hand in sorted(self.stock.items())
            if key[0] == item and key[2] == "available" and on_hand > 0
        ]
        requested = [lot for lot in line["lots"] if lot]
        if self.behaviours["lot_substitution"] and requested:
            others = [lot for lot in lots if lot not in requested]
            if not others:
                substitute = f"SUB-{requested[0]}"[:20]
                self.stock[(item, substitute, "available")] = wanted
                others = [substitute]
            order = others
        elif requested:
            order = [lot for lot in requested if lot in lots] + [
                lot for lot in lots if lot not in requested
            ]
        else:
            order = lots
        if (
            not lots
            and self.behaviours["auto_stock"]
            and not any(key[0] == item for key in self.stock)
        ):
            lot = requested[0] if requested else ""
            self.stock[(item, lot, "available")] = wanted
            order = [lot]
        taken = []
        for lot in order:
            if wanted <= 0:
                break
            key = (item, lot, "available")
            take = min(wanted, self.stock.get(key, Decimal(0)))
            if take > 0:
                self.stock[key] -= take
                self.changed.add(key)
                taken.append((lot, take))
                wanted -= take
        return taken

    def ship(self, number):
        """Pick, pack and ship an open order; its shipments (one or two)."""
        with self.lock:
            order = self.orders.get(number)
            if order is None:
                raise Refused(f"order {number} is unknown", 404)
            if order["status"] != "open":
                raise Refused(f"order {number} is {order['status']}, not open")
            short = Decimal(int(self.behaviours["short_pick"] or 0))
            picks = []
            for line in order["lines"]:
                wanted = max(line["quantity"] - short, Decimal(0))
                picks.append((line, self._allocate(line, wanted)))
            parts = [picks]
            if self.behaviours["split_shipment"]:
                parts = _split(picks)
            shipments = []
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                shipments.append(self._shipment(order, part, partial=not last))
            shipped = {
                line["line_id"]: sum((q for _lot, q in taken), Decimal(0))
                for line, taken in picks
            }
            complete = all(
                shipped[line["line_id"]] >= line["quantity"] for line in order["lines"]
            )
            order["status"] = "shipped" if complete else "partially_shipped"
            order["shipments"] += shipments
        for shipment in shipments:
            self._confirm(order["profile"], "shipment.confirmed", shipment, "945")
        return shipments

    def _shipment(self, order, picks, *, partial):
        sequence = self.next_number()
        packages = []
        for line, taken in picks:
            contents = []
            line_total = sum((amount for _lot, amount in taken), Decimal(0))
            complete = line_total >= line["quantity"] and not partial
            for lot, taken_quantity in taken:
                contents.append(
                    {
                        "line_id": line["line_id"],
                        "item": line["item"],
                        "gtin": line["gtin"],
                        "status": "CC" if complete else "CP",
                        "ordered_quantity": text(line["quantity"]),
                        "quantity": text(taken_quantity),
                        "uom": line["uom"],
                        "lot": lot,
                        "serials": [],
                        "substituted_for": "",
                    }
                )
            if not contents:  # nothing picked: the line is reported at zero
                contents.append(
                    {
                        "line_id": line["line_id"],
                        "item": line["item"],
                        "gtin": line["gtin"],
                        "status": "CP",
                        "ordered_quantity": text(line["quantity"]),
                        "quantity": "0",
                        "uom": line["uom"],
                        "lot": "",
                        "serials": [],
                        "substituted_for": "",
                    }
                )
            package_number = self.next_number()
            packages.append(
                {
                    "package_id": f"00{package_number:016d}",
                    "tracking_number": f"1ZSBX{package_number:010d}",
                    "contents": contents,
                }
            )
        carrier = order["carrier"]
        return {
            "order_number": order["number"],
            "po_number": order["po_number"],
            "shipment_id": f"SHP{sequence:07d}",
            "date": _today(),
            "partial": partial,
            "warehouse": dict(WAREHOUSE),
            "ship_to": order["ship_to"],
            "carrier": {
                "scac": carrier.get("scac") or "SBXC",
                "service": carrier.get("service") or "GROUND",
                "method": carrier.get("method") or "M",
            },
            "bill_of_lading": f"BOL{sequence:07d}",
            "packages": packages,
        }

    def receive(self, number):
        """Receive an announced receipt; the receipt confirmation."""
        with self.lock:
            receipt = self.receipts.get(number)
            if receipt is None:
                raise Refused(f"receipt {number} is unknown", 404)
            if receipt["status"] != "announced":
                raise Refused(f"receipt {number} was already received")
            damaged_units = Decimal(int(self.behaviours["damaged_on_receipt"] or 0))
            short_units = Decimal(int(self.behaviours["short_receipt"] or 0))
            refused_units = Decimal(int(self.behaviours["refused_on_receipt"] or 0))
            receipt["receipt_number"] = f"RCV{self.next_number():07d}"
            lines = []
            for line in receipt["lines"]:
                lot = line["lots"][0] if line["lots"] else ""
                short = min(short_units, line["quantity"])
                refused = min(refused_units, line["quantity"] - short)
                # W0701 is what came in the door: refused units never did.
                received = line["quantity"] - short - refused
                damaged = min(damaged_units, received)
                good = received - damaged
                for status, amount in (("available", good), ("damaged", damaged)):
                    if amount:
                        key = (line["item"], lot, status)
                        self.stock[key] = self.stock.get(key, Decimal(0)) + amount
                        self.changed.add(key)
                exceptions = []
                for amount, condition, reason in (
                    (damaged, "01", "AV"),  # damaged product, W1305 required
                    (short, "02", ""),  # quantity short
                    (refused, "08", ""),  # rejected at the dock
                ):
                    if amount:
                        exceptions.append(
                            {
                                "quantity": text(amount),
                                "uom": line["uom"],
                                "condition": condition,
                                "damaged": condition == "01",
                                "reason": reason,
                            }
                        )
                received_line = {
                    "line_id": line["line_id"],
                    "item": line["item"],
                    "gtin": line["gtin"],
                    "quantity": text(received),
                    "uom": line["uom"],
                    "lot": lot,
                    "exceptions": exceptions,
                    "damaged_quantity": text(damaged),
                    "good_quantity": text(good),
                }
                if line.get("serials"):
                    # Serial numbers scanned at the dock: those of the units
                    # that came in (the first ones announced).
                    received_line["serials"] = line["serials"][: int(received)]
                lines.append(received_line)
            receipt["status"] = "received"
            confirmation = {
                "receipt_number": receipt["receipt_number"],
                "return": receipt["return"],
                "order_number": receipt["number"],
                "shipment_id": receipt["shipment_id"],
                "date": _today(),
                "warehouse": dict(WAREHOUSE),
                "lines": lines,
            }
            receipt["confirmation"] = confirmation
        self._confirm(receipt["profile"], "receipt.confirmed", confirmation, "944")
        return confirmation

    def snapshot(self, kind="full", profile="json", publish=True):
        """Report stock (all of it, or what changed since the last report)."""
        with self.lock:
            drift = Decimal(int(self.behaviours["inventory_drift"] or 0))
            if drift:
                # The warehouse's count moved without any advice: what a
                # reconciliation exists to find.
                key = sorted(k for k in self.stock if k[2] == "available")[0]
                self.stock[key] = max(self.stock[key] + drift, Decimal(0))
                self.changed.add(key)
            if kind == "delta":
                keys = sorted(self.changed)
            else:
                keys = sorted(
                    k for k, v in self.stock.items() if v or k in self.changed
                )
            items = [
                {
                    "item": item,
                    "gtin": "",
                    "lot": lot,
                    "status": status,
                    "quantity": text(self.stock.get((item, lot, status), Decimal(0))),
                    "uom": self.units.get(item, "EA"),
                }
                for item, lot, status in keys
            ]
            self.changed = set()
            report = {
                "report_id": f"INV{self.next_number():07d}",
                "date": _today(),
                "snapshot": kind,
                "warehouse": dict(WAREHOUSE),
                "items": items,
            }
        if publish:
            self._confirm(profile, "inventory.snapshot", report, "846")
        return report

    def adjust(self, entry, profile="json"):
        """Change stock for a reason and report it (947 / webhook)."""
        with self.lock:
            item = entry.get("item")
            if not item:
                raise Refused("the adjustment names no item", 422)
            try:
                delta = Decimal(str(entry.get("quantity")))
            except (InvalidOperation, ValueError) as exc:
                raise Refused("the adjustment has no quantity", 422) from exc
            if not delta.is_finite() or not delta:
                raise Refused("the adjustment has no quantity", 422)
            status = entry.get("status") or "available"
            if status not in STATUSES:
                raise Refused(f"unknown stock status {status!r}", 422)
            key = (item, entry.get("lot") or "", status)
            self.stock[key] = max(self.stock.get(key, Decimal(0)) + delta, Decimal(0))
            self.changed.add(key)
            advice = {
                "adjustment_number": f"ADJ{self.next_number():07d}",
                "date": _today(),
                "warehouse": dict(WAREHOUSE),
                "adjustments": [
                    {
                        "item": item,
                        "gtin": "",
                        "lot": key[1],
                        "quantity": text(delta),
                        "uom": entry.get("uom") or self.units.get(item, "EA"),
                        "reason_code": entry.get("reason_code") or "AH",
                        "note": entry.get("note") or "",
                    }
                ],
            }
        self._confirm(profile, "inventory.adjusted", advice, "947")
        return advice

    def set_stock(self, entries):
        with self.lock:
            for entry in entries:
                status = entry.get("status") or "available"
                if status not in STATUSES:
                    raise Refused(f"unknown stock status {status!r}", 422)
                key = (entry["item"], entry.get("lot") or "", status)
                self.stock[key] = quantity(entry.get("quantity"), entry["item"])
                if entry.get("uom"):
                    self.units[entry["item"]] = entry["uom"]

    # -- confirmations ------------------------------------------------------------

    def _confirm(self, profile, event_type, data, code):
        event = {"type": event_type, "profile": profile, "data": data, "code": code}
        if profile == "x12":
            control = next(self.interchange_counter)
            event["control_number"] = control
            event["x12"] = x12.interchange(
                self.sender,
                self.receiver,
                control,
                [(code, f"{control:04d}", X12_BODIES[code](data))],
            )
        self.deliver(event)

    def state(self):
        with self.lock:
            return {
                "sandbox": True,
                "behaviours": dict(self.behaviours),
                "stock": [
                    {"item": i, "lot": lot, "status": s, "quantity": text(q)}
                    for (i, lot, s), q in sorted(self.stock.items())
                ],
                "orders": {
                    n: {k: v for k, v in o.items() if k != "request"}
                    for n, o in self.orders.items()
                },
                "receipts": {
                    n: {k: v for k, v in r.items() if k != "request"}
                    for n, r in self.receipts.items()
                },
                "refusals": list(self.refusals),
            }


def _lines(request):
    lines = request.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise Refused("lines must be a list of objects", 422)
    return lines


CSV_COLUMNS = (
    "report_id",
    "date",
    "snapshot",
    "item",
    "lot",
    "status",
    "quantity",
    "uom",
)


def snapshot_csv(report):
    """The snapshot as CSV text (header row first), the 3PLs' file format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in report["items"]:
        writer.writerow(
            [report["report_id"], report["date"], report["snapshot"]]
            + [entry[key] for key in CSV_COLUMNS[3:]]
        )
    return out.getvalue()


def _split(picks):
    """Two shipments: about half of every pick first, the rest second."""
    first, second = [], []
    for line, taken in picks:
        head, tail = [], []
        for lot, amount in taken:
            half = (amount / 2).to_integral_value(rounding="ROUND_FLOOR")
            if half:
                head.append((lot, half))
            if amount - half:
                tail.append((lot, amount - half))
        first.append((line, head))
        second.append((line, tail))
    return [first, second]


# -- the warehouse's X12 (written by the sandbox's own writer) -----------------------


def _party(qualifier, party):
    if not party or not (party.get("name") or party.get("code")):
        return []
    segments = [
        [
            "N1",
            qualifier,
            party.get("name") or party["code"],
            "92",
            party.get("code") or "",
        ]
    ]
    if party.get("street"):
        segments.append(["N3", party["street"], party.get("street2") or ""])
    if party.get("city"):
        segments.append(
            [
                "N4",
                party["city"],
                party.get("state") or "",
                party.get("zip") or "",
                party.get("country") or "",
            ]
        )
    return segments


def _ids(record):
    ids = ["VN", record["item"]] if record.get("item") else []
    if record.get("gtin"):
        ids += ["UP" if len(record["gtin"]) == 12 else "EN", record["gtin"]]
    return ids + [""] * (4 - len(ids))


def _lot12(lot):
    return lot if len(lot or "") <= 12 else ""


def body_945(shipment):
    body = [
        [
            "W06",
            "P" if shipment["partial"] else "F",
            shipment["order_number"],
            _x12_date(shipment["date"]),
            shipment["shipment_id"],
            "",
            shipment["po_number"],
        ],
        *_party("WH", shipment["warehouse"]),
        *_party("ST", shipment["ship_to"]),
        ["N9", "BM", shipment["bill_of_lading"]],
        ["G62", "11", _x12_date(shipment["date"])],
        [
            "W27",
            shipment["carrier"]["method"],
            shipment["carrier"]["scac"],
            shipment["carrier"]["service"],
        ],
    ]
    total = Decimal(0)
    shipped_per_line = {}
    for package in shipment["packages"]:
        for content in package["contents"]:
            shipped_per_line[content["line_id"]] = shipped_per_line.get(
                content["line_id"], Decimal(0)
            ) + Decimal(content["quantity"])
    for number, package in enumerate(shipment["packages"], 1):
        body += [
            ["LX", number],
            ["MAN", "GM", package["package_id"]],
            ["N9", "CN", package["tracking_number"]],
        ]
        for content in package["contents"]:
            shipped = Decimal(content["quantity"])
            ordered = Decimal(content["ordered_quantity"])
            total += shipped
            body.append(
                [
                    "W12",
                    content["status"],
                    ordered,
                    shipped,
                    ordered - shipped_per_line[content["line_id"]],
                    content["uom"],
                    "",
                    *_ids(content)[:2],
                    _lot12(content["lot"]),
                ]
            )
            body.append(["N9", "LI", content["line_id"]])
            if content["lot"]:
                body.append(["N9", "LT", content["lot"]])
    body.append(["W03", total])
    return body


def body_944(receipt):
    body = [
        [
            "W17",
            "C" if receipt["return"] else "F",
            _x12_date(receipt["date"]),
            receipt["receipt_number"],
            receipt["order_number"],
            receipt["shipment_id"],
        ],
        *_party("WH", receipt["warehouse"]),
    ]
    total = Decimal(0)
    for line in receipt["lines"]:
        total += Decimal(line["quantity"])
        body.append(
            [
                "W07",
                Decimal(line["quantity"]),
                line["uom"],
                "",
                *_ids(line),
                _lot12(line["lot"]),
            ]
        )
        body.append(["N9", "LI", line["line_id"]])
        if line["lot"]:
            body.append(["N9", "LT", line["lot"]])
        body += [["N9", "SE", serial] for serial in line.get("serials") or ()]
        for exception in line["exceptions"]:
            body.append(
                [
                    "W13",
                    Decimal(exception["quantity"]),
                    exception["uom"],
                    exception["condition"],
                    _lot12(line["lot"]),
                    exception["reason"],
                ]
            )
    body.append(["W14", total])
    return body


def body_846(report):
    body = [
        [
            "BIA",
            "04" if report["snapshot"] == "delta" else "00",
            "SI",
            report["report_id"],
            _x12_date(report["date"]),
        ],
        *_party("WH", report["warehouse"]),
    ]
    groups = {}
    for entry in report["items"]:
        groups.setdefault((entry["item"], entry["lot"]), []).append(entry)
    for number, ((item, lot), entries) in enumerate(groups.items(), 1):
        lin = ["LIN", number, "VN", item]
        if lot:
            lin += ["LT", lot]
        body.append(lin)
        for entry in entries:
            body.append(
                [
                    "QTY",
                    QTY_QUALIFIERS[entry["status"]],
                    Decimal(entry["quantity"]),
                    entry["uom"],
                ]
            )
    body.append(["CTT", len(groups)])
    return body


def body_947(advice):
    body = [
        ["W15", _x12_date(advice["date"]), advice["adjustment_number"]],
        *_party("WH", advice["warehouse"]),
    ]
    for entry in advice["adjustments"]:
        body.append(
            [
                "W19",
                entry["reason_code"],
                Decimal(entry["quantity"]),
                entry["uom"],
                "",
                *_ids(entry),
                _lot12(entry["lot"]),
            ]
        )
        if entry["lot"]:
            body.append(["N9", "LT", entry["lot"]])
        if entry["note"]:
            body.append(["N9", "ZZ", "NOTE", entry["note"][:45]])
    return body


X12_BODIES = {"945": body_945, "944": body_944, "846": body_846, "947": body_947}


# -- what the depositor's X12 says --------------------------------------------------


def order_from_940(read_set):
    """The order dict of a 940 (the same shape the JSON API takes)."""
    purposes = {"N": "original", "R": "replace", "F": "cancel"}
    order = {"lines": [], "carrier": {}}
    party_qualifier, line = "", None
    for segment in read_set.segments:
        tag, get = segment[0], (lambda n, s=segment: s[n] if n < len(s) else "")
        if tag == "W05":
            order.update(
                number=get(2),
                purpose=purposes.get(get(1), "original"),
                po_number=get(3),
            )
        elif tag == "N1":
            party_qualifier = get(1)
            if party_qualifier == "ST":
                order["ship_to"] = {"name": get(2), "code": get(4)}
        elif tag == "N3" and party_qualifier == "ST":
            order["ship_to"].update(street=get(1), street2=get(2))
        elif tag == "N4" and party_qualifier == "ST":
            order["ship_to"].update(
                city=get(1), state=get(2), zip=get(3), country=get(4)
            )
        elif tag == "W66":
            order["carrier"] = {"method": get(2), "service": get(5), "scac": get(10)}
        elif tag == "W01":
            line = {"quantity": get(1), "uom": get(2), "lots": []}
            for position in (4, 6):
                if get(position) == "VN":
                    line["item"] = get(position + 1)
                elif get(position) in ("UP", "EN"):
                    line["gtin"] = get(position + 1)
            order["lines"].append(line)
        elif tag == "N9" and line is not None:
            if get(1) == "LI":
                line["line_id"] = get(2)
            elif get(1) == "LT":
                line["lots"].append(get(2))
    if "number" not in order:
        read_set.problems.append("the 940 has no W05")
    return order


def receipt_from_943(read_set):
    """The receipt (ASN) dict of a 943."""
    receipt = {"lines": []}
    line = None
    for segment in read_set.segments:
        tag, get = segment[0], (lambda n, s=segment: s[n] if n < len(s) else "")
        if tag == "W06":
            receipt.update(number=get(2), shipment_id=get(4), po_number=get(6))
            receipt["return"] = get(1) == "C"  # a customer return
        elif tag == "W04":
            line = {"quantity": get(1), "uom": get(2), "lots": [], "serials": []}
            for position in (4, 6):
                if get(position) == "VN":
                    line["item"] = get(position + 1)
                elif get(position) in ("UP", "EN"):
                    line["gtin"] = get(position + 1)
            receipt["lines"].append(line)
        elif tag == "N9" and line is not None:
            if get(1) == "LI":
                line["line_id"] = get(2)
            elif get(1) == "LT":
                line["lots"].append(get(2))
            elif get(1) == "SE":
                line["serials"].append(get(2))
    if "number" not in receipt:
        read_set.problems.append("the 943 has no W06")
    return receipt
