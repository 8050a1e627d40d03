from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _integration_log_event(self, body, subtype_xmlid=None, attachment_ids=None):
        """Write an automatic integration event in the chatter, authored by OdooBot.

        Jobs run as the user who enqueued them: without an explicit author the
        note would read as that person's doing. Notes that record a person's own
        action keep using ``_message_log``/``message_post`` directly.

        Without ``subtype_xmlid`` the event is logged (no follower notification);
        with one it is posted with that subtype, so followers may hear of it.
        """
        self.ensure_one()
        author_id = self.env.ref("base.partner_root").id
        if subtype_xmlid:
            return self.message_post(
                body=body,
                author_id=author_id,
                subtype_xmlid=subtype_xmlid,
                attachment_ids=attachment_ids or [],
            )
        return self._message_log(
            body=body, author_id=author_id, attachment_ids=attachment_ids or False
        )
