"""The 3PL channel's business effects, on the delivery itself."""

import datetime
from decimal import Decimal, InvalidOperation

from odoo import Command, _, api, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError
from odoo.tools import float_compare

RELEASE_FLOW = "distribution_3pl.flow_tpl_940_out"
EXPECTATION_KIND = "tpl_945"
STOCK_USER = "stock.group_stock_user"
RELEASE_STATES = [
    ("none", "Not released"),
    ("queued", "Release queued"),
    ("released", "Released"),
    ("cancel_queued", "Cancellation queued"),
    ("cancelled", "Cancellation sent"),
    ("shipped", "Shipped"),
    ("exception", "Exception"),
]


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "integration.consumer.mixin"]

    tpl_release_state = fields.Selection(
        RELEASE_STATES,
        string="3PL release",
        default="none",
        required=True,
        copy=False,
        readonly=True,
        index=True,
        tracking=True,
    )
    tpl_revision = fields.Integer(string="3PL revision", default=1, copy=False)
    tpl_released_at = fields.Datetime(
        string="Released to 3PL", copy=False, readonly=True
    )
    tpl_shipment_id = fields.Char(
        string="3PL shipment",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The warehouse's shipment that validated this delivery.",
    )
    tpl_account_id = fields.Many2one(
        "tpl.warehouse.account",
        string="3PL account",
        compute="_compute_tpl_account_id",
    )

    @api.depends("picking_type_id.warehouse_id")
    def _compute_tpl_account_id(self):
        accounts = self.env["tpl.warehouse.account"]
        by_warehouse = {}  # one search per warehouse, not per delivery
        for picking in self:
            if picking.picking_type_code != "outgoing":
                picking.tpl_account_id = False
                continue
            warehouse = picking.picking_type_id.warehouse_id
            if warehouse not in by_warehouse:
                by_warehouse[warehouse] = accounts._for_picking(picking).id
            picking.tpl_account_id = by_warehouse[warehouse]

    # -- release ---------------------------------------------------------------

    @entry_point("write", groups=STOCK_USER)
    def action_tpl_release(self):
        """Queue the release (940) of these ready deliveries to their 3PL."""
        refused = self.filtered(lambda p: p.state != "assigned" or not p.tpl_account_id)
        if refused:
            raise UserError(
                _(
                    "Only ready deliveries of a 3PL warehouse can be released: %s.",
                    ", ".join(refused.mapped("name")),
                )
            )
        return len(self.sudo()._tpl_release())

    @entry_point("write", groups=STOCK_USER)
    def action_tpl_cancel_release(self):
        """Ask the 3PL to cancel these released deliveries (a cancel 940)."""
        return len(self.sudo()._tpl_cancel_at_3pl())

    @entry_point("write")
    def action_cancel(self):
        # A delivery the 3PL holds must be cancelled there too, before its
        # moves are (the cancel 940 names the lines).
        self._tpl_cancel_at_3pl()
        return super().action_cancel()

    def _tpl_cancel_at_3pl(self):
        """Queue a cancel 940 for what the 3PL holds; refuse what it shipped."""
        shipped = self.filtered(
            lambda p: (
                p.tpl_release_state == "shipped"
                or (p.state == "done" and p.tpl_release_state != "none")
            )
        )
        if shipped:
            raise UserError(
                _(
                    "%s already shipped at the 3PL: it can no longer be cancelled "
                    "there. Create a return instead.",
                    ", ".join(shipped.mapped("name")),
                )
            )
        pending = self.filtered(lambda p: p.tpl_release_state in ("queued", "released"))
        return pending.sudo()._tpl_send_order("cancel")

    def _tpl_release(self):
        """Queue the 940 of every ready, not yet released delivery."""
        ready = self.filtered(
            lambda p: (
                p.state == "assigned"
                and p.tpl_release_state == "none"
                and p.tpl_account_id
            )
        )
        return ready._tpl_send_order("original")

    def _tpl_send_order(self, purpose):
        flow = self.env.ref(RELEASE_FLOW).sudo()
        dispatch = self.env["integration.dispatch"].sudo()
        messages = self.env["integration.message"].sudo()
        for picking in self:
            account = picking.tpl_account_id
            order = picking._tpl_order(account, purpose)
            messages |= dispatch._send(
                flow,
                account.endpoint_id,
                order,
                record=picking,
                # One message per delivery, revision and purpose: releasing
                # again the same revision is the same message.
                idempotency_key=f"940-{picking.id}-r{picking.tpl_revision}-{purpose}",
            )
            if purpose == "cancel" and picking.tpl_release_state != "cancelled":
                picking.tpl_release_state = "cancel_queued"
            elif purpose != "cancel" and picking.tpl_release_state == "none":
                picking.tpl_release_state = "queued"
        return messages

    def _tpl_order(self, account, purpose):
        """The shipping order dict (the codec's 940 shape) of this delivery."""
        self.ensure_one()
        partner = self.partner_id
        lines = []
        for move in self.move_ids.filtered(lambda m: m.state != "cancel"):
            lots = move.move_line_ids.lot_id.mapped("name")
            lines.append(
                {
                    "line_id": str(move.id),
                    "item": account._item_code(move.product_id),
                    "gtin": move.product_id.barcode or "",
                    "description": move.product_id.display_name[:80],
                    "quantity": str(move.product_uom_qty),
                    "uom": "EA",
                    "lots": lots,
                }
            )
        carrier = self.carrier_id
        return {
            "number": self.name,
            "purpose": purpose,
            "po_number": self.origin or self.name,
            "requested_ship_date": fields.Date.to_string(self.scheduled_date.date())
            if self.scheduled_date
            else None,
            "ship_to": {
                "name": (partner.name or "")[:60],
                "street": partner.street or "",
                "street2": partner.street2 or "",
                "city": partner.city or "",
                "state": partner.state_id.code or "",
                "zip": partner.zip or "",
                "country": partner.country_id.code or "",
            },
            "carrier": {"service": carrier.name or ""} if carrier else {},
            "notes": (self.note and self.note.striptags()[:80]) or "",
            "lines": lines,
        }

    def _tpl_released(self, message, purpose):
        """The 940 left: what the delivery now waits for."""
        self.ensure_one()
        expectations = self.env["integration.expectation"].sudo()
        if purpose == "cancel":
            self.tpl_release_state = "cancelled"
            expectations._withdraw(self, EXPECTATION_KIND)
            return
        account = self.tpl_account_id
        self.write(
            {"tpl_release_state": "released", "tpl_released_at": fields.Datetime.now()}
        )
        expectations._expect(
            self,
            EXPECTATION_KIND,
            fields.Datetime.now()
            + datetime.timedelta(hours=account.confirmation_hours or 24.0),
            message=message,
            description=_("945 expected by the 3PL for %s", self.name),
            endpoint=account.endpoint_id,
        )

    # -- ship confirmation --------------------------------------------------------

    @api.model
    def _tpl_apply_shipping_advice(self, account, advice, message, handler):
        """Validate the delivery a 945 confirms, or put the advice into the
        exception queue; the delivery (empty when nothing was applied)."""
        number = advice.get("order_number")
        shipment = advice.get("shipment_id") or ""

        def refuse(category, title, details=None, record=None):
            handler._raise_exception(
                message,
                category,
                title,
                details,
                assignee=account.reviewer_id,
                record=record,
                problem_key=f"945-{number}-{shipment}",
            )
            if record:
                record.tpl_release_state = "exception"
            return self.browse()

        pickings = self.sudo().search(
            [
                ("name", "=", number),
                ("picking_type_id.warehouse_id", "=", account.warehouse_id.id),
                ("picking_type_code", "=", "outgoing"),
            ]
        )
        if not pickings:
            return refuse(
                "mapping",
                _("Shipping advice %(shipment)s names order %(order)s, which is no "
                  "delivery of warehouse %(warehouse)s.", shipment=shipment,
                  order=number, warehouse=account.warehouse_id.name),
            )  # fmt: skip
        picking = pickings[0]
        if shipment and self.sudo().search_count(
            [("tpl_shipment_id", "=", shipment), ("id", "=", picking.id)]
        ):
            return picking  # the same shipment again: already applied
        if picking.state == "cancel":
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s confirms %(order)s, which is "
                  "cancelled in Odoo.", shipment=shipment, order=number),
                record=picking,
            )  # fmt: skip
        if picking.state == "done":
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s confirms %(order)s, already "
                  "shipped with %(other)s.", shipment=shipment, order=number,
                  other=picking.tpl_shipment_id or "-"),
                record=picking,
            )  # fmt: skip
        picking._tpl_lock(handler)
        problems, plan = picking._tpl_shipping_plan(account, advice)
        if problems:
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s for %(order)s differs from the "
                  "order: nothing was validated.", shipment=shipment, order=number),
                "\n".join(problems),
                record=picking,
            )  # fmt: skip
        picking._tpl_validate(account, advice, plan)
        self.env["integration.expectation"].sudo()._fulfil(
            picking, EXPECTATION_KIND, message=message
        )
        return picking

    def _tpl_lock(self, handler):
        handler._lock_for_update(self)

    def _tpl_shipping_plan(self, account, advice):
        """``(problems, plan)``: each move and the ``[(lot name, qty)]`` shipped."""
        self.ensure_one()
        problems, plan = [], {}
        moves = {str(move.id): move for move in self.move_ids}
        for line in advice.get("lines", []):
            move = moves.get(line.get("line_id"))
            label = line.get("line_id") or line.get("item")
            if move is None:
                problems.append(_("Line %s is no line of the order.", label))
                continue
            product = account._product_of(line.get("item"), line.get("gtin"))
            if line.get("substituted_for") or product != move.product_id:
                problems.append(
                    _("Line %(line)s: item %(item)s shipped for %(ordered)s "
                      "(substitution).", line=label, item=line.get("item"),
                      ordered=move.product_id.display_name)
                )  # fmt: skip
                continue
            try:
                shipped = float(Decimal(line.get("shipped_quantity") or "0"))
            except InvalidOperation:
                problems.append(_("Line %s: unreadable quantity.", label))
                continue
            rounding = move.product_uom.rounding
            if (
                float_compare(
                    shipped, move.product_uom_qty, precision_rounding=rounding
                )
                > 0
            ):
                problems.append(
                    _("Line %(line)s: %(shipped)s shipped for %(ordered)s ordered "
                      "(over-shipment).", line=label, shipped=shipped,
                      ordered=move.product_uom_qty)
                )  # fmt: skip
                continue
            lots = [
                (lot["lot"], float(Decimal(lot["quantity"]))) for lot in line["lots"]
            ]
            requested = set(move.move_line_ids.lot_id.mapped("name"))
            if move.product_id.tracking != "none":
                if not lots and shipped:
                    problems.append(
                        _("Line %s: no lot reported for a tracked item.", label)
                    )
                    continue
                other = {name for name, _qty in lots} - requested
                if requested and other:
                    problems.append(
                        _("Line %(line)s: lot %(lots)s shipped instead of "
                          "%(asked)s (lot substitution).", line=label,
                          lots=", ".join(sorted(other)),
                          asked=", ".join(sorted(requested)))
                    )  # fmt: skip
                    continue
            plan.setdefault(move, []).extend(lots or [("", shipped)])
        return problems, plan

    def _tpl_validate(self, account, advice, plan):
        """Book what the warehouse shipped and validate the delivery."""
        self.ensure_one()
        lots = self.env["stock.lot"].sudo()
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            shipped = [(name, qty) for name, qty in plan.get(move, []) if qty]
            values = []
            for lot_name, quantity in shipped:
                line = {
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "picking_id": self.id,
                    "quantity": quantity,
                    "picked": True,
                }
                if lot_name and move.product_id.tracking != "none":
                    lot = lots.search(
                        [("name", "=", lot_name),
                         ("product_id", "=", move.product_id.id),
                         ("company_id", "in", (self.company_id.id, False))],
                        limit=1,
                    ) or lots.create(
                        {"name": lot_name, "product_id": move.product_id.id,
                         "company_id": self.company_id.id}
                    )  # fmt: skip
                    line["lot_id"] = lot.id
                values.append(Command.create(line))
            move.move_line_ids.unlink()
            move.write({"move_line_ids": values, "picked": True})
        tracking = ",".join(advice.get("tracking_numbers") or [])
        self.write(
            {
                "tpl_shipment_id": advice.get("shipment_id") or False,
                "tpl_release_state": "shipped",
                "carrier_tracking_ref": tracking or self.carrier_tracking_ref,
            }
        )
        no_backorder = self.ids if account.backorder_policy == "cancel" else []
        self.with_context(
            skip_backorder=True,
            picking_ids_not_to_backorder=no_backorder,
            skip_sms=True,
        ).button_validate()


class IntegrationExpectation(models.Model):
    _inherit = "integration.expectation"

    kind = fields.Selection(
        selection_add=[(EXPECTATION_KIND, "3PL shipping advice (945)")],
        ondelete={EXPECTATION_KIND: "cascade"},
    )
