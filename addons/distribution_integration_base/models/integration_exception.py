from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..kernel import errors
from .entry_point import entry_point

OPEN_STATES = ("new", "in_progress")


class IntegrationException(models.Model):
    """Something a person must look at: a failed, refused, late or unacknowledged
    message, worked from the exception queue."""

    _name = "integration.exception"
    _description = "Integration Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, deadline, id desc"

    name = fields.Char(string="Problem", required=True, tracking=True)
    message_id = fields.Many2one(
        "integration.message",
        index=True,
        ondelete="set null",
        readonly=True,
        string="Message",
    )
    flow_id = fields.Many2one(
        "integration.flow",
        compute="_compute_from_message",
        store=True,
        readonly=False,
        index=True,
    )
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        compute="_compute_from_message",
        store=True,
        readonly=False,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_from_message",
        store=True,
        readonly=False,
        index=True,
    )
    message_state = fields.Selection(related="message_id.state", string="Message state")
    correlation_id = fields.Char(related="message_id.correlation_id")
    category = fields.Selection(list(errors.CATEGORIES), required=True, tracking=True)
    severity = fields.Selection(
        [
            ("low", "Low"),
            ("medium", "Medium"),
            ("high", "High"),
            ("critical", "Critical"),
        ],
        required=True,
        default="medium",
        tracking=True,
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In progress"),
            ("resolved", "Resolved"),
            ("ignored", "Ignored"),
        ],
        required=True,
        default="new",
        tracking=True,
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="Assignee",
        tracking=True,
        compute="_compute_from_message",
        store=True,
        readonly=False,
    )
    deadline = fields.Datetime(
        compute="_compute_deadline",
        store=True,
        readonly=False,
        tracking=True,
        help="From the flow's SLA.",
    )
    details = fields.Text(help="The technical detail: partner answer, error codes.")
    traceback = fields.Text(
        readonly=True,
        groups="distribution_integration_base.group_integration_manager",
        help="The server's traceback of an unexpected error (managers only).",
    )
    occurrence_count = fields.Integer(string="Occurrences", default=1, readonly=True)
    problem_key = fields.Char(
        readonly=True,
        help="Set by a channel to keep two problems of one category on one message "
        "apart; repeats of the same problem count occurrences.",
    )
    closes_on_success = fields.Boolean(
        string="Closes on success",
        readonly=True,
        help="Raised by a failed attempt: closes by itself when a later attempt of "
        "the message succeeds. Business exceptions stay open for a person.",
    )
    resolution_note = fields.Text(string="Resolution", tracking=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True, string="Resolved by")
    resolved_at = fields.Datetime(string="Resolved on", readonly=True)
    can_edit_payload = fields.Boolean(compute="_compute_can_edit_payload")

    @api.depends("message_id")
    def _compute_from_message(self):
        for exception in self:
            message = exception.message_id
            if message:
                exception.flow_id = message.flow_id
                exception.endpoint_id = message.endpoint_id
            exception.company_id = (
                message.company_id
                or exception.endpoint_id.company_id
                or exception.company_id
                or self.env.company
            )
            if not exception.user_id:
                exception.user_id = exception.endpoint_id.user_id

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"new": 0, "in_progress": 1, "resolved": 2, "ignored": 3}
        for exception in self:
            exception.state_sequence = order.get(exception.state, 9)

    @api.depends("flow_id")
    def _compute_deadline(self):
        for exception in self:
            if exception.deadline:
                continue
            minutes = exception.flow_id.sla_minutes or 24 * 60
            exception.deadline = (exception.create_date or fields.Datetime.now()) + (
                timedelta(minutes=minutes)
            )

    def _compute_can_edit_payload(self):
        is_manager = self.env.user.has_group(
            "distribution_integration_base.group_integration_manager"
        )
        for exception in self:
            exception.can_edit_payload = bool(
                is_manager
                and exception.message_id
                and not exception.message_id.payload_purged
            )

    @api.model_create_multi
    def create(self, vals_list):
        exceptions = super().create(vals_list)
        for exception in exceptions.filtered("user_id"):
            exception.message_subscribe(partner_ids=exception.user_id.partner_id.ids)
        return exceptions

    # -- actions (one by one or in bulk) -----------------------------------------

    def _check_open(self):
        closed = self.filtered(lambda e: e.state not in OPEN_STATES)
        if closed:
            raise UserError(
                _(
                    "These exceptions are already closed: %s",
                    ", ".join(closed.mapped("display_name")),
                )
            )

    def _messages_or_error(self):
        missing = self.filtered(lambda e: not e.message_id)
        if missing:
            raise UserError(
                _(
                    "These exceptions concern no message, so there is nothing to "
                    "retry or replay: %s",
                    ", ".join(missing.mapped("display_name")),
                )
            )
        return self.message_id

    @entry_point("write")
    def action_start(self):
        self._check_open()
        self.write({"state": "in_progress", "user_id": self.env.user.id})
        return True

    @entry_point("write")
    def action_retry(self):
        """Run the failed step of each message again."""
        self._check_open()
        messages = self._messages_or_error()
        messages._retry()
        for exception in self:
            exception._message_log(body=_("Retry requested by %s.", self.env.user.name))
        self.write({"state": "in_progress"})
        return True

    @entry_point("write")
    def action_replay(self):
        """Process the original payload again as a new linked message."""
        self._check_open()
        replays = self.env["integration.message"]
        for exception in self:
            message = exception._messages_or_error()
            replay = message._replay(message._get_payload())
            replays |= replay
            exception._message_log(
                body=_(
                    "Replayed as %(ref)s by %(user)s.",
                    ref=replay.name,
                    user=self.env.user.name,
                )
            )
        self.write({"state": "in_progress"})
        return replays._action_open()

    @entry_point(
        "write", groups="distribution_integration_base.group_integration_manager"
    )
    def action_edit_payload(self):
        """Open the payload editor (managers only; the edit is audited)."""
        self.ensure_one()
        self._check_payload_editor()
        message = self._messages_or_error()
        message._check_not_live()
        return {
            "type": "ir.actions.act_window",
            "name": _("Edit payload and replay"),
            "res_model": "integration.payload.edit",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_exception_id": self.id,
                "default_payload": message._get_payload_text(),
            },
        }

    def _check_payload_editor(self):
        if not self.env.user.has_group(
            "distribution_integration_base.group_integration_manager"
        ):
            raise AccessError(
                _("Only Integration Managers may edit a payload before replaying it.")
            )

    @entry_point("write")
    def action_resolve(self):
        self._check_open()
        self.write(
            {
                "state": "resolved",
                "resolved_by_id": self.env.user.id,
                "resolved_at": fields.Datetime.now(),
            }
        )
        return True

    @entry_point("write")
    def action_ignore(self):
        self._check_open()
        self.write(
            {
                "state": "ignored",
                "resolved_by_id": self.env.user.id,
                "resolved_at": fields.Datetime.now(),
            }
        )
        return True

    @entry_point("write")
    def action_reopen(self):
        self.write({"state": "new", "resolved_by_id": False, "resolved_at": False})
        return True

    def _resolve_automatically(self, note):
        """Close open exceptions whose cause went away (e.g. a later attempt worked)."""
        open_ones = self.filtered(lambda e: e.state in OPEN_STATES)
        if not open_ones:
            return
        for exception in open_ones:
            exception.sudo().write(
                {
                    "state": "resolved",
                    "resolution_note": note,
                    "resolved_at": fields.Datetime.now(),
                }
            )
            exception.sudo()._message_log(body=note)
