"""A reply is expected by a deadline: one mechanism for every channel.

A channel that sends something and waits for an answer (an acknowledgement of
an interchange, an invoice for goods received, a carrier scan after a booking,
a warehouse confirmation after an order) records an expectation with
:meth:`IntegrationExpectation._expect` and closes it with
:meth:`IntegrationExpectation._fulfil` when the answer arrives. One scheduled
action raises exactly one exception per expectation that runs past its
deadline, into the exception queue like any other problem.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..kernel import errors
from .entry_point import entry_point

_logger = logging.getLogger(__name__)
WAITING_STATES = ("open", "late")


class IntegrationExpectation(models.Model):
    _name = "integration.expectation"
    _inherit = ["integration.document.link.mixin"]
    _description = "Integration Expectation (a reply expected by)"
    _order = "state_sequence, due_at, id desc"
    _rec_name = "description"

    description = fields.Char(
        required=True,
        readonly=True,
        help="What is expected, in words; the late exception's title.",
    )
    kind = fields.Selection(
        [("acknowledgement", "Acknowledgement")],
        required=True,
        readonly=True,
        index=True,
        help="What closes the expectation (channels add their kinds).",
    )
    category = fields.Selection(
        list(errors.CATEGORIES),
        required=True,
        readonly=True,
        default="sla",
        help="The category of the exception raised when it is late.",
    )
    severity = fields.Selection(
        [
            ("low", "Low"),
            ("medium", "Medium"),
            ("high", "High"),
            ("critical", "Critical"),
        ],
        required=True,
        readonly=True,
        default="high",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("late", "Late"),
            ("met", "Met"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        readonly=True,
        default="open",
        index=True,
        help="Open: waiting, in time. Late: waiting past the deadline (an "
        "exception was raised). Met: the reply arrived. Cancelled: no longer "
        "expected.",
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    message_id = fields.Many2one(
        "integration.message",
        string="Waiting message",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The message the reply answers (e.g. the order sent).",
    )
    endpoint_id = fields.Many2one(
        "integration.endpoint", readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    due_at = fields.Datetime(string="Expected by", required=True, readonly=True)
    late_at = fields.Datetime(
        string="Found late", readonly=True, help="When the exception was raised."
    )
    closed_at = fields.Datetime(string="Closed", readonly=True)
    closed_by_message_id = fields.Many2one(
        "integration.message",
        string="Closed by message",
        readonly=True,
        ondelete="set null",
    )
    exception_id = fields.Many2one(
        "integration.exception",
        string="Late exception",
        readonly=True,
        ondelete="set null",
    )

    def init(self):
        # The monitor reads only waiting expectations by deadline.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS integration_expectation_waiting_idx
               ON integration_expectation (due_at) WHERE state = 'open'"""
        )

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"late": 0, "open": 1, "met": 2, "cancelled": 3}
        for expectation in self:
            expectation.state_sequence = order.get(expectation.state, 9)

    # -- the API channels call ---------------------------------------------------

    @api.model
    def _waiting_domain(self, record, kind):
        return [
            ("res_model", "=", record._name),
            ("res_id", "=", record.id),
            ("kind", "=", kind),
            ("state", "in", WAITING_STATES),
        ]

    @api.model
    def _expect(
        self,
        record,
        kind,
        due_at,
        message=None,
        description=None,
        category="sla",
        severity="high",
        endpoint=None,
    ):
        """Expect a reply of ``kind`` about ``record`` by ``due_at``.

        ``message`` is what the reply answers (its endpoint and company route
        the late exception); ``description`` is the exception's title. An
        expectation of the same kind still waiting on ``record`` is kept (its
        earlier deadline stands) and returned.
        """
        record.ensure_one()
        expectations = self.sudo()
        waiting = expectations.search(self._waiting_domain(record, kind), limit=1)
        if waiting:
            return waiting
        endpoint = endpoint or (message.endpoint_id if message else None)
        company = (
            (message.company_id if message else None)
            or (endpoint.company_id if endpoint else None)
            or ("company_id" in record._fields and record.sudo().company_id)
            or self.env.company
        )
        return expectations.create(
            {
                "description": description
                or _(
                    "%(kind)s expected for %(record)s",
                    kind=dict(self._fields["kind"]._description_selection(self.env))[
                        kind
                    ],
                    record=record.sudo().display_name,
                ),
                "kind": kind,
                "category": category,
                "severity": severity,
                "res_model": record._name,
                "res_id": record.id,
                "message_id": message.id if message else False,
                "endpoint_id": endpoint.id if endpoint else False,
                "company_id": company.id,
                "due_at": due_at,
            }
        )

    @api.model
    def _fulfil(self, record, kind, message=None, note=None):
        """The reply of ``kind`` about ``record`` arrived (``message`` brought
        it): close what waited for it and the exception it raised if late."""
        waiting = self.sudo().search(self._waiting_domain(record, kind))
        waiting._close(
            "met",
            message,
            note or _("%(what)s: the reply arrived.", what=record.sudo().display_name),
        )
        return waiting

    @api.model
    def _withdraw(self, record, kind, note=None):
        """The reply of ``kind`` about ``record`` is no longer expected."""
        waiting = self.sudo().search(self._waiting_domain(record, kind))
        waiting._close(
            "cancelled",
            None,
            note
            or _(
                "%(what)s: the reply is no longer expected.",
                what=record.sudo().display_name,
            ),
        )
        return waiting

    def _close(self, state, message, note):
        if not self:
            return
        self.write(
            {
                "state": state,
                "closed_at": fields.Datetime.now(),
                "closed_by_message_id": message.id if message else False,
            }
        )
        self.exception_id._resolve_automatically(note)

    # -- the monitor ---------------------------------------------------------------

    @api.model
    def _cron_raise_late(self, now=None, limit=1000):
        """Raise one exception per waiting expectation past its deadline.

        Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leave the ``open``
        state in the same transaction: two overlapping runs never raise twice.
        """
        now = now or fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM integration_expectation
               WHERE state = 'open' AND due_at < %s
               ORDER BY due_at, id LIMIT %s
               FOR UPDATE SKIP LOCKED""",
            [now, limit],
        )
        late = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        raised = self.browse()
        for expectation in late:
            # One faulty record (its hook, say) must not hold the others back.
            try:
                with self.env.cr.savepoint():
                    if expectation._raise_late(now):
                        raised |= expectation
            except Exception:
                _logger.exception(
                    "Could not raise the late expectation %s", expectation.id
                )
        return raised

    def _raise_late(self, now):
        """Raise this expectation's exception; the business record may say the
        reply is not missing after all (``_integration_expectation_late``)."""
        self.ensure_one()
        record = self._document()
        vals = {"title": self.description, "details": None}
        if record and hasattr(record, "_integration_expectation_late"):
            answer = record.sudo()._integration_expectation_late(self)
            if answer is False:
                self._close("met", None, _("%s: nothing is missing.", self.description))
                return False
            vals.update(answer or {})
        exception = self._open_exception(record, vals["title"], vals["details"])
        self.write({"state": "late", "late_at": now, "exception_id": exception.id})
        return True

    def _open_exception(self, record, title, details):
        # Routed as every exception: through the message when there is one (its
        # flow's SLA, the record owner's or the endpoint responsible's queue).
        message = self.message_id
        if message:
            return message._raise_exception(
                self.category,
                title,
                details=details,
                severity=self.severity,
                problem_key=f"expectation-{self.id}",
                record=record or None,
            )
        return (
            self.env["integration.exception"]
            .sudo()
            .create(
                {
                    "name": title[:250],
                    "endpoint_id": self.endpoint_id.id,
                    "company_id": self.company_id.id,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                    "category": self.category,
                    "severity": self.severity,
                    "details": details or title,
                    "problem_key": f"expectation-{self.id}",
                }
            )
        )

    # -- user actions ---------------------------------------------------------------

    @entry_point("write")
    def action_cancel(self):
        """Stop waiting (the reply came another way, or is no longer needed)."""
        closed = self.filtered(lambda e: e.state not in WAITING_STATES)
        if closed:
            raise UserError(
                _(
                    "These expectations are already closed: %s",
                    ", ".join(closed.mapped("display_name")),
                )
            )
        self.sudo()._close(
            "cancelled",
            None,
            _("No longer expected (cancelled by %s).", self.env.user.name),
        )
        return True
