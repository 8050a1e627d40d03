from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    integration_fallback_user_id = fields.Many2one(
        "res.users",
        string="Integration fallback assignee",
        domain="[('share', '=', False)]",
        help="Gets the integration exceptions that name no other owner (no business "
        "document owner and no endpoint responsible).",
    )
