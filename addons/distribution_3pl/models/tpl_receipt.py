"""Flow handler of the 3PL channel's inbound announcements.

flow         handler                               client call / effect
tpl-943-out  integration.handler.tpl_announce      account._tpl_send(stock_transfer)
(the 944 comes in through tpl-x12-in / the JSON flows: account._tpl_apply)
"""

from odoo import models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult


class TplAnnounceHandler(models.AbstractModel):
    _name = "integration.handler.tpl_announce"
    _inherit = "integration.handler.outbound"
    _description = "3PL: announce a receipt or customer return (943)"

    def _send(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        picking = self._related_record(message, "stock.picking")
        transfer = self._payload_json(message)
        reference, answer, content_type = account._tpl_send(
            warehouse.STOCK_TRANSFER, transfer, message
        )
        picking._tpl_announced(message)
        return HandlerResult(
            external_ref=reference,
            response_payload=answer,
            response_content_type=content_type,
            record=picking,
        )
