from odoo import _, fields, models
from odoo.exceptions import UserError

from ..models.entry_point import entry_point


class IntegrationExceptionResolve(models.TransientModel):
    """Asks for the resolution note before exceptions are closed as resolved."""

    _name = "integration.exception.resolve"
    _description = "Resolve Integration Exceptions"

    exception_ids = fields.Many2many("integration.exception", string="Exceptions")
    resolution_note = fields.Text(
        string="Resolution",
        required=True,
        help="What was wrong and what was done, for the next person who meets it.",
    )

    @entry_point("write")
    def action_resolve(self):
        self.ensure_one()
        note = (self.resolution_note or "").strip()
        if not note:
            raise UserError(_("Say what was wrong and what was done."))
        self.exception_ids.with_context(resolution_note=note).action_resolve()
        return {"type": "ir.actions.act_window_close"}
