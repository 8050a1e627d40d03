from odoo import _, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    edi_invoice_number = fields.Char(
        string="EDI invoice number", copy=False, readonly=True, index="btree_not_null"
    )
    edi_match_state = fields.Selection(
        [
            ("matched", "Matched"),
            ("mismatch", "Mismatch: posting blocked"),
            ("approved", "Mismatch approved"),
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

    @entry_point("write")
    def action_post(self):
        blocked = self.filtered(lambda move: move.edi_match_state == "mismatch")
        if blocked:
            raise UserError(
                _(
                    "%(bills)s do not match the purchase order and receipts:\n"
                    "%(details)s\nCorrect the bill and re-check the match, or have a "
                    "purchase manager approve the difference.",
                    bills=", ".join(blocked.mapped("display_name")),
                    details="\n".join(blocked.mapped("edi_match_details")),
                )
            )
        return super().action_post()

    @entry_point("write", groups="purchase.group_purchase_manager")
    def action_edi_approve_mismatch(self):
        for move in self.filtered(lambda m: m.edi_match_state == "mismatch"):
            move.edi_match_state = "approved"
            move._message_log(
                body=_("Three-way match difference approved by %s.", self.env.user.name)
            )
        return True

    def _edi_resolve_match_exceptions(self, note):
        """Close the exceptions raised because this bill did not match."""
        messages = (
            self.env["integration.message"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
        )
        messages.exception_ids.filtered(
            lambda e: (
                e.category == "business_rule" and e.state in ("new", "in_progress")
            )
        )._resolve_automatically(note)

    @entry_point("write")
    def action_edi_recheck_match(self):
        for move in self.filtered("edi_match_state"):
            if not move._edi_three_way_match():
                move._edi_resolve_match_exceptions(
                    _("%s matches after a re-check.", move.display_name)
                )
        return True

    def _edi_three_way_match(self):
        """Compare each line with the order (price) and the receipts (quantity).

        Returns the list of differences; sets the match state accordingly.
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
        differences = []
        for line in self.invoice_line_ids.filtered("purchase_line_id"):
            purchase_line = line.purchase_line_id
            ordered_price = purchase_line.price_unit
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
            other_bills = purchase_line.invoice_lines.filtered(
                lambda other: (
                    other.move_id != self
                    and other.move_id.state != "cancel"
                    and other.move_id.move_type == "in_invoice"
                )
            )
            invoiced = line.quantity + sum(other_bills.mapped("quantity"))
            received = purchase_line.qty_received
            if invoiced > received * (1 + quantity_tolerance) + 1e-6:
                differences.append(
                    _(
                        "%(product)s: %(invoiced)s invoiced (this bill and earlier "
                        "ones), %(received)s received",
                        product=line.product_id.display_name,
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
            self.edi_match_details = "\n".join(differences)
        else:
            self.edi_match_state = "matched"
            self.edi_match_details = False
        return differences
