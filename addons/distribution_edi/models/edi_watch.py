"""What the channel watches after a document was applied: a backorder that
arrived, an invoice that did not."""

from odoo import api, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

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
    _inherit = "account.move"

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        orders = moves.filtered(
            lambda move: move.move_type == "in_invoice"
        ).invoice_line_ids.purchase_line_id.order_id
        if orders:
            orders._edi_invoice_registered()
        return moves


class IntegrationMessage(models.Model):
    _inherit = "integration.message"

    @api.model
    def _cron_monitor_sla(self):
        result = super()._cron_monitor_sla()
        # The invoice window is watched with the kernel's other windows.
        self.env["purchase.order"]._edi_monitor_invoices()
        return result
