from odoo import fields, models

from .edi_trading_partner import DIALECTS


class EdiUomCode(models.Model):
    """Which code stands for an Odoo unit of measure in a dialect (X12 355,
    EDIFACT 6411). Rows without a trading partner are the defaults."""

    _name = "edi.uom.code"
    _description = "EDI Unit of Measure Code"
    _order = "trading_partner_id, dialect, uom_id"

    uom_id = fields.Many2one("uom.uom", string="Unit", required=True, index=True)
    dialect = fields.Selection(DIALECTS, required=True)
    code = fields.Char(required=True, size=3)
    trading_partner_id = fields.Many2one(
        "edi.trading.partner", index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="trading_partner_id.company_id", store=True)

    _sql_constraints = [
        (
            "uom_unique",
            "unique(trading_partner_id, dialect, uom_id)",
            "This unit already has a code for this dialect.",
        )
    ]
