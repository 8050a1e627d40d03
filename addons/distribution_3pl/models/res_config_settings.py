from odoo import fields, models

from .tpl_warehouse_account import DEFAULT_RELEASE_HOLD_PARAM, RELEASE_HOLDS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    tpl_default_release_hold = fields.Selection(
        RELEASE_HOLDS,
        string="Default release hold",
        config_parameter=DEFAULT_RELEASE_HOLD_PARAM,
        default="none",
        help="The hold policy a new 3PL warehouse account starts with.",
    )
