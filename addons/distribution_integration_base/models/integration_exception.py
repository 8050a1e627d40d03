from datetime import timedelta

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..kernel import errors
from .entry_point import entry_point

OPEN_STATES = ("new", "in_progress")
# A message in these states needs no retry: its exception is about the business.
SUCCEEDED_MESSAGE_STATES = ("sent", "acknowledged", "done", "cancelled")

# What to do, per category (the readme's table; channels add specifics in titles).
GUIDANCE = {
    "validation": _lt(
        "The partner or our checks refused the content. Correct the business "
        "document (or, as a manager, edit the payload) and Retry or Replay."
    ),
    "mapping": _lt(
        "A code could not be translated (product, unit, service, partner). Add the "
        "missing mapping or cross-reference, then Retry."
    ),
    "transport": _lt(
        "The partner could not be reached. Nothing to do while retries run; the "
        "exception closes by itself on success. If it stays: check the endpoint's "
        "address and Test connection, or ask the partner."
    ),
    "timeout": _lt(
        "The partner did not answer in time. Retries run with back-off; if it "
        "persists, raise the endpoint's read timeout or ask the partner."
    ),
    "authentication": _lt(
        "The partner refused our credential (or we refused theirs). Fix or rotate "
        "the endpoint's credential, then Retry."
    ),
    "business_rule": _lt(
        "The data is readable but breaks a business rule (quantity, price, state). "
        "Decide on the business document, then Resolve with a note."
    ),
    "duplicate": _lt(
        "The same document arrived twice. Check that the first one was applied, "
        "then Resolve or Ignore."
    ),
    "ownership": _lt(
        "A system that does not own this data tried to change it. Update it in the "
        "owning system, or change the System of Record if that is intended."
    ),
    "sla": _lt(
        "The message or the partner is late against the flow's SLA. Look at the "
        "message's state and ask the partner if it waits on them."
    ),
    "acknowledgement": _lt(
        "The partner did not acknowledge within its window. Ask the partner whether "
        "the document arrived; Retry sends it again under the same key."
    ),
}


class IntegrationException(models.Model):
    """Something a person must look at: a failed, refused, late or unacknowledged
    message, worked from the exception queue."""

    _name = "integration.exception"
    _description = "Integration Exception"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "integration.document.link.mixin",
    ]
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
        compute="_compute_company_id",
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
        compute="_compute_user_id",
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
    document_name = fields.Char(string="Business document")
    resolution_note = fields.Text(string="Resolution", tracking=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True, string="Resolved by")
    resolved_at = fields.Datetime(string="Resolved on", readonly=True)
    can_edit_payload = fields.Boolean(compute="_compute_can_edit_payload")
    can_rerun = fields.Boolean(
        compute="_compute_can_rerun",
        help="Retry and replay make sense: the message did not succeed.",
    )
    overdue = fields.Boolean(compute="_compute_overdue")
    guidance = fields.Text(string="What to do", compute="_compute_guidance")

    @api.depends("message_id")
    def _compute_from_message(self):
        for exception in self:
            message = exception.message_id
            if message:
                exception.flow_id = message.flow_id
                exception.endpoint_id = message.endpoint_id

    # Company and assignee have their own computes: in a shared compute, a flow or
    # endpoint given at creation (batch problems have no message) left them empty.
    @api.depends("message_id.company_id", "endpoint_id.company_id")
    def _compute_company_id(self):
        for exception in self:
            exception.company_id = (
                exception.message_id.company_id
                or exception.endpoint_id.company_id
                or exception.company_id
                or self.env.company
            )

    @api.depends("endpoint_id")
    def _compute_user_id(self):
        for exception in self:
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

    def _compute_can_rerun(self):
        for exception in self:
            exception.can_rerun = bool(
                exception.message_id
                and exception.message_id.state not in SUCCEEDED_MESSAGE_STATES
            )

    @api.depends("deadline", "state")
    def _compute_overdue(self):
        now = fields.Datetime.now()
        for exception in self:
            exception.overdue = bool(
                exception.state in OPEN_STATES
                and exception.deadline
                and exception.deadline < now
            )

    @api.depends("category", "closes_on_success")
    def _compute_guidance(self):
        for exception in self:
            guidance = GUIDANCE.get(exception.category)
            exception.guidance = str(guidance) if guidance else False

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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Retry queued"),
                "message": _(
                    "%(count)s message(s) will be tried again: %(refs)s. The exception "
                    "closes by itself when the attempt succeeds.",
                    count=len(messages),
                    refs=", ".join(messages.mapped("name")),
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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
        """Close as resolved with a resolution note: asked for when none is written."""
        self._check_open()
        note = self.env.context.get("resolution_note")
        if not note and not all(self.mapped("resolution_note")):
            return {
                "type": "ir.actions.act_window",
                "name": _("Resolve"),
                "res_model": "integration.exception.resolve",
                "view_mode": "form",
                "target": "new",
                "context": {"default_exception_ids": [(6, 0, self.ids)]},
            }
        vals = {
            "state": "resolved",
            "resolved_by_id": self.env.user.id,
            "resolved_at": fields.Datetime.now(),
        }
        if note:
            vals["resolution_note"] = note
        self.write(vals)
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
