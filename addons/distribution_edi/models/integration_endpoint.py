from odoo import models


class IntegrationEndpoint(models.Model):
    _inherit = "integration.endpoint"

    def write(self, vals):
        result = super().write(vals)
        if "protocol" in vals:
            # An endpoint switched to files is collected by edi-poll from now on.
            self.env["edi.trading.partner"].sudo().search(
                [("endpoint_id", "in", self.ids)]
            )._register_for_polling()
        return result
