from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError

from .edi_effects import as_float, edi_raise

# Match states that hold the bill in draft.
BLOCKING_STATES = ("mismatch", "waiting_receipt")


def _format_quantity(quantity, uom):
    rounding = uom.rounding if uom else 0.01
    digits = max(0, len(f"{rounding:.10f}".rstrip("0").split(".")[1]))
    return f"{quantity:,.{digits}f}"


class AccountMove(models.Model):
    _inherit = "account.move"

    edi_invoice_number = fields.Char(
        string="EDI invoice number", copy=False, readonly=True, index="btree_not_null"
    )
    edi_match_state = fields.Selection(
        [
            ("matched", "Matched"),
            ("waiting_receipt", "Waiting for the receipt"),
            ("mismatch", "Mismatch: posting blocked"),
            ("approved", "Difference approved"),
        ],
        string="Three-way match",
        copy=False,
        readonly=True,
        tracking=True,
    )
    edi_invoice_total = fields.Monetary(
        string="Total the supplier invoiced",
        copy=False,
        readonly=True,
        help="The total stated by the EDI invoice (TDS / MOA), compared with the "
        "bill's total by the three-way match.",
    )
    edi_match_details = fields.Text(string="Match details", copy=False, readonly=True)
    edi_match_panel = fields.Html(
        string="Three-way match per line",
        compute="_compute_edi_match_panel",
        sanitize=False,
        help="Each bill line beside its purchase order line: ordered, received "
        "and invoiced quantities in the order's unit, ordered and invoiced prices.",
    )

    @api.depends(
        "edi_match_state",
        "currency_id",
        "invoice_line_ids.quantity",
        "invoice_line_ids.price_unit",
        "invoice_line_ids.purchase_line_id",
    )
    def _compute_edi_match_panel(self):
        for move in self:
            move.edi_match_panel = (
                move._edi_match_panel_html() if move.edi_match_state else False
            )

    def _edi_match_panel_html(self):
        """A table a clerk reads the match from: one row per bill line."""
        self.ensure_one()
        currency = self.currency_id
        headers = (
            _("Product"),
            _("Ordered"),
            _("Received"),
            _("Invoiced"),
            _("Unit"),
            _("Ordered price"),
            _("Invoiced price"),
        )
        rows = []
        for line in self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ):
            purchase_line = line.purchase_line_id.sudo()
            if purchase_line:
                uom = purchase_line.product_uom
                cells = (
                    purchase_line.product_id.display_name,
                    _format_quantity(purchase_line.product_qty, uom),
                    _format_quantity(purchase_line.qty_received, uom),
                    _format_quantity(self._edi_invoiced_quantity(purchase_line), uom),
                    uom.name,
                    currency.format(
                        purchase_line.currency_id._convert(
                            purchase_line.price_unit,
                            currency,
                            self.company_id,
                            self.invoice_date or fields.Date.context_today(self),
                        )
                        if purchase_line.currency_id != currency
                        else purchase_line.price_unit
                    ),
                    currency.format(line.price_unit),
                )
            else:
                cells = (
                    line.name or line.product_id.display_name,
                    _("not on the order"),
                    "",
                    _format_quantity(line.quantity, line.product_uom_id),
                    line.product_uom_id.name or "",
                    "",
                    currency.format(line.price_unit),
                )
            rows.append(cells)
        head = Markup("").join(
            Markup('<th class="text-end">%s</th>') % h
            if i
            else Markup("<th>%s</th>") % h
            for i, h in enumerate(headers)
        )
        body = Markup("").join(
            Markup("<tr>%s</tr>")
            % Markup("").join(
                Markup('<td class="text-end">%s</td>') % c
                if i
                else Markup("<td>%s</td>") % c
                for i, c in enumerate(cells)
            )
            for cells in rows
        )
        return Markup(
            '<table class="table table-sm o_edi_match_panel mb-0">'
            "<thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
        ) % (head, body)

    def _edi_bill_label(self):
        """How messages name a bill: its number, else the supplier's reference."""
        self.ensure_one()
        if self.name and self.name != "/":
            return self.name
        return _(
            "the draft bill %(ref)s from %(partner)s",
            ref=self.ref or self.id,
            partner=self.partner_id.display_name,
        )

    def _post(self, soft=True):
        # Every posting path ends here (the button, Accounting's "Post entries"
        # wizard, the auto-post scheduled action, RPC): the block holds on all.
        self._edi_check_match_before_posting()
        return super()._post(soft=soft)

    def _edi_check_match_before_posting(self):
        """Refuse to post a bill that does not match its order and receipts.

        The match is taken again first, on what the order, its receipts and the
        bill say now; a difference a purchase manager approved stays approved.
        """
        to_check = self.filtered(
            lambda move: (
                move.state == "draft"
                and move.edi_match_state in BLOCKING_STATES + ("matched",)
            )
        )
        for move in to_check:
            was = move.edi_match_state
            if not move._edi_three_way_match() and was == "mismatch":
                move._edi_resolve_match_exceptions(
                    _("%s matches now: posted.", move._edi_bill_label())
                )
        blocked = to_check.filtered(
            lambda move: move.edi_match_state in BLOCKING_STATES
        )
        if blocked:
            raise UserError("\n\n".join(move._edi_blocked_reason() for move in blocked))

    def _edi_blocked_reason(self):
        self.ensure_one()
        if self.edi_match_state == "waiting_receipt":
            next_step = _("It is matched again when the goods are received.")
        else:
            next_step = _(
                "Correct the bill and re-check the match, or have a purchase "
                "manager approve the difference."
            )
        return _(
            "%(bill)s cannot be posted: it does not match the purchase order and "
            "its receipts.\n%(details)s\n%(next)s",
            bill=self._edi_bill_label(),
            details=self.edi_match_details,
            next=next_step,
        )

    @entry_point("write", groups="purchase.group_purchase_manager")
    def action_edi_approve_mismatch(self):
        """Accept the bill as it is: it can then be posted (this does not post
        it), and the exceptions its mismatch raised are closed."""
        for move in self.filtered(
            lambda m: m.state == "draft" and m.edi_match_state in BLOCKING_STATES
        ):
            move.edi_match_state = "approved"
            note = _(
                "Three-way match difference approved by %s: the bill can be posted.",
                self.env.user.name,
            )
            move._message_log(body=note)
            move._edi_resolve_match_exceptions(note)
        return True

    def _edi_resolve_match_exceptions(self, note):
        """Close the exceptions raised because this bill did not match."""
        messages = (
            self.env["integration.message"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
        )
        exceptions = messages.exception_ids | self.env[
            "integration.exception"
        ].sudo().search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
        exceptions.filtered(
            lambda e: (
                e.category == "business_rule" and e.state in ("new", "in_progress")
            )
        )._resolve_automatically(note)

    @entry_point("write")
    def action_edi_recheck_match(self):
        for move in self.filtered("edi_match_state"):
            if not move._edi_three_way_match():
                move._edi_resolve_match_exceptions(
                    _("%s matches after a re-check.", move._edi_bill_label())
                )
        return True

    def _edi_three_way_match(self):
        """Compare each line with the order (price, ordered quantity) and the
        receipts (received quantity), each within the trading partner's tolerance.

        Returns the list of differences; sets the match state accordingly:
        a bill whose only difference is goods not received yet waits for the
        receipt (information, no exception), any other difference is a mismatch.
        """
        self.ensure_one()
        trading_partner = (
            self.env["edi.trading.partner"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                    ("company_id", "=", self.company_id.id),
                ],
                limit=1,
            )
        )
        price_tolerance = trading_partner.invoice_price_tolerance_percent / 100
        quantity_tolerance = trading_partner.invoice_quantity_tolerance_percent / 100
        order_tolerance = trading_partner.over_delivery_tolerance_percent / 100
        differences = []
        not_received_yet = []
        lines = self.invoice_line_ids.filtered("purchase_line_id")
        for line in lines:
            ordered_price = line.purchase_line_id.price_unit
            if (
                abs(line.price_unit - ordered_price)
                > price_tolerance * abs(ordered_price) + 1e-6
            ):
                differences.append(
                    _(
                        "%(product)s: invoiced at %(invoiced)s, ordered at %(ordered)s",
                        product=line.product_id.display_name,
                        invoiced=line.price_unit,
                        ordered=ordered_price,
                    )
                )
        for purchase_line in lines.purchase_line_id:
            invoiced = self._edi_invoiced_quantity(purchase_line)
            ordered = purchase_line.product_qty
            received = purchase_line.qty_received
            product = purchase_line.product_id.display_name
            if invoiced > ordered * (1 + order_tolerance) + 1e-6:
                differences.append(
                    _(
                        "%(product)s: %(invoiced)s invoiced (this bill and earlier "
                        "ones), %(ordered)s ordered",
                        product=product,
                        invoiced=invoiced,
                        ordered=ordered,
                    )
                )
            if invoiced > received * (1 + quantity_tolerance) + 1e-6:
                # Goods still expected on an open receipt: the bill waits
                # for them (returned goods are a difference).
                expected = purchase_line.move_ids.filtered(
                    lambda move: (
                        move.state not in ("done", "cancel")
                        and move.location_dest_id.usage != "supplier"
                    )
                )
                (
                    not_received_yet
                    if expected and invoiced <= ordered * (1 + order_tolerance) + 1e-6
                    else differences
                ).append(
                    _(
                        "%(product)s: %(invoiced)s invoiced (this bill and earlier "
                        "ones), %(received)s received",
                        product=product,
                        invoiced=invoiced,
                        received=received,
                    )
                )
        unmatched = self.invoice_line_ids.filtered(
            lambda line: not line.purchase_line_id and line.display_type == "product"
        )
        for line in unmatched:
            differences.append(
                _("%s: not on the purchase order", line.name or line.product_id.name)
            )
        if self.edi_invoice_total and (
            self.currency_id.compare_amounts(self.edi_invoice_total, self.amount_total)
        ):
            differences.append(
                _(
                    "The invoice says %(total)s in all; the bill's lines make "
                    "%(computed)s (taxes included).",
                    total=self.edi_invoice_total,
                    computed=self.amount_total,
                )
            )
        if differences:
            self.edi_match_state = "mismatch"
        elif not_received_yet:
            self.edi_match_state = "waiting_receipt"
        else:
            self.edi_match_state = "matched"
        differences += not_received_yet
        self.edi_match_details = "\n".join(differences) or False
        return differences

    def _edi_invoiced_quantity(self, purchase_line):
        """What the supplier billed for ``purchase_line`` so far (this bill, the
        others not cancelled, less credit notes), in the line's unit."""
        bill_lines = (
            purchase_line.invoice_lines
            | self.invoice_line_ids.filtered(
                lambda line: line.purchase_line_id == purchase_line
            )
        ).filtered(
            lambda line: (
                line.move_id.state != "cancel"
                and line.move_id.move_type in ("in_invoice", "in_refund")
                and line.display_type == "product"
            )
        )
        invoiced = 0.0
        for line in bill_lines:
            quantity = (
                line.product_uom_id._compute_quantity(
                    line.quantity, purchase_line.product_uom
                )
                if line.product_uom_id and purchase_line.product_uom
                else line.quantity
            )
            sign = -1 if line.move_id.move_type == "in_refund" else 1
            invoiced += sign * quantity
        return invoiced

    # -- a supplier's invoice applied as a bill ---------------------------------

    @api.model
    def _edi_apply_invoice(self, message, trading_partner, document, order):
        """Create the draft bill of a supplier's 810 / INVOIC for ``order``
        (found and locked by the handler); returns the bill."""
        number = document["invoice_number"]
        commercial = trading_partner.partner_id.commercial_partner_id
        existing = self.env["account.move"].search(
            [
                ("move_type", "=", "in_invoice"),
                ("commercial_partner_id", "=", commercial.id),
                ("state", "!=", "cancel"),
                "|",
                ("edi_invoice_number", "=", number),
                ("ref", "=", number),
            ],
            limit=1,
        )
        if existing:
            edi_raise(
                self.env,
                message,
                "duplicate",
                _(
                    "%(partner)s sent invoice %(number)s again; it is already %(bill)s",
                    partner=trading_partner.name,
                    number=number,
                    bill=existing.display_name,
                ),
                _(
                    "No second bill was created. If the supplier really bills "
                    "twice, ask for a credit note or a new invoice number."
                ),
                assignee=order.user_id,
            )
            return existing
        lines = []
        unmatched = []
        for line_data in document.get("lines", []):
            purchase_line = order._edi_line_for(line_data)
            quantity = as_float(line_data.get("quantity"), 0.0)
            price = as_float(line_data.get("price"), 0.0)
            if not purchase_line:
                unmatched.append(line_data)
                lines.append(
                    Command.create(
                        {
                            "name": _(
                                "%(code)s (not on %(order)s)",
                                code=line_data.get("vendor_code")
                                or line_data.get("gtin")
                                or line_data.get("line_id"),
                                order=order.name,
                            ),
                            "quantity": quantity,
                            "price_unit": price,
                        }
                    )
                )
                continue
            quantity, price = trading_partner._edi_to_line_unit(
                purchase_line, line_data.get("uom"), quantity, price
            )
            values = purchase_line._prepare_account_move_line()
            values.update(quantity=quantity, price_unit=price)
            lines.append(Command.create(values))
        invoice_date = document.get("date") or fields.Date.context_today(self)
        bill = (
            self.env["account.move"]
            .with_company(order.company_id)
            .with_context(default_move_type="in_invoice")
            .create(
                {
                    "move_type": "in_invoice",
                    "partner_id": order.partner_id.id,
                    "ref": number,
                    "edi_invoice_number": number,
                    "invoice_date": invoice_date,
                    "invoice_origin": order.name,
                    "currency_id": self._edi_invoice_currency(document, order).id,
                    "company_id": order.company_id.id,
                    "invoice_line_ids": lines,
                }
            )
        )
        if document.get("total") is not None:
            bill.edi_invoice_total = float(document["total"])
        differences = bill._edi_three_way_match()
        # Goods not received yet are no exception: the bill says it waits.
        if bill.edi_match_state != "mismatch":
            differences = []
        bill._integration_log_event(
            body=_(
                "Created from %(partner)s's EDI invoice %(number)s (%(message)s).",
                partner=trading_partner.name,
                number=number,
                message=message.name,
            )
        )
        if differences:
            edi_raise(
                self.env,
                message,
                "business_rule",
                _(
                    "Invoice %(number)s from %(partner)s does not match %(order)s",
                    number=number,
                    partner=trading_partner.name,
                    order=order.name,
                ),
                _(
                    "Bill %(bill)s is a draft and cannot be posted until the "
                    "difference is resolved:\n%(details)s",
                    bill=bill.display_name,
                    details="\n".join(differences),
                ),
                assignee=order.user_id,
            )
        return bill

    @api.model
    def _edi_invoice_currency(self, document, order):
        code = document.get("currency")
        if code and code != order.currency_id.name:
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", code)], limit=1)
            )
            if currency:
                return currency
        return order.currency_id
