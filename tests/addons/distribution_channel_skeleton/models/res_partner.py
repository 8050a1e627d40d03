"""The business effects of the skeleton channel live on the business model."""

from odoo import _, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError

PUBLISH_FLOW = "distribution_channel_skeleton.flow_skeleton_publish"


class ResPartner(models.Model):
    _inherit = "res.partner"

    skeleton_reference = fields.Char(
        string="Directory reference", copy=False, readonly=True
    )

    @entry_point("write")
    def action_skeleton_publish(self):
        """Queue the publication of these contacts to every directory account
        of the current company that can publish."""
        accounts = (
            self.env["skeleton.account"]
            .sudo()
            .search([("company_id", "=", self.env.company.id)])
            .filtered(lambda account: account._has_capability("publish"))
        )
        if not accounts:
            raise UserError(_("No directory account can publish for this company."))
        flow = self.env.ref(PUBLISH_FLOW).sudo()
        dispatch = self.env["integration.dispatch"].sudo()
        messages = self.env["integration.message"].sudo()
        for partner in self:
            for account in accounts:
                messages |= dispatch._send(
                    flow,
                    account.endpoint_id,
                    {"contact": partner.id, "name": partner.name},
                    record=partner,
                    idempotency_key=f"contact-{partner.id}-{partner.write_date}",
                )
        return len(messages)

    def _skeleton_apply_reference(self, reference):
        """What the directory's answer means for the contact."""
        self.ensure_one()
        if self.skeleton_reference != reference:
            self.skeleton_reference = reference
