from odoo import models

from .delivery_carrier import CARRIER_TYPES


class StockReturnPicking(models.TransientModel):
    """Returns keep a carrier of this channel that books return labels.

    stock_delivery empties the return transfer's carrier ("no integration of
    returns"); ours has one, so the return keeps its delivery method and
    "Print Return Label" on it asks the carrier. The price is not copied.
    """

    _inherit = "stock.return.picking"

    def _reset_carrier_id(self, picking):
        carrier = picking.carrier_id
        super()._reset_carrier_id(picking)
        if (
            carrier
            and carrier.delivery_type in CARRIER_TYPES
            and carrier.can_generate_return
        ):
            picking.carrier_id = carrier
