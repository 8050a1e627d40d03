"""Inbound receipts and customer returns of a 3PL warehouse: announced with a
943 (or a JSON ASN), validated by the warehouse's 944 (or receipt webhook)."""

import datetime
import json
import logging
from decimal import Decimal, InvalidOperation

from odoo import Command, _, api, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

_logger = logging.getLogger(__name__)
ANNOUNCE_FLOW = "distribution_3pl.flow_tpl_943_out"
RECEIPT_EXPECTATION = "tpl_944"
STOCK_USER = "stock.group_stock_user"
RECEIPT_STATES = [
    ("none", "Not announced"),
    ("queued", "Announcement queued"),
    ("announced", "Announced"),
    ("received", "Received"),
    ("exception", "Exception"),
]
# Announced (or about to be) and not confirmed by the warehouse yet.
RECEIPT_WAITING_STATES = ("queued", "announced")
# W1303 (Receiving Condition Code): units refused at the dock ("rejected")
# are reported beside W0701, not inside it; damaged ones (01) are inside.
CONDITION_REFUSED = "08"


def _announced_content(transfer):
    """What of an announcement (the 943's dict) the warehouse receives by:
    all but the day it was written."""
    return {key: value for key, value in transfer.items() if key != "date"}


def _decimal(value):
    """``value`` as a finite Decimal, or None (untrusted input)."""
    try:
        number = Decimal(str(value or "0"))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _total(exceptions):
    """The sum of the quantities of ``exceptions``; None when one is unreadable."""
    total = Decimal(0)
    for exception in exceptions:
        quantity = _decimal(exception.get("quantity"))
        if quantity is None:
            return None
        total += quantity
    return total


class StockPickingReceipt(models.Model):
    _inherit = "stock.picking"

    tpl_receipt_state = fields.Selection(
        RECEIPT_STATES,
        string="3PL receipt",
        default="none",
        required=True,
        copy=False,
        readonly=True,
        index=True,
        tracking=True,
    )
    tpl_receipt_id = fields.Char(
        string="3PL receipt number",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The warehouse's receipt that validated this receipt or return.",
    )
    tpl_receipt_condition = fields.Selection(
        [
            ("good", "Good"),
            ("partly_damaged", "Partly damaged"),
            ("damaged", "Damaged"),
        ],
        string="Condition at the 3PL",
        copy=False,
        readonly=True,
        help="What the warehouse reported of the goods it received.",
    )
    tpl_receipt_account_id = fields.Many2one(
        "tpl.warehouse.account",
        string="3PL account (receipts)",
        compute="_compute_tpl_receipt_account_id",
    )

    @api.depends("picking_type_id.warehouse_id")
    def _compute_tpl_receipt_account_id(self):
        self._tpl_assign_accounts(
            "tpl_receipt_account_id",
            "incoming",
            self.env["tpl.warehouse.account"]._for_receipt,
        )

    def _tpl_is_return(self):
        """A customer return: the return of a delivery, or goods coming from a
        customer location."""
        self.ensure_one()
        return bool(self.return_id) or self.location_id.usage == "customer"

    # -- announcement ------------------------------------------------------------

    @entry_point("write", groups=STOCK_USER)
    def action_tpl_announce(self):
        """Queue the announcement (943 / ASN) of these ready receipts or
        customer returns to their 3PL."""
        refused = self.filtered(
            lambda p: p.state != "assigned" or not p.tpl_receipt_account_id
        )
        if refused:
            raise UserError(
                _(
                    "Only ready receipts and returns of a 3PL warehouse that "
                    "announces receipts can be announced: %s.",
                    ", ".join(refused.mapped("name")),
                )
            )
        for picking in self:
            problem = picking._tpl_unit_problem(picking.tpl_receipt_account_id)
            if problem:
                raise UserError(problem)
        return len(self.sudo()._tpl_announce())

    @entry_point("write")
    def action_cancel(self):
        # The warehouse no longer has to confirm what Odoo cancelled.
        waiting = self.filtered(lambda p: p.tpl_receipt_state in RECEIPT_WAITING_STATES)
        expectations = self.env["integration.expectation"].sudo()
        for picking in waiting:
            expectations._withdraw(picking, RECEIPT_EXPECTATION)
        return super().action_cancel()

    def _tpl_announce(self, states=("none",)):
        """Queue the 943 of every ready receipt or return whose 3PL receipt
        state is in ``states`` (by default: not yet announced)."""
        ready = self.filtered(
            lambda p: (
                p.state == "assigned"
                and p.tpl_receipt_state in states
                and p.tpl_receipt_account_id
            )
        )
        # A unit without a code keeps only its receipt back (the scheduled
        # announcement and an applied ship notice go on); announcing it by
        # hand says why.
        for picking in ready:
            problem = picking._tpl_unit_problem(picking.tpl_receipt_account_id)
            if problem:
                _logger.warning(
                    "%s not announced to the 3PL: %s", picking.name, problem
                )
                ready -= picking
        flow = self.env.ref(ANNOUNCE_FLOW).sudo()
        dispatch = self.env["integration.dispatch"].sudo()
        messages = self.env["integration.message"].sudo()
        for picking in ready:
            account = picking.tpl_receipt_account_id
            moves = picking._tpl_announced_moves()
            document = picking._tpl_transfer(account)
            message = dispatch._send(
                flow,
                account.endpoint_id,
                document,
                record=picking,
                # One announcement per receipt and revision: announcing the
                # same revision again is the same message.
                idempotency_key=f"943-{picking.id}-r{picking.tpl_revision}",
            )
            messages |= message
            for move in moves:
                # In the move's unit: the 944 is converted back to it.
                move.tpl_announced_qty = picking._tpl_announced_quantity(move)
            picking.tpl_receipt_state = (
                "announced" if message.state == "sent" else "queued"
            )
        return messages

    def _tpl_announce_revision(self):
        """Announce again, as their next revision, the receipts still waiting
        for the warehouse whose announcement no longer says what will arrive
        (a ship notice applied after it: its shipment, lots, quantities).
        An earlier announcement not sent yet is withdrawn, so that the
        warehouse never gets the old content after the new."""
        stale = self.browse()
        for picking in self.filtered(
            lambda p: (
                p.state == "assigned"
                and p.tpl_receipt_state in RECEIPT_WAITING_STATES
                and p.tpl_receipt_account_id
            )
        ):
            announced = picking._tpl_last_announcement()
            content = picking._tpl_transfer(picking.tpl_receipt_account_id)
            if announced is None or _announced_content(announced) != _announced_content(
                content
            ):
                stale |= picking
        if not stale:
            return self.env["integration.message"]
        flow = self.env.ref(ANNOUNCE_FLOW).sudo()
        self.env["integration.message"].sudo().search(
            [
                ("flow_id", "=", flow.id),
                ("res_model", "=", "stock.picking"),
                ("res_id", "in", stale.ids),
            ]
        )._withdraw_unsent()
        for picking in stale:
            picking.tpl_revision += 1
            picking._integration_log_event(
                body=_(
                    "Announced to the 3PL again (revision %s): the ship notice "
                    "changed what arrives.",
                    picking.tpl_revision,
                )
            )
        return stale._tpl_announce(states=RECEIPT_WAITING_STATES)

    def _tpl_last_announcement(self):
        """The content of this receipt's latest 943 (a dict), or None when
        there is none or its payload is no longer kept."""
        self.ensure_one()
        message = (
            self.env["integration.message"]
            .sudo()
            .search(
                [
                    ("flow_id", "=", self.env.ref(ANNOUNCE_FLOW).id),
                    ("res_model", "=", "stock.picking"),
                    ("res_id", "=", self.id),
                    ("state", "!=", "cancelled"),
                ],
                order="id desc",
                limit=1,
            )
        )
        if not message or message.payload_purged:
            return None
        try:
            content = json.loads(message._get_payload())
        except (UserError, OSError, ValueError):
            return None
        return content if isinstance(content, dict) else None

    def _tpl_announced_quantity(self, move):
        """What the 943 announces of ``move``: what the supplier's ship notice
        announced of it when there is one, else the demand."""
        if self.edi_shipment_id and move.edi_announced_qty:
            return move.edi_announced_qty
        return move.product_uom_qty

    def _tpl_awaits_ship_notice(self):
        """A receipt of a supplier who sends ship notices (856) and has not
        sent this one's yet: announcing it now would announce the order, not
        what ships."""
        self.ensure_one()
        trading_partner = self.purchase_id.edi_trading_partner_id
        return (
            not self.edi_shipment_id
            and bool(trading_partner)
            and trading_partner.receive_despatch_advices
        )

    def _edi_apply_despatch(self, message, trading_partner, document, orders):
        # The supplier's ship notice is what the 3PL should expect: announce
        # the receipts it fills (shipment id, lots and quantities).
        result = super()._edi_apply_despatch(message, trading_partner, document, orders)
        shipment = document.get("shipment_id")
        receipts = orders.picking_ids.filtered(
            lambda p: shipment and p.edi_shipment_id == shipment
        )
        announced_before = receipts.filtered(
            lambda p: p.tpl_receipt_state in RECEIPT_WAITING_STATES
        )
        receipts._tpl_announce()
        # Announced before the ship notice came (by hand, say): the warehouse
        # gets what actually ships, as a revised 943.
        announced_before._tpl_announce_revision()
        return result

    def _tpl_announced_moves(self):
        return self.move_ids.filtered(lambda m: m.state != "cancel")

    def _tpl_transfer(self, account):
        """The stock transfer dict (the codec's 943 shape) of this receipt."""
        self.ensure_one()
        lines = []
        moves = self._tpl_announced_moves()
        items = account._item_codes(moves.product_id)
        unit_codes = account._tpl_unit_codes(moves.product_id.uom_id)
        for move in moves:
            lots = [
                name
                for name in (
                    line.lot_id.name or line.lot_name for line in move.move_line_ids
                )
                if name
            ]
            quantity, unit = account._tpl_to_stock_unit(
                move, self._tpl_announced_quantity(move), unit_codes
            )
            line = {
                "line_id": str(move.id),
                "item": items[move.product_id],
                "gtin": move.product_id.barcode or "",
                "description": move.product_id.display_name[:80],
                "quantity": str(quantity),
                "uom": unit,
                "lots": list(dict.fromkeys(lots)),
            }
            if move.product_id.tracking == "serial":
                # One number per unit: announced as serial numbers (N9 SE).
                line["serials"], line["lots"] = line["lots"], []
            lines.append(line)
        partner = self.partner_id
        carrier = self.carrier_id
        warehouse = account.warehouse_id
        return {
            "number": self.name,
            "return": self._tpl_is_return(),
            "date": fields.Date.to_string(fields.Date.context_today(self)),
            "shipment_id": self.edi_shipment_id or "",
            # W0606 holds 22 characters: the purchase order, or for a return
            # the delivery it returns (its origin reads "Return of ...").
            "po_number": (
                self.return_id.name if self.return_id else self.origin or self.name
            )[:22],
            "expected_date": fields.Date.to_string(self.scheduled_date.date())
            if self.scheduled_date
            else None,
            "warehouse": {"name": warehouse.name[:60], "code": warehouse.code},
            "ship_from": {
                "name": (partner.name or "")[:60],
                "street": partner.street or "",
                "street2": partner.street2 or "",
                "city": partner.city or "",
                "state": partner.state_id.code or "",
                "zip": partner.zip or "",
                "country": partner.country_id.code or "",
            }
            if partner
            else {},
            "carrier": {"service": carrier.name or ""} if carrier else {},
            "notes": (self.note and self.note.striptags()[:80]) or "",
            "lines": lines,
        }

    def _tpl_announced(self, message):
        """The 943 left: the receipt now waits for the warehouse's 944."""
        self.ensure_one()
        account = self.tpl_receipt_account_id
        self.tpl_receipt_state = "announced"
        self.env["integration.expectation"].sudo()._expect(
            self,
            RECEIPT_EXPECTATION,
            fields.Datetime.now()
            + datetime.timedelta(hours=account.receipt_hours or 72.0),
            message=message,
            description=_("944 expected by the 3PL for %s", self.name),
            endpoint=account.endpoint_id,
        )

    # -- receipt advice ------------------------------------------------------------

    @api.model
    def _tpl_apply_receipt_advice(self, account, advice, message, handler):
        """Validate the receipt (or return) a 944 confirms, or put the advice
        into the exception queue; the receipt (empty when nothing applied)."""
        number = advice.get("order_number")
        receipt = advice.get("receipt_number") or ""

        def refuse(category, title, details=None, record=None, flag=True):
            return self._tpl_refuse_advice(
                account, message, handler, (category, title, details),
                record=record if flag else None, mention=record,
                problem_key=f"944-{number}-{receipt}",
                state_field="tpl_receipt_state", expectation=RECEIPT_EXPECTATION,
            )  # fmt: skip

        pickings = self.sudo().search(
            [
                ("name", "=", number),
                ("picking_type_id.warehouse_id", "=", account.warehouse_id.id),
                ("picking_type_code", "=", "incoming"),
            ]
        )
        if not pickings:
            return refuse(
                "mapping",
                _("Receipt advice %(receipt)s names receipt %(number)s, which is "
                  "no receipt of warehouse %(warehouse)s.", receipt=receipt,
                  number=number, warehouse=account.warehouse_id.name),
            )  # fmt: skip
        picking = pickings[0]
        if receipt and picking.tpl_receipt_id == receipt:
            return picking  # the same receipt again: already applied
        if picking.state == "cancel":
            return refuse(
                "business_rule",
                _("Receipt advice %(receipt)s confirms %(number)s, which is "
                  "cancelled in Odoo.", receipt=receipt, number=number),
                record=picking,
                flag=False,
            )  # fmt: skip
        if picking.state == "done":
            return refuse(
                "business_rule",
                _("Receipt advice %(receipt)s confirms %(number)s, already "
                  "received with %(other)s.", receipt=receipt, number=number,
                  other=picking.tpl_receipt_id or "-"),
                record=picking,
                flag=False,  # what was received stays so
            )  # fmt: skip
        other = receipt and self.sudo().search(
            [
                ("tpl_receipt_id", "=", receipt),
                ("picking_type_id.warehouse_id", "=", account.warehouse_id.id),
                ("id", "!=", picking.id),
            ],
            limit=1,
        )
        if other:
            return refuse(
                "business_rule",
                _("Receipt advice %(receipt)s confirms %(number)s, but it already "
                  "validated %(other)s.", receipt=receipt, number=number,
                  other=other.name),
                record=picking,
            )  # fmt: skip
        if "return" in advice and bool(advice["return"]) != picking._tpl_is_return():
            return refuse(
                "business_rule",
                _("Receipt advice %(receipt)s reports %(number)s as %(what)s, "
                  "which Odoo does not.", receipt=receipt, number=number,
                  what=_("a customer return") if advice["return"]
                  else _("a receipt, not a customer return")),
                record=picking,
            )  # fmt: skip
        handler._lock_for_update(picking)
        problems, plan = picking._tpl_receipt_plan(account, advice)
        if problems:
            return refuse(
                "business_rule",
                _("Receipt advice %(receipt)s for %(number)s differs from what "
                  "was announced: nothing was validated.", receipt=receipt,
                  number=number),
                "\n".join(problems),
                record=picking,
            )  # fmt: skip
        picking._tpl_receive(account, advice, plan)
        self.env["integration.expectation"].sudo()._fulfil(
            picking, RECEIPT_EXPECTATION, message=message
        )
        return picking

    def _tpl_receipt_plan(self, account, advice):
        """``(problems, plan)``: per move, ``{"good": [(lot, qty)], "damaged":
        [(lot, qty)], "refused": qty}`` as the warehouse received it."""
        self.ensure_one()
        problems, plan = [], {}
        moves = self.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        by_id = {str(move.id): move for move in moves}
        lines = advice.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            return [_("The receipt advice has no readable lines.")], {}
        for line in lines:
            label = line.get("line_id") or line.get("item") or "?"
            product = account._product_of(line.get("item"), line.get("gtin"))
            move = by_id.get(line.get("line_id") or "")
            if move is None and not line.get("line_id"):
                # A warehouse that does not quote our line: the product's move.
                move = moves.filtered(lambda m, p=product: m.product_id == p)[:1]
            if not move:
                problems.append(_("Line %s is no line of the receipt.", label))
                continue
            if product != move.product_id:
                problems.append(
                    _("Line %(line)s: item %(item)s received for %(announced)s.",
                      line=label, item=line.get("item") or line.get("gtin"),
                      announced=move.product_id.display_name)
                )  # fmt: skip
                continue
            unit = str(line.get("uom") or "")
            received = _decimal(line.get("quantity"))
            exceptions = [
                e for e in line.get("exceptions") or [] if isinstance(e, dict)
            ]
            if any(str(e.get("uom") or unit) != unit for e in exceptions):
                problems.append(
                    _("Line %s: its exceptions count in another unit than the "
                      "line.", label)
                )  # fmt: skip
                continue
            damaged = _total(
                e for e in exceptions if e.get("damaged") or e.get("condition") == "01"
            )
            refused = _total(
                e for e in exceptions if e.get("condition") == CONDITION_REFUSED
            )
            if (
                received is None
                or None in (damaged, refused)
                or min(received, damaged, refused) < 0
                or damaged > received
            ):
                problems.append(_("Line %s: unreadable quantities.", label))
                continue
            # Compared and booked in the move's unit, whatever the warehouse's.
            good, damaged, refused = (
                account._tpl_from_warehouse(move, unit, float(quantity))
                for quantity in (received - damaged, damaged, refused)
            )
            if good is None:
                problems.append(account._tpl_unit_refusal(label, unit, move))
                continue
            lot = str(line.get("lot") or "")
            if move.product_id.tracking == "serial" and received:
                serials, problem = self._tpl_received_serials(
                    account, move, line, label, unit, received, damaged
                )
                if problem:
                    problems.append(problem)
                    continue
                entry = plan.setdefault(
                    move, {"good": [], "damaged": [], "refused": 0.0}
                )
                earlier = {serial for serial, _quantity in entry["good"]}
                if len(set(serials)) != len(serials) or earlier & set(serials):
                    # In the line, or in another line of the move (one W07
                    # per unit, say).
                    problems.append(
                        _("Line %s: a serial number is reported twice.", label)
                    )
                    continue
                # One unit of the stock unit per number (``_tpl_receive``).
                entry["good"] += [(serial, good / len(serials)) for serial in serials]
                entry["refused"] += refused
                continue
            if move.product_id.tracking != "none" and received and not lot:
                problems.append(
                    _("Line %s: no lot reported for a tracked item.", label)
                )
                continue
            entry = plan.setdefault(move, {"good": [], "damaged": [], "refused": 0.0})
            if good:
                entry["good"].append((lot, good))
            if damaged:
                entry["damaged"].append((lot, damaged))
            entry["refused"] += refused
        tolerance = account.receipt_tolerance_percent or 0.0
        for move in moves:
            entry = plan.get(move, {"good": [], "damaged": [], "refused": 0.0})
            received = sum(q for _lot, q in entry["good"] + entry["damaged"])
            announced = move.tpl_announced_qty or self._tpl_announced_quantity(move)
            difference = received + entry["refused"] - announced
            rounding = move.product_uom.rounding
            if float_is_zero(difference, precision_rounding=rounding):
                continue
            allowed = announced * tolerance / 100.0
            if float_compare(abs(difference), allowed, precision_rounding=rounding) > 0:
                problems.append(
                    _("%(product)s: %(announced)s announced, %(received)s "
                      "received and %(refused)s refused (%(what)s %(diff)s, beyond "
                      "the tolerance of %(tolerance)s%%).",
                      product=move.product_id.display_name, announced=announced,
                      received=received, refused=entry["refused"],
                      what=_("short by") if difference < 0 else _("over by"),
                      diff=abs(difference), tolerance=tolerance)
                )  # fmt: skip
        return problems, plan

    def _tpl_received_serials(
        self, account, move, line, label, unit, received, damaged
    ):
        """``(serials, problem)`` of a received line of a serial-tracked item:
        one number per unit received (its ``serials``, or its lot for a single
        unit), none for a damaged unit the advice cannot name."""
        serials = line.get("serials") or []
        if not isinstance(serials, list) or not all(
            isinstance(serial, str) and serial.strip() for serial in serials
        ):
            return [], _("Line %s: unreadable serial numbers.", label)
        serials = [serial.strip() for serial in serials]
        lot = str(line.get("lot") or "").strip()
        if not serials and lot:
            serials = [lot]
        if damaged:
            # A W13 (or an exception) counts damaged units without their
            # numbers: which serial went where cannot be told.
            return [], _(
                "Line %s: damaged units of a serial-tracked item, without "
                "their serial numbers.",
                label,
            )
        # The caller converted the line's unit already: it is of the category.
        stock_unit = move.product_id.uom_id
        warehouse_unit = account._tpl_uom_of(unit) if unit.strip() else stock_unit
        units = warehouse_unit._compute_quantity(
            float(received), stock_unit, round=False
        )
        if float_compare(units, len(serials), precision_rounding=stock_unit.rounding):
            return [], _(
                "Line %(line)s: %(count)s serial numbers for %(received)s %(unit)s "
                "received; a serial-tracked item needs one number per unit.",
                line=label,
                count=len(serials),
                received=received,
                unit=unit or move.product_id.uom_id.name,
            )
        return serials, None

    def _tpl_receive(self, account, advice, plan):
        """Book what the warehouse received (damaged units in the damaged
        location, or scrapped) and validate the receipt; what it did not
        receive is not expected any more under this announcement."""
        self.ensure_one()
        damaged_location = account.damaged_location_id
        to_scrap = []
        received_any = False
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            entry = plan.get(move, {"good": [], "damaged": [], "refused": 0.0})
            values = []
            for kind in ("good", "damaged"):
                for lot_name, quantity in entry[kind]:
                    destination = move.location_dest_id
                    if kind == "damaged" and damaged_location:
                        destination = damaged_location
                    line = {
                        "product_id": move.product_id.id,
                        "product_uom_id": move.product_uom.id,
                        "location_id": move.location_id.id,
                        "location_dest_id": destination.id,
                        "picking_id": self.id,
                        "quantity": quantity,
                        "picked": True,
                    }
                    if move.product_id.tracking == "serial":
                        # Exactly one stock unit per serial number, whatever
                        # unit the move counts in (``_tpl_received_serials``).
                        line["product_uom_id"] = move.product_id.uom_id.id
                        line["quantity"] = 1.0
                    lot = self._tpl_receipt_lot(move.product_id, lot_name)
                    if lot:
                        line["lot_id"] = lot.id
                    values.append(Command.create(line))
                    if kind == "damaged" and not damaged_location:
                        to_scrap.append((move, lot, quantity))
                    received_any = True
            move.move_line_ids.unlink()
            move.write({"move_line_ids": values, "picked": True})
        good = sum(q for entry in plan.values() for _lot, q in entry["good"])
        damaged = sum(q for entry in plan.values() for _lot, q in entry["damaged"])
        refused = sum(entry["refused"] for entry in plan.values())
        self.write(
            {
                "tpl_receipt_id": advice.get("receipt_number") or False,
                "tpl_receipt_state": "received",
                "tpl_receipt_condition": "damaged"
                if damaged and not good
                else "partly_damaged"
                if damaged
                else "good",
            }
        )
        self._integration_log_event(
            body=_(
                "%(what)s %(receipt)s from the 3PL: %(good)s received in good "
                "condition, %(damaged)s damaged, %(refused)s refused.",
                what=_("Return receipt") if self._tpl_is_return() else _("Receipt"),
                receipt=advice.get("receipt_number") or "",
                good=good,
                damaged=damaged,
                refused=refused,
            )
        )
        if not received_any:
            # Nothing came in (all refused): nothing to validate.
            return self.action_cancel()
        self.with_context(
            skip_backorder=True,
            picking_ids_not_to_backorder=self.ids,
            skip_sms=True,
        ).button_validate()
        for move, lot, quantity in to_scrap:
            self._tpl_scrap(move, lot, quantity)
        return True

    def _tpl_receipt_lot(self, product, lot_name):
        if not lot_name or product.tracking == "none":
            return self.env["stock.lot"]
        lots = self.env["stock.lot"].sudo()
        return lots.search(
            [("name", "=", lot_name), ("product_id", "=", product.id),
             ("company_id", "in", (self.company_id.id, False))],
            limit=1,
        ) or lots.create(
            {"name": lot_name, "product_id": product.id,
             "company_id": self.company_id.id}
        )  # fmt: skip

    def _tpl_scrap(self, move, lot, quantity):
        """Damaged units without a damaged location: scrapped where they landed."""
        line = move.move_line_ids.filtered(lambda ml: ml.lot_id == lot)[:1]
        scrap = (
            self.env["stock.scrap"]
            .sudo()
            .create(
                {
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "scrap_qty": quantity,
                    "lot_id": lot.id or False,
                    "location_id": (line.location_dest_id or move.location_dest_id).id,
                    "picking_id": self.id,
                    "company_id": self.company_id.id,
                    "origin": self.name,
                }
            )
        )
        scrap.do_scrap()
        return scrap


class StockMoveReceipt(models.Model):
    _inherit = "stock.move"

    tpl_announced_qty = fields.Float(
        string="Announced to 3PL",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="What the 943 announced of this move: the warehouse's receipt is "
        "compared with it.",
    )


class IntegrationExpectationReceipt(models.Model):
    _inherit = "integration.expectation"

    kind = fields.Selection(
        selection_add=[(RECEIPT_EXPECTATION, "3PL receipt advice (944)")],
        ondelete={RECEIPT_EXPECTATION: "cascade"},
    )
