from odoo import fields, models

from ..kernel import errors


class IntegrationMessageAttempt(models.Model):
    """One attempt of a message: when, how long, how it ended. Kept when a retry
    resets the message's attempt budget, so the whole history stays visible."""

    _name = "integration.message.attempt"
    _description = "Integration Message Attempt"
    _order = "id desc"
    # Rows the runner writes once and nobody edits: when is ``started_at``, who
    # is the job's. Without the four audit columns an attempt row is cheaper
    # on every job (two foreign-key checks fewer).
    _log_access = False

    message_id = fields.Many2one(
        "integration.message", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="message_id.company_id", store=True, index=True
    )
    started_at = fields.Datetime(string="Started", required=True)
    duration_ms = fields.Integer(string="Duration (ms)")
    outcome = fields.Selection(
        [
            ("succeeded", "Succeeded"),
            ("retrying", "Failed, will retry"),
            ("failed", "Failed"),
        ],
        required=True,
    )
    error = fields.Char(help="The one-line cause of a failed attempt.")
    error_category = fields.Selection(list(errors.CATEGORIES))
    job_uuid = fields.Char(string="Job UUID")
