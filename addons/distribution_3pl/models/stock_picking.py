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
# What the 3PL ships by, on the delivery and on its lines: a change of any of
# them after the release is a change the 3PL must get (a replacing 940).
TRACKED_FIELDS = {"partner_id", "carrier_id", "scheduled_date", "note"}
TRACKED_MOVE_FIELDS = {"product_uom_qty", "product_id", "product_uom", "picking_id"}
RELEASE_STATES = [
    ("none", "Not released"),
    ("held", "Held"),
    ("queued", "Release queued"),
    ("released", "Released"),
    ("cancel_queued", "Cancellation queued"),
    ("cancelled", "Cancellation sent"),
    ("shipped", "Shipped"),
    ("exception", "Exception"),
]


# The routine steps of a release, (before, after): the kernel's message log
# (the delivery's Messages) records them; the chatter keeps the transitions a
# person acts on (held, cancelled, shipped, exception) without a tracking
# message per delivery for each 940 queued and sent.
ROUTINE_RELEASE_STEPS = {
    ("none", "queued"),
    ("queued", "released"),
    ("none", "released"),
}


def _is_zero(line):
    try:
        return not Decimal(line.get("shipped_quantity") or "0")
    except InvalidOperation:
        return False


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
    tpl_order_number = fields.Char(
        string="3PL order",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The number the 3PL knows this delivery by: its own name, or the "
        "name of the delivery it is the backorder of while the warehouse ships "
        "that order in several shipments.",
    )
    tpl_hold_reason = fields.Char(
        string="3PL hold",
        copy=False,
        readonly=True,
        help="Why the release waits (the account's hold policy); the scheduled "
        "release sends it once the reason is gone.",
    )
    tpl_change_pending = fields.Boolean(
        string="Changed since release",
        copy=False,
        readonly=True,
        help="Address, carrier or lines changed after the release: send the "
        "change so the 3PL ships the current order.",
    )

    def _mail_track(self, tracked_fields, initial_values):
        step = (initial_values.get("tpl_release_state"), self.tpl_release_state)
        if step in ROUTINE_RELEASE_STEPS:
            tracked_fields = dict(tracked_fields)
            tracked_fields.pop("tpl_release_state", None)
        return super()._mail_track(tracked_fields, initial_values)

    @api.depends("picking_type_id.warehouse_id")
    def _compute_tpl_account_id(self):
        self._tpl_assign_accounts(
            "tpl_account_id", "outgoing", self.env["tpl.warehouse.account"]._for_picking
        )

    def _tpl_assign_accounts(self, field, picking_type_code, find):
        """Set ``field`` of the pickings of ``picking_type_code`` to the 3PL
        account ``find(picking)`` names (others: none), one search per
        warehouse, not per picking."""
        by_warehouse = {}
        for picking in self:
            if picking.picking_type_code != picking_type_code:
                picking[field] = False
                continue
            warehouse = picking.picking_type_id.warehouse_id
            if warehouse not in by_warehouse:
                by_warehouse[warehouse] = find(picking).id
            picking[field] = by_warehouse[warehouse]

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
        for picking in self:
            problem = picking._tpl_unit_problem()
            if problem:
                raise UserError(problem)
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
        held = self.filtered(lambda p: p.tpl_release_state == "held")
        if held:
            held.sudo().write({"tpl_release_state": "none", "tpl_hold_reason": False})
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

    @entry_point("write", groups=STOCK_USER)
    def action_tpl_send_change(self):
        """Send the changes of these released deliveries to their 3PL: the
        next revision as a replacing 940."""
        return len(self.sudo()._tpl_send_change())

    def _tpl_refuse_change(self):
        """Raise when the 3PL can no longer take a change of these deliveries."""
        shipped = self.filtered(
            lambda p: p.tpl_release_state == "shipped" or p.state == "done"
        )
        if shipped:
            raise UserError(
                _(
                    "%s already shipped at the 3PL: a change can no longer be "
                    "sent. Create a return or a new delivery instead.",
                    ", ".join(shipped.mapped("name")),
                )
            )
        continued = self.filtered(lambda p: p._tpl_ships_in_parts())
        if continued:
            raise UserError(
                _(
                    "%s: the 3PL already shipped part of this order and takes no "
                    "change to the rest. Cancel the rest in Odoo and release a "
                    "new delivery instead.",
                    ", ".join(continued.mapped("name")),
                )
            )
        cancelled = self.filtered(
            lambda p: p.tpl_release_state not in ("queued", "released")
        )
        if cancelled:
            raise UserError(
                _(
                    "%s is not released to a 3PL: there is no order to change there.",
                    ", ".join(cancelled.mapped("name")),
                )
            )

    def _tpl_ships_in_parts(self):
        """Whether this delivery is the rest of a 3PL order partly shipped."""
        self.ensure_one()
        return bool(self.tpl_order_number) and self.tpl_order_number != self.name

    def _tpl_send_change(self):
        self._tpl_refuse_change()
        for picking in self:
            picking.write(
                {"tpl_revision": picking.tpl_revision + 1, "tpl_change_pending": False}
            )
        return self._tpl_send_order("replace")

    def _tpl_changed(self):
        """Something the 3PL ships by changed on these deliveries: remember it
        for the ones the 3PL holds (the form offers "Send change to 3PL")."""
        held = self.filtered(
            lambda p: (
                p.tpl_release_state in ("queued", "released")
                and not p.tpl_change_pending
            )
        )
        if held:
            held.sudo().tpl_change_pending = True

    def write(self, vals):
        res = super().write(vals)
        if TRACKED_FIELDS.intersection(vals):
            self._tpl_changed()
        return res

    def _tpl_release(self, limit=0):
        """Queue the 940 of every ready, not yet released delivery whose
        account's hold policy lets it go; the others are held, with why.
        ``limit``: release no more than that many, in order (those after the
        last one released are not looked at)."""
        ready = self.filtered(
            lambda p: (
                p.state == "assigned"
                and p.tpl_release_state in ("none", "held")
                and p.tpl_account_id
            )
        )
        free = self.browse()
        for picking in ready:
            if limit and len(free) >= limit:
                break
            # A unit without a code holds only its delivery, not the wave.
            reason = picking._tpl_unit_problem() or (
                picking.tpl_account_id._tpl_hold_reason(picking)
            )
            if reason:
                if (picking.tpl_release_state, picking.tpl_hold_reason) != (
                    "held",
                    reason,
                ):
                    picking.write(
                        {"tpl_release_state": "held", "tpl_hold_reason": reason}
                    )
            else:
                free |= picking
        if not free:
            return self.env["integration.message"]
        return free._tpl_send_order("original")

    def _tpl_unit_problem(self, account=None):
        """Why ``account`` (default: the delivery's) cannot be sent this
        picking's lines in their stock units (a unit without a code); empty
        when it can."""
        self.ensure_one()
        account = account or self.tpl_account_id
        try:
            account._tpl_unit_codes(self.move_ids.product_id.uom_id)
        except UserError as exc:
            return exc.args[0]
        return ""

    def _tpl_send_order(self, purpose):
        flow = self.env.ref(RELEASE_FLOW).sudo()
        dispatch = self.env["integration.dispatch"].sudo()
        messages = self.env["integration.message"].sudo()
        # Every line's item code in one query per account, not one per line.
        item_codes = {}
        for account in self.tpl_account_id:
            moves = self.filtered(lambda p, a=account: p.tpl_account_id == a).move_ids
            item_codes[account] = account._item_codes(moves.product_id)
            # A unit without a code stops the release before anything changed.
            account._tpl_unit_codes(moves.product_id.uom_id)
        for picking in self:
            account = picking.tpl_account_id
            values = {}
            if purpose == "cancel":
                if picking.tpl_release_state != "cancelled":
                    values["tpl_release_state"] = "cancel_queued"
            elif picking.tpl_release_state in ("none", "held"):
                values["tpl_release_state"] = "queued"
                if picking.tpl_hold_reason:
                    values["tpl_hold_reason"] = False  # the hold is gone
                if purpose == "original":
                    # A new order at the 3PL: it knows it by this delivery's
                    # name, its lines by their move ids (kept by the
                    # backorders' moves).
                    values["tpl_order_number"] = picking.name
                    for move in picking.move_ids:
                        if move.tpl_line_id != str(move.id):
                            move.tpl_line_id = str(move.id)
            if values:
                picking.write(values)  # one write, before the message's flush
            order = picking._tpl_order(account, purpose, item_codes.get(account))
            messages |= dispatch._send(
                flow,
                account.endpoint_id,
                order,
                record=picking,
                # One message per delivery, revision and purpose: releasing
                # again the same revision is the same message.
                idempotency_key=f"940-{picking.id}-r{picking.tpl_revision}-{purpose}",
            )
        return messages

    def _tpl_order(self, account, purpose, item_codes=None):
        """The shipping order dict (the codec's 940 shape) of this delivery;
        ``item_codes``: ``account._item_codes()`` of its products, when the
        caller read them already."""
        self.ensure_one()
        partner = self.partner_id
        lines = []
        moves = self.move_ids.filtered(lambda m: m.state != "cancel")
        if item_codes is None:
            item_codes = account._item_codes(moves.product_id)
        unit_codes = account._tpl_unit_codes(moves.product_id.uom_id)
        for move in moves:
            lots = move.move_line_ids.lot_id.mapped("name")
            quantity, unit = account._tpl_to_stock_unit(
                move, move.product_uom_qty, unit_codes
            )
            lines.append(
                {
                    "line_id": move.tpl_line_id or str(move.id),
                    "item": item_codes[move.product_id],
                    "gtin": move.product_id.barcode or "",
                    "description": move.product_id.display_name[:80],
                    "quantity": str(quantity),
                    "uom": unit,
                    "lots": lots,
                }
            )
        carrier = self.carrier_id
        return {
            "number": self.tpl_order_number or self.name,
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

    def _tpl_released(self, message, purpose, account=None):
        """The 940 left: what the delivery now waits for. ``account``: the
        one that sent it (the handler has it: no search per delivery)."""
        self.ensure_one()
        expectations = self.env["integration.expectation"].sudo()
        if purpose == "cancel":
            self.tpl_release_state = "cancelled"
            expectations._withdraw(self, EXPECTATION_KIND)
            return
        if not account or account.warehouse_id != self.picking_type_id.warehouse_id:
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
    def _tpl_refuse_advice(
        self, account, message, handler, problem, *, record, mention, problem_key,
        state_field, expectation,
    ):  # fmt: skip
        """Put a warehouse advice ``problem`` (category, title, details) into
        the exception queue for the account's reviewer, about ``mention``;
        ``record``, when given, is marked in exception and its expectation of
        the advice met. Nothing applied: an empty recordset."""
        category, title, details = problem
        handler._raise_exception(
            message,
            category,
            title,
            details,
            assignee=account.reviewer_id,
            record=mention,
            problem_key=problem_key,
        )
        if record:
            record[state_field] = "exception"
            # The warehouse did answer in time: what it says is the exception's
            # to follow, not also a late advice for the reviewer.
            self.env["integration.expectation"].sudo()._fulfil(
                record, expectation, message=message
            )
        return self.browse()

    @api.model
    def _tpl_apply_shipping_advice(self, account, advice, message, handler):
        """Validate the delivery a 945 confirms, or put the advice into the
        exception queue; the delivery (empty when nothing was applied)."""
        number = advice.get("order_number")
        shipment = advice.get("shipment_id") or ""

        def refuse(category, title, details=None, record=None, flag=True):
            return self._tpl_refuse_advice(
                account, message, handler, (category, title, details),
                record=record if flag else None, mention=record,
                problem_key=f"945-{number}-{shipment}",
                state_field="tpl_release_state", expectation=EXPECTATION_KIND,
            )  # fmt: skip

        pickings = self.sudo().search(
            [
                "|",
                ("tpl_order_number", "=", number),
                "&",
                ("tpl_order_number", "=", False),
                ("name", "=", number),
                ("picking_type_id.warehouse_id", "=", account.warehouse_id.id),
                ("picking_type_code", "=", "outgoing"),
            ],
            order="id",
        )
        if not pickings:
            return refuse(
                "mapping",
                _("Shipping advice %(shipment)s names order %(order)s, which is no "
                  "delivery of warehouse %(warehouse)s.", shipment=shipment,
                  order=number, warehouse=account.warehouse_id.name),
            )  # fmt: skip
        if shipment:
            applied = pickings.filtered(lambda p: p.tpl_shipment_id == shipment)
            if applied:
                return applied[:1]  # the same shipment again: already applied
        # An order shipped in parts: each shipment validates the part still
        # open (the delivery first, then its backorder).
        picking = pickings.filtered(lambda p: p.state not in ("done", "cancel"))[:1]
        picking = picking or pickings[-1:]
        if picking.state == "cancel":
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s confirms %(order)s, which is "
                  "cancelled in Odoo.", shipment=shipment, order=number),
                record=picking,
                flag=False,  # the partner's late word moves no state back
            )  # fmt: skip
        if picking.state == "done":
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s confirms %(order)s, already "
                  "shipped with %(other)s.", shipment=shipment, order=number,
                  other=picking.tpl_shipment_id or "-"),
                record=picking,
                flag=False,  # what shipped stays shipped
            )  # fmt: skip
        if picking.tpl_release_state in ("none", "held"):
            # Never sent to the 3PL (or held back by the release policy, until
            # payment say): validating it would ship what Odoo did not release.
            return refuse(
                "business_rule",
                _("Shipping advice %(shipment)s confirms %(order)s, which was "
                  "never released to the 3PL: nothing was validated.",
                  shipment=shipment, order=number),
                record=picking,
                flag=False,
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
        moves = {move.tpl_line_id or str(move.id): move for move in self.move_ids}
        for line in advice.get("lines", []):
            move = moves.get(line.get("line_id"))
            label = line.get("line_id") or line.get("item")
            if move is None:
                if self._tpl_ships_in_parts() and _is_zero(line):
                    continue  # a line shipped earlier, quoted at nothing
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
                lots = [
                    (lot["lot"], float(Decimal(lot["quantity"])))
                    for lot in line["lots"]
                ]
            except InvalidOperation:
                problems.append(_("Line %s: unreadable quantity.", label))
                continue
            # Compared and booked in the move's unit, whatever the warehouse's.
            unit = line.get("uom") or ""
            shipped = account._tpl_from_warehouse(move, unit, shipped)
            if shipped is None:
                problems.append(account._tpl_unit_refusal(label, unit, move))
                continue
            lots = [
                (name, account._tpl_from_warehouse(move, unit, quantity))
                for name, quantity in lots
            ]
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
        packing = self._tpl_packing(advice, account)
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            shipped = [(name, qty) for name, qty in plan.get(move, []) if qty]
            values = []
            for lot_name, quantity, package in self._tpl_packed(packing, move, shipped):
                line = {
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "picking_id": self.id,
                    "quantity": quantity,
                    "picked": True,
                    # The warehouse's package (its tracking number on it).
                    "result_package_id": package.id if package else False,
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
        # More shipments of the order to come: what is left stays at the 3PL
        # under the same order, so the backorder is kept whatever the policy.
        more = bool(advice.get("partial"))
        no_backorder = (
            self.ids if account.backorder_policy == "cancel" and not more else []
        )
        self.with_context(
            skip_backorder=True,
            picking_ids_not_to_backorder=no_backorder,
            skip_sms=True,
        ).button_validate()
        # Once shipped: set earlier, a carrier Odoo books with would be asked
        # to ship again at validation.
        self._tpl_apply_carrier(account, advice)
        rest = self.backorder_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        if more and rest:
            rest._tpl_continue(self)

    def _tpl_continue(self, shipped):
        """These backorders of ``shipped`` stay released at the 3PL under its
        order: the next shipping advice validates them, and is expected."""
        now = fields.Datetime.now()
        self.write(
            {
                "tpl_order_number": shipped.tpl_order_number or shipped.name,
                "tpl_revision": shipped.tpl_revision,
                "tpl_release_state": "released",
                "tpl_released_at": now,
            }
        )
        account = shipped.tpl_account_id
        for backorder in self:
            self.env["integration.expectation"].sudo()._expect(
                backorder,
                EXPECTATION_KIND,
                now + datetime.timedelta(hours=account.confirmation_hours or 24.0),
                description=_(
                    "945 expected by the 3PL for %(rest)s (rest of order %(order)s)",
                    rest=backorder.name,
                    order=backorder.tpl_order_number,
                ),
                endpoint=account.endpoint_id,
            )


class StockMove(models.Model):
    _inherit = "stock.move"

    tpl_line_id = fields.Char(
        string="3PL line",
        readonly=True,
        # Kept by the move Odoo splits off into a backorder: the 3PL's next
        # shipment of the order quotes the same line.
        copy=True,
        help="The line number the 3PL order carries for this move.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves.picking_id._tpl_changed()
        return moves

    def write(self, vals):
        res = super().write(vals)
        if TRACKED_MOVE_FIELDS.intersection(vals) or vals.get("state") == "cancel":
            self.picking_id._tpl_changed()
        return res

    def _action_confirm(self, merge=True, merge_into=False):
        # A change confirmed into the released delivery (an order line added
        # or changed, merged into its moves) goes to the 3PL at once.
        pickings = self.picking_id
        moves = super()._action_confirm(merge=merge, merge_into=merge_into)
        pickings |= moves.exists().picking_id
        changed = pickings.filtered(
            lambda p: (
                p.tpl_change_pending
                and p.tpl_release_state in ("queued", "released")
                and not p._tpl_ships_in_parts()
            )
        )
        if changed:
            changed.sudo()._tpl_send_change()
        return moves


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def write(self, vals):
        res = super().write(vals)
        if "lot_id" in vals:
            self.picking_id._tpl_changed()  # the 940 names the lots requested
        return res


class IntegrationExpectation(models.Model):
    _inherit = "integration.expectation"

    kind = fields.Selection(
        selection_add=[(EXPECTATION_KIND, "3PL shipping advice (945)")],
        ondelete={EXPECTATION_KIND: "cascade"},
    )
