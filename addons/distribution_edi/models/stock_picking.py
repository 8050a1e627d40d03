from odoo import _, fields, models


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

    def _action_done(self):
        result = super()._action_done()
        # A supplier's invoice may arrive before its goods: bills that waited
        # for these receipts are matched again now.
        purchase_lines = self.move_ids.purchase_line_id
        if purchase_lines:
            waiting = purchase_lines.invoice_lines.move_id.filtered(
                lambda move: (
                    move.state == "draft" and move.edi_match_state == "mismatch"
                )
            )
            for bill in waiting:
                if not bill._edi_three_way_match():
                    bill._edi_resolve_match_exceptions(
                        _("The goods were received: %s now matches.", bill.display_name)
                    )
        return result


class StockMove(models.Model):
    _inherit = "stock.move"

    edi_announced_qty = fields.Float(
        string="Announced by the supplier",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="Quantity the supplier's ship notices announced for this move.",
    )
