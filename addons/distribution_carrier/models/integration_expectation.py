from odoo import fields, models


class IntegrationExpectation(models.Model):
    _inherit = "integration.expectation"

    kind = fields.Selection(
        selection_add=[("carrier_scan", "Carrier scan")],
        ondelete={"carrier_scan": "cascade"},
    )
