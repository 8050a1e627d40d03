from odoo import fields, models


class StockPackageType(models.Model):
    """Package type mapping: Odoo's own 'Carrier' + 'Carrier Code' fields.

    A package type whose carrier is Karrio (or LTL) sends its carrier code as the
    parcel's packaging type; its dimensions are sent with every parcel.
    """

    _inherit = "stock.package.type"

    package_carrier_type = fields.Selection(
        selection_add=[("karrio", "Karrio"), ("ltl_soap", "LTL freight (SOAP)")],
        ondelete={"karrio": "set default", "ltl_soap": "set default"},
    )
