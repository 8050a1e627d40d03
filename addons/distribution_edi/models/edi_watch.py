"""What the channel watches after a document was applied: a backorder that
arrived, an invoice that did not."""

from odoo import api, fields, models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "integration.consumer.mixin"]

    def _action_done(self):
        result = super()._action_done()
        purchase_lines = self.move_ids.purchase_line_id
        if purchase_lines:
            # A backordered line is answered by its delivery.
            purchase_lines.filtered(
                lambda line: (
                    line.edi_status == "backordered"
                    and line.qty_received >= line.product_qty - 1e-6
                )
            ).write({"edi_status": "delivered", "edi_backordered_qty": 0.0})
            purchase_lines.order_id._edi_expect_invoice()
        return result


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "integration.consumer.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        orders = moves.filtered(
            lambda move: move.move_type == "in_invoice"
        ).invoice_line_ids.purchase_line_id.order_id
        if orders:
            orders._edi_invoice_registered()
        return moves


class IntegrationExpectation(models.Model):
    _inherit = "integration.expectation"

    kind = fields.Selection(
        selection_add=[("edi_invoice", "Supplier invoice")],
        ondelete={"edi_invoice": "cascade"},
    )
