from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..kernel import inbound
from ..kernel.retry import RetryPolicy
from .entry_point import entry_point
from .integration_handler import HANDLER_BASES
from .integration_ownership import DATA_DOMAINS

# What the dispatcher reads on every attempt (loaded alone: see _retry_policy).
BATCH_INTERVALS = {
    "minutes": lambda n: relativedelta(minutes=n),
    "hours": lambda n: relativedelta(hours=n),
    "days": lambda n: relativedelta(days=n),
}


class IntegrationFlow(models.Model):
    """A catalog entry: which business event moves what, how, and under which rules."""

    _name = "integration.flow"
    _description = "Integration Flow"
    _inherit = ["mail.thread", "integration.code.mixin"]
    _order = "sequence, name"
    # Read on every message: kept in a per-worker cache (_dispatch_profile)
    # that writing them clears.
    _dispatch_cached_fields = frozenset(
        {
            "active",
            "direction",
            "mode",
            "endpoint_ids",
            "handler",
            "inbound_content_types",
            "sla_minutes",
            "retry_max_attempts",
            "retry_initial_delay",
            "retry_max_delay",
            "retry_multiplier",
            "ack_expected",
            "ack_timeout_minutes",
        }
    )

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Technical name channels use to dispatch on this flow.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    description = fields.Text()
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty for a flow shared by every company.",
    )
    direction = fields.Selection(
        [
            ("outbound", "Outbound (Odoo → partner)"),
            ("inbound", "Inbound (partner → Odoo)"),
        ],
        required=True,
        default="outbound",
        tracking=True,
    )
    trigger = fields.Selection(
        [
            ("event", "Business event"),
            ("schedule", "Schedule"),
            ("manual", "Manual"),
            ("inbound", "Inbound request"),
        ],
        required=True,
        default="event",
        tracking=True,
    )
    mode = fields.Selection(
        [("realtime", "Real time"), ("batch", "Batch")],
        required=True,
        default="realtime",
        tracking=True,
        help="Real time: each message is queued at once. Batch: messages wait for "
        "the flow's schedule, which also runs the handler's collect step.",
    )
    batch_interval_number = fields.Integer(
        string="Batch every", default=15, tracking=True
    )
    batch_interval_type = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")],
        default="minutes",
        tracking=True,
        string="Batch interval unit",
    )
    batch_next_run_at = fields.Datetime(
        string="Next batch run", default=fields.Datetime.now, copy=False
    )
    batch_last_run_at = fields.Datetime(
        string="Last batch run", readonly=True, copy=False
    )
    endpoint_ids = fields.Many2many(
        "integration.endpoint",
        string="Endpoints",
        help="Endpoints this flow runs with; the batch schedule collects from each.",
    )
    handler = fields.Selection(
        selection="_selection_handler",
        tracking=True,
        help="Code that sends or applies this flow's messages (added by channels).",
    )
    http_path = fields.Char(
        string="HTTP path",
        help="Path appended to the endpoint's base URL by HTTP handlers.",
    )
    sla_minutes = fields.Integer(
        string="SLA (minutes)",
        default=lambda self: self._default_setting("default_sla_minutes", 60),
        tracking=True,
        help="Maximum time from a message's creation to its processing. 0: none.",
    )
    ack_expected = fields.Boolean(
        string="Acknowledgement expected",
        tracking=True,
        help="Outbound messages wait for the partner's acknowledgement.",
    )
    ack_timeout_minutes = fields.Integer(
        string="Acknowledgement within (minutes)", default=60, tracking=True
    )
    retry_max_attempts = fields.Integer(
        string="Max attempts",
        default=lambda self: self._default_setting("default_retry_max_attempts", 5),
        tracking=True,
    )
    retry_initial_delay = fields.Integer(
        string="First retry after (s)", default=30, tracking=True
    )
    retry_max_delay = fields.Integer(string="Longest retry delay (s)", default=3600)
    retry_multiplier = fields.Float(string="Backoff multiplier", default=2.0)
    payload_retention_days = fields.Integer(
        string="Keep payloads (days)",
        default=lambda self: self._default_setting(
            "default_payload_retention_days", 30
        ),
        help="Days payloads of finished messages are kept.",
    )
    metadata_retention_days = fields.Integer(
        string="Keep messages (days)",
        default=lambda self: self._default_setting(
            "default_metadata_retention_days", 365
        ),
        help="Days finished messages themselves are kept.",
    )
    data_domain = fields.Selection(
        DATA_DOMAINS,
        string="Master-data domain",
        tracking=True,
        help="Inbound messages of this flow change this domain; they are applied "
        "only when they come from the domain's system of record.",
    )
    inbound_content_types = fields.Char(
        string="Accepted content types",
        compute="_compute_inbound_content_types",
        store=True,
        readonly=False,
        tracking=True,
        help="Media types the inbound gateway accepts for this flow, separated by "
        "commas (e.g. 'application/json', 'application/edi-x12, text/plain'; "
        "'text/*' and '*/*' are wildcards). Anything else is answered 415. "
        "Defaults to what the handler reads.",
    )
    message_count = fields.Integer(
        string="Logged messages", compute="_compute_message_count"
    )
    handler_missing = fields.Boolean(
        string="Handler missing", compute="_compute_handler_missing"
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "The flow code must be unique."),
        (
            "retry_positive",
            "CHECK(retry_max_attempts >= 1 AND retry_initial_delay >= 0 "
            "AND retry_max_delay >= 0 AND retry_multiplier >= 1)",
            "Retry policy: at least one attempt, non-negative delays, "
            "multiplier of 1 or more.",
        ),
        (
            "retention_order",
            "CHECK(payload_retention_days >= 0 "
            "AND metadata_retention_days >= payload_retention_days)",
            "Metadata must be kept at least as long as payloads.",
        ),
    ]

    @api.model
    @tools.ormcache("flow_id", "version")
    def _dispatch_profile(self, flow_id, version=None):
        """What the gateway and the dispatch API need of a flow, as plain values
        cached per worker (``None`` when no flow has this id); see
        ``integration.endpoint._dispatch_profile`` for ``version``."""
        flow = self.sudo().with_context(active_test=False).browse(flow_id).exists()
        if not flow:
            return None
        return tools.frozendict(
            id=flow.id,
            code=flow.code,
            active=flow.active,
            direction=flow.direction,
            mode=flow.mode,
            endpoint_ids=frozenset(flow.endpoint_ids.ids),
            inbound_content_types=flow.inbound_content_types,
            sla_minutes=flow.sla_minutes,
            handler=flow.handler,
            retry_max_attempts=flow.retry_max_attempts,
            retry_initial_delay=flow.retry_initial_delay,
            retry_max_delay=flow.retry_max_delay,
            retry_multiplier=flow.retry_multiplier,
            ack_expected=flow.ack_expected,
            ack_timeout_minutes=flow.ack_timeout_minutes,
        )

    @api.model
    def _default_setting(self, name, fallback):
        """Default from Settings › Integration (an ir.config_parameter)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"distribution_integration_base.{name}")
        )
        try:
            return int(value) if value else fallback
        except ValueError:
            return fallback

    @api.model
    def _selection_handler(self):
        names = self.env.registry.descendants(["integration.handler"], "_inherit")
        return sorted(
            (name, self.env[name]._description)
            for name in names
            if name not in HANDLER_BASES
        )

    @api.constrains("handler", "direction")
    def _check_handler_direction(self):
        for flow in self:
            handler = self.env.get(flow.handler) if flow.handler else None
            direction = handler._handler_direction if handler is not None else None
            if direction and direction != flow.direction:
                labels = dict(
                    self._fields["direction"]._description_selection(self.env)
                )
                raise ValidationError(
                    _(
                        "Flow %(flow)s is %(direction)s, but its handler "
                        "%(handler)s serves %(handler_direction)s flows. Choose "
                        "a handler of the flow's direction, or change the "
                        "direction.",
                        flow=flow.display_name,
                        direction=labels[flow.direction],
                        handler=handler._description,
                        handler_direction=labels[direction],
                    )
                )

    @api.constrains("mode", "batch_interval_number", "batch_interval_type")
    def _check_batch_interval(self):
        for flow in self:
            if flow.mode == "batch" and (
                flow.batch_interval_number < 1 or not flow.batch_interval_type
            ):
                raise ValidationError(
                    _("Batch flow %s needs an interval of at least 1.", flow.name)
                )

    @api.depends("handler")
    def _compute_inbound_content_types(self):
        for flow in self:
            handler = self.env.get(flow.handler) if flow.handler else None
            flow.inbound_content_types = (
                handler._inbound_content_types
                if handler is not None
                else inbound.DEFAULT_JSON_TYPES
            )

    def _compute_message_count(self):
        counts = (
            dict(
                self.env["integration.message"]._read_group(
                    [("flow_id", "in", self.ids)], ["flow_id"], ["__count"]
                )
            )
            if self.ids
            else {}
        )
        for flow in self:
            flow.message_count = counts.get(flow, 0)

    def _compute_handler_missing(self):
        for flow in self:
            flow.handler_missing = not flow.handler or flow.handler not in self.env

    def _retry_policy(self):
        self.ensure_one()
        # Every attempt reads it: from the per-worker cache, not the database.
        profile = self._dispatch_profile(self.id)
        return RetryPolicy(
            max_attempts=profile["retry_max_attempts"],
            initial_delay=float(profile["retry_initial_delay"]),
            max_delay=float(profile["retry_max_delay"]),
            multiplier=profile["retry_multiplier"],
        )

    def _get_handler(self):
        """The handler model of this flow; a clear error when none is installed."""
        self.ensure_one()
        handler = self._dispatch_profile(self.id)["handler"]
        if not handler or handler not in self.env:
            raise UserError(
                _(
                    "Flow %(flow)s has no usable handler (%(handler)s). Choose one in "
                    "Integration › Configuration › Flows, or install the channel "
                    "module that provides it.",
                    flow=self.code,
                    handler=handler or _("none"),
                )
            )
        return self.env[handler]

    def _next_batch_run(self, after):
        self.ensure_one()
        return after + BATCH_INTERVALS[self.batch_interval_type](
            self.batch_interval_number
        )

    @entry_point("read")
    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_message_action"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        return action

    @entry_point("write")
    def action_run_batch_now(self):
        """Run the batch step of these flows now instead of waiting for the schedule.

        Only the endpoints the caller may change are reached: a flow shared by
        every company runs here for the caller's companies alone.
        """
        endpoints = self.endpoint_ids._filtered_access("write")
        self.env["integration.dispatch"]._run_batch_flows(self, endpoints=endpoints)
        return True
