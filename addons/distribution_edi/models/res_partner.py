from odoo import fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point


class ResPartner(models.Model):
    _inherit = "res.partner"

    edi_trading_partner_ids = fields.One2many(
        "edi.trading.partner", "partner_id", string="EDI trading partners"
    )
    edi_trading_partner_count = fields.Integer(
        compute="_compute_edi_trading_partner_count"
    )

    def _compute_edi_trading_partner_count(self):
        for partner in self:
            partner.edi_trading_partner_count = len(
                partner.sudo().edi_trading_partner_ids
            )

    @entry_point("read")
    def action_view_edi_trading_partners(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_edi.edi_trading_partner_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
