"""The business document an exception or an expectation is about."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .entry_point import entry_point
from .record_link import form_action, linked_record


class IntegrationDocumentLink(models.AbstractModel):
    _name = "integration.document.link.mixin"
    _description = "Link to a business document"

    res_model = fields.Char(string="Document model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document id", model_field="res_model", readonly=True, index=True
    )
    document_name = fields.Char(string="Document", compute="_compute_document")
    can_open_document = fields.Boolean(compute="_compute_document")

    @api.depends("res_model", "res_id")
    @api.depends_context("uid")
    def _compute_document(self):
        for link in self:
            record = link._document()
            # Offered only to those who may open it (record rules included).
            readable = bool(record) and record.has_access("read")
            link.can_open_document = readable
            link.document_name = record.display_name if readable else False

    def _document(self):
        """The business document, if it still exists."""
        self.ensure_one()
        return linked_record(self.env, self.res_model, self.res_id)

    @entry_point("read")
    def action_open_document(self):
        self.ensure_one()
        record = self._document()
        if not record:
            raise UserError(_("%s concerns no existing document.", self.display_name))
        return form_action(record)
