import json

from odoo import Command, _, api, fields, models

from ..edi import documents
from .edi_effects import as_float, edi_raise

# What tells one copy of a ship notice from another without changing what it
# announces: its envelope, and the date the document was written.
NOTICE_COPY_KEYS = frozenset(
    (
        "control_number",
        "interchange_control_number",
        "group_control_number",
        "test",
        "trading_partner_id",
        "code",
        "date",
    )
)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    edi_shipment_id = fields.Char(
        string="Supplier shipment", copy=False, readonly=True, index="btree_not_null"
    )
    edi_carrier = fields.Char(string="Carrier (ship notice)", copy=False, readonly=True)
    edi_tracking_numbers = fields.Char(
        string="Tracking numbers", copy=False, readonly=True
    )
    edi_bill_of_lading = fields.Char(string="Bill of lading", copy=False, readonly=True)
    edi_shipped_date = fields.Date(string="Shipped on", copy=False, readonly=True)

    # -- a supplier's ship notice applied to its receipts ----------------------

    @api.model
    def _edi_apply_despatch(self, message, trading_partner, document, orders):
        """Apply a supplier's 856 / DESADV to the receipts of ``orders`` (found
        and locked by the handler); returns the first receipt touched."""
        earlier = self._edi_earlier_notices(message, trading_partner, document, orders)
        if earlier is not None:
            return self._edi_despatch_again(
                message, trading_partner, document, orders, earlier
            )
        problems = []
        pickings = self.env["stock.picking"]
        announced = {}  # purchase line: (quantity shipped, quantity still expected)
        for item in document.get("items", []):
            number = item.get("order_number")
            order = orders.filtered(lambda o, n=number: o.name == n)[:1] or orders[:1]
            line = order._edi_line_for(item)
            if not line:
                problems.append(
                    _(
                        "Item %(line)s (%(code)s) matches no line of %(order)s.",
                        line=item.get("line_id"),
                        code=item.get("vendor_code") or item.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            quantity = trading_partner._edi_to_line_unit(
                line, item.get("uom"), as_float(item.get("quantity"), 0.0)
            )[0]
            problem, picking, expected = self._edi_announce(
                line, quantity, item.get("lots") or []
            )
            pickings |= picking
            if problem:
                problems.append(problem)
            elif line in announced:
                shipped, _expected = announced[line]
                announced[line] = (shipped + quantity, _expected)
            else:
                announced[line] = (quantity, expected)
        tracking = ", ".join(document.get("tracking_numbers") or [])
        for picking in pickings:
            values = {
                "edi_shipment_id": document.get("shipment_id"),
                "edi_carrier": document.get("carrier") or False,
                "edi_tracking_numbers": tracking or False,
                "edi_bill_of_lading": document.get("bill_of_lading") or False,
                "edi_shipped_date": document.get("shipped_date") or False,
            }
            if document.get("expected_date"):
                values["scheduled_date"] = fields.Datetime.to_datetime(
                    document["expected_date"]
                )
            picking.write(values)
            picking._integration_log_event(
                body=_(
                    "Ship notice %(shipment)s from %(partner)s: %(carrier)s "
                    "%(tracking)s",
                    shipment=document.get("shipment_id"),
                    partner=trading_partner.name,
                    carrier=document.get("carrier") or "",
                    tracking=tracking,
                )
            )
        over_delivered = self._edi_over_delivered(trading_partner, announced)
        if trading_partner.receipt_policy == "validate":
            held = self.env["stock.picking"]
            for line in over_delivered:
                held |= self._edi_open_moves(line).picking_id
            for picking in pickings.filtered(
                lambda p: p.state not in ("done", "cancel") and p not in held
            ):
                if any(move.quantity for move in picking.move_ids):
                    picking.with_context(
                        skip_backorder=False, cancel_backorder=False
                    )._action_done()
        problems += self._edi_surplus_problems(
            trading_partner, announced, over_delivered
        )
        if problems:
            edi_raise(
                self.env,
                message,
                "business_rule",
                _(
                    "Ship notice %(shipment)s from %(partner)s needs checking",
                    shipment=document.get("shipment_id"),
                    partner=trading_partner.name,
                ),
                "\n".join(problems),
                assignee=orders[:1].user_id,
            )
        return pickings[:1] or orders[:1]

    @staticmethod
    def _edi_open_moves(line):
        return line.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel") and m.picking_code == "incoming"
        ).sorted("id")

    def _edi_announce(self, line, quantity, lots):
        """Put ``quantity`` of ``line`` on its open receipt moves, each up to
        what it still expects and the surplus on the last one.

        Returns (problem or None, pickings touched, quantity still expected
        before this notice). A line raised after sending has a move per
        revision: the notice fills them all, so none stays expected.
        """
        moves = self._edi_open_moves(line)
        if not moves:
            return (
                _(
                    "%(product)s: %(quantity)s announced but no receipt is open for "
                    "it on %(order)s.",
                    product=line.product_id.display_name,
                    quantity=quantity,
                    order=line.order_id.name,
                ),
                self.env["stock.picking"],
                0.0,
            )
        expected = sum(
            max(move.product_uom_qty - move.edi_announced_qty, 0.0) for move in moves
        )
        remaining = quantity
        touched = self.env["stock.move"]
        for move in moves:
            room = max(move.product_uom_qty - move.edi_announced_qty, 0.0)
            share = remaining if move == moves[-1] else min(remaining, room)
            if share <= 1e-9:
                continue
            # Serial numbers go one per unit, in the notice's order.
            if move.has_tracking == "serial" and len(lots) >= round(quantity):
                start = round(quantity - remaining)
                move_lots = lots[start : start + round(share)]
            else:
                move_lots = lots
            self._edi_fill_move(move, share, move_lots)
            remaining -= share
            touched |= move
        return None, touched.picking_id, expected

    def _edi_fill_move(self, move, quantity, lots):
        move.edi_announced_qty += quantity
        if move.has_tracking != "none" and lots:
            # Lines the reservation made carry no lot: the notice's replace them.
            move.move_line_ids.filtered(
                lambda ml: not ml.lot_id and not ml.lot_name
            ).unlink()
            share = quantity / len(lots)
            move.write(
                {
                    "move_line_ids": [
                        Command.create(
                            {
                                "product_id": move.product_id.id,
                                "product_uom_id": move.product_uom.id,
                                "location_id": move.location_id.id,
                                "location_dest_id": move.location_dest_id.id,
                                "lot_name": lot,
                                "quantity": share,
                                "picking_id": move.picking_id.id,
                            }
                        )
                        for lot in lots
                    ]
                }
            )
        else:
            move.quantity = move.edi_announced_qty
        move.picked = True

    def _edi_over_delivered(self, trading_partner, announced):
        """The lines whose goods (received and announced) exceed the ordered
        quantity by more than the trading partner's tolerance."""
        tolerance = trading_partner.over_delivery_tolerance_percent / 100
        over = self.env["purchase.order.line"]
        for line in announced:
            coming = sum(
                move.product_uom._compute_quantity(move.quantity, line.product_uom)
                for move in self._edi_open_moves(line)
            )
            if line.qty_received + coming > line.product_qty * (1 + tolerance) + 1e-6:
                over |= line
        return over

    def _edi_surplus_problems(self, trading_partner, announced, over_delivered):
        """Say what became of each surplus, once the receipts were handled."""
        problems = []
        for line in over_delivered:
            shipped, expected = announced[line]
            receipts = ", ".join(self._edi_open_moves(line).picking_id.mapped("name"))
            values = {
                "product": line.product_id.display_name,
                "quantity": shipped,
                "open": expected,
                "ordered": line.product_qty,
                "tolerance": trading_partner.over_delivery_tolerance_percent,
                "receipts": receipts,
            }
            if trading_partner.receipt_policy == "validate":
                problems.append(
                    _(
                        "%(product)s: %(quantity)s shipped, %(open)s still expected "
                        "of %(ordered)s ordered (tolerance %(tolerance)s %%). "
                        "Receipt %(receipts)s was prefilled with what shipped but "
                        "NOT validated: the warehouse counts it, then validates it "
                        "or returns the surplus.",
                        **values,
                    )
                )
            else:
                problems.append(
                    _(
                        "%(product)s: %(quantity)s shipped, %(open)s still expected "
                        "of %(ordered)s ordered (tolerance %(tolerance)s %%). The "
                        "surplus is on receipt %(receipts)s, not yet validated, "
                        "for the warehouse to check.",
                        **values,
                    )
                )
        return problems

    # -- a ship notice received again ---------------------------------------------

    def _edi_earlier_notices(self, message, trading_partner, document, orders):
        """The documents of a shipment applied before: None for a new shipment,
        else a list (empty when only the receipts remember it)."""
        shipment = document.get("shipment_id")
        previous = (
            self.env["edi.document"]
            .sudo()
            .search(
                [
                    ("trading_partner_id", "=", trading_partner.id),
                    ("direction", "=", "inbound"),
                    ("kind", "=", documents.DESPATCH),
                    ("reference", "=", shipment),
                    ("message_id", "!=", message.id),
                    ("message_id.state", "=", "done"),
                ],
                order="id",
            )
        )
        if previous:
            return list(previous)
        if orders.picking_ids.filtered(lambda p: p.edi_shipment_id == shipment):
            return []
        return None

    def _edi_despatch_again(self, message, trading_partner, document, orders, earlier):
        """A shipment already applied: nothing changes; a copy announcing
        something else goes to a person."""
        shipment = document.get("shipment_id")
        pickings = orders.picking_ids.filtered(lambda p: p.edi_shipment_id == shipment)
        first = None
        if earlier:
            try:
                first = json.loads(earlier[0].message_id._get_payload())
            except Exception:  # a purged payload: compare with nothing
                first = None
        differences = (
            self._edi_notice_differences(first, document)
            if first is not None
            else [_("The first notice's content is no longer stored.")]
        )
        if not differences:
            for picking in pickings:
                picking._integration_log_event(
                    body=_(
                        "Ship notice %(shipment)s received again from %(partner)s "
                        "(%(message)s), unchanged: nothing was applied twice.",
                        shipment=shipment,
                        partner=trading_partner.name,
                        message=message.name,
                    )
                )
            return pickings[:1] or orders[:1]
        edi_raise(
            self.env,
            message,
            "duplicate",
            _(
                "%(partner)s sent ship notice %(shipment)s again, with different "
                "content",
                partner=trading_partner.name,
                shipment=shipment,
            ),
            _(
                "Nothing of this copy was applied: the receipts still show the first "
                "notice (%(first)s).\n%(differences)s\nCheck with the supplier "
                "which is right and correct the receipt %(receipts)s by hand.",
                first=earlier[0].message_id.name if earlier else "-",
                differences="\n".join(differences),
                receipts=", ".join(pickings.mapped("name")) or "-",
            ),
            assignee=orders[:1].user_id,
        )
        return pickings[:1] or orders[:1]

    def _edi_notice_differences(self, first, again):
        """What ``again`` announces differently from ``first``, line by line."""

        def item_key(item):
            return (
                item.get("order_number") or "",
                item.get("line_id") or "",
                item.get("vendor_code") or "",
                item.get("gtin") or "",
            )

        differences = []
        keys = (set(first) | set(again)) - NOTICE_COPY_KEYS - {"items"}
        for key in sorted(keys):
            if (first.get(key) or None) != (again.get(key) or None):
                differences.append(
                    _(
                        "%(field)s: %(first)s, now %(again)s",
                        field=key,
                        first=first.get(key),
                        again=again.get(key),
                    )
                )
        first_items = {item_key(i): i for i in first.get("items") or []}
        again_items = {item_key(i): i for i in again.get("items") or []}
        for key in sorted(set(first_items) | set(again_items)):
            label = "/".join(part for part in key if part)
            before, now = first_items.get(key), again_items.get(key)
            if before is None:
                differences.append(_("Item %s: only in the new copy.", label))
            elif now is None:
                differences.append(_("Item %s: missing from the new copy.", label))
            elif before != now:
                changed = sorted(
                    k for k in set(before) | set(now) if before.get(k) != now.get(k)
                )
                differences.append(
                    _(
                        "Item %(item)s: %(changes)s",
                        item=label,
                        changes=", ".join(
                            f"{k} {before.get(k)} → {now.get(k)}" for k in changed
                        ),
                    )
                )
        return differences


class StockMove(models.Model):
    _inherit = "stock.move"

    edi_announced_qty = fields.Float(
        string="Announced by the supplier",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="Quantity the supplier's ship notices announced for this move.",
    )

    def _action_done(self, cancel_backorder=False):
        # A receipt (or a return) changes the received side of the three-way
        # match: lock the orders first, so that an invoice applied at the same
        # time either sees these goods or is seen by them (the later of the two
        # transactions fails with a serialization error and is retried).
        orders = self.sudo().purchase_line_id.order_id._edi_traded()
        orders._edi_lock_for_match()
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        if orders:
            orders._edi_rematch_bills(_("The goods were received: %s now matches."))
        return moves
