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
