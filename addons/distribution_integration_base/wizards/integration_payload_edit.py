import difflib
import hashlib

from markupsafe import Markup, escape

from odoo import _, fields, models

from ..models.entry_point import entry_point


class IntegrationPayloadEdit(models.TransientModel):
    """Edit a failed message's payload and replay it (managers only, audited)."""

    _name = "integration.payload.edit"
    _description = "Edit Payload and Replay"

    exception_id = fields.Many2one(
        "integration.exception", required=True, readonly=True
    )
    payload = fields.Text(required=True)
    reason = fields.Char(required=True, help="Why the payload was changed (audited).")

    @entry_point(
        "write", groups="distribution_integration_base.group_integration_manager"
    )
    def action_replay(self):
        """Replay the edited payload, once it is valid for the message's content
        type and the original is no longer live."""
        self.ensure_one()
        exception = self.exception_id
        exception.check_access("write")
        exception._check_open()
        message = exception._messages_or_error()
        original = message._get_payload_text()
        edited = self.payload.encode()
        replay = message._replay(edited, edited=True)
        diff = "\n".join(
            difflib.unified_diff(
                original.splitlines(),
                self.payload.splitlines(),
                "original",
                "edited",
                lineterm="",
                n=1,
            )
        )
        body = Markup("%s<pre>%s</pre>") % (
            _(
                "Payload edited by %(user)s and replayed as %(ref)s. "
                "Reason: %(reason)s. "
                "SHA-256 %(old)s → %(new)s.",
                user=self.env.user.name,
                ref=replay.name,
                reason=self.reason,
                old=message.payload_sha256,
                new=hashlib.sha256(edited).hexdigest(),
            ),
            escape(diff[:20000]),
        )
        exception._message_log(body=body)
        exception.write({"state": "in_progress"})
        return replay._action_open()
