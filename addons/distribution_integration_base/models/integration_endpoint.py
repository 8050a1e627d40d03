import ipaddress
import logging
import re
import time
from datetime import datetime, timezone

import requests

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..kernel import circuit

_logger = logging.getLogger(__name__)

JOB_CHANNEL_PARENT = "root.integration"

# What the dispatcher reads on every attempt (circuit, rate limit, timeouts).
CIRCUIT_FIELDS = (
    "circuit_state",
    "circuit_failure_count",
    "circuit_opened_at",
    "circuit_probe_started_at",
    "circuit_failure_threshold",
    "circuit_cooldown_seconds",
    "connect_timeout",
    "read_timeout",
    "rate_limit_per_minute",
)
# Message states that still wait for work; used by the health figures.
PENDING_STATES = ("queued", "sending", "retrying", "received", "processing")


class IntegrationEndpoint(models.Model):
    """An external system Odoo exchanges messages with (supplier, carrier, 3PL...)."""

    _name = "integration.endpoint"
    _description = "Integration Endpoint"
    _inherit = ["mail.thread", "mail.activity.mixin", "integration.code.mixin"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Short technical name used in URLs and job channels "
        "(lowercase letters, digits, '-' and '_').",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    color = fields.Integer()
    description = fields.Text()
    kind = fields.Selection(
        [
            ("supplier_edi", "Supplier (EDI)"),
            ("carrier", "Carrier"),
            ("warehouse_3pl", "3PL Warehouse"),
            ("marketplace", "Marketplace"),
            ("bank", "Bank"),
            ("other", "Other"),
        ],
        required=True,
        default="other",
        tracking=True,
    )
    environment = fields.Selection(
        [("test", "Test"), ("production", "Production")],
        required=True,
        default="test",
        tracking=True,
        help="Test endpoints show a banner and are marked as test traffic by the "
        "channels (e.g. the EDI test indicator).",
    )
    protocol = fields.Selection(
        [
            ("rest", "REST / HTTP JSON"),
            ("soap", "SOAP"),
            ("edi_http", "EDI over HTTP"),
            ("sftp", "SFTP"),
            ("folder", "Folder exchange"),
            ("as2", "AS2"),
            ("other", "Other"),
        ],
        required=True,
        default="rest",
        tracking=True,
    )
    base_url = fields.Char(string="Base URL", tracking=True)
    health_check_path = fields.Char(
        string="Health check path",
        help="Path appended to the base URL by 'Test connection'. Empty: the base URL.",
    )
    connect_timeout = fields.Float(
        string="Connect timeout (s)",
        default=5.0,
        help="Seconds to wait for a connection to the endpoint.",
    )
    read_timeout = fields.Float(
        string="Read timeout (s)",
        default=30.0,
        help="Seconds to wait for the endpoint's answer.",
    )
    rate_limit_per_minute = fields.Integer(
        string="Outbound rate limit (per minute)",
        default=0,
        help="Maximum outbound attempts per minute; further messages wait. "
        "0: no limit.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        help="Gets the endpoint's exceptions and credential expiry reminders.",
    )
    credential_ids = fields.One2many(
        "integration.credential", "endpoint_id", string="Credentials"
    )
    credential_count = fields.Integer(
        string="Credential count", compute="_compute_credential_count"
    )

    # Inbound gateway
    inbound_auth = fields.Selection(
        [
            ("hmac", "HMAC signature over the raw body"),
            ("api_key", "API key header"),
            ("shared_secret", "Shared secret header"),
        ],
        string="Inbound authentication",
        default="hmac",
        required=True,
        tracking=True,
    )
    inbound_credential_id = fields.Many2one(
        "integration.credential",
        string="Inbound credential",
        domain="[('endpoint_id', '=', id)]",
        tracking=True,
        help="Secret the endpoint uses to sign or authenticate what it sends to Odoo.",
    )
    inbound_secret_header = fields.Char(
        default="X-Api-Key",
        help="Header carrying the API key or shared secret (not used for HMAC).",
    )
    inbound_ip_allowlist = fields.Text(
        string="IP allowlist",
        help="One address or network (CIDR) per line. Empty: any address.",
    )
    inbound_max_payload_kb = fields.Integer(
        string="Max inbound payload (KiB)", default=10240
    )
    inbound_rate_limit_per_minute = fields.Integer(
        string="Inbound rate limit (per minute)",
        default=600,
        help="Requests accepted per minute before the gateway answers 429. "
        "0: no limit.",
    )
    inbound_failure_limit = fields.Integer(
        string="Refusals before 429",
        default=lambda self: self.env["integration.gateway.failure"]._default_limits()[
            0
        ],
        help="Failed authentications from one address within the window before "
        "the gateway answers 429 to that address without checking anything. "
        "0: never throttled.",
    )
    inbound_failure_window = fields.Integer(
        string="Refusal window (s)",
        default=lambda self: self.env["integration.gateway.failure"]._default_limits()[
            1
        ],
    )
    inbound_url = fields.Char(compute="_compute_inbound_url", string="Inbound URL")

    # Job channel: one per endpoint so a slow partner cannot starve the others.
    job_channel = fields.Char(
        string="Job channel", compute="_compute_job_channel", store=True
    )
    job_channel_capacity = fields.Integer(
        string="Job channel capacity",
        default=1,
        help="Jobs of this endpoint that may run at the same time. Applied by the "
        "queue_job runner from its 'channels' option (see Settings).",
    )

    # Circuit breaker, maintained by the dispatcher.
    circuit_state = fields.Selection(
        [
            (circuit.CLOSED, "Closed (flowing)"),
            (circuit.OPEN, "Open (paused)"),
            (circuit.HALF_OPEN, "Half-open (probing)"),
        ],
        default=circuit.CLOSED,
        string="Circuit",
        required=True,
        readonly=True,
        copy=False,
    )
    circuit_failure_count = fields.Integer(
        string="Consecutive failures", readonly=True, copy=False
    )
    circuit_opened_at = fields.Datetime(
        string="Circuit opened", readonly=True, copy=False
    )
    circuit_probe_started_at = fields.Datetime(
        string="Probe started", readonly=True, copy=False
    )
    circuit_failure_threshold = fields.Integer(
        string="Failures to open",
        default=5,
        help="Consecutive transport failures that open the circuit. 0 disables it.",
    )
    circuit_cooldown_seconds = fields.Integer(
        string="Cool-down (s)",
        default=60,
        help="Seconds the circuit stays open before one probe is sent.",
    )

    # Connection check
    last_check_at = fields.Datetime(string="Last test", readonly=True, copy=False)
    last_check_ok = fields.Boolean(
        string="Last test succeeded", readonly=True, copy=False
    )
    last_check_message = fields.Char(
        string="Last test result", readonly=True, copy=False
    )

    # Health (kanban)
    success_rate_24h = fields.Float(
        string="Success rate 24 h (%)", compute="_compute_health", digits=(5, 1)
    )
    message_count_24h = fields.Integer(
        string="Messages 24 h", compute="_compute_health"
    )
    backlog_count = fields.Integer(string="Backlog", compute="_compute_health")
    oldest_pending_minutes = fields.Integer(
        string="Oldest waiting (min)", compute="_compute_health"
    )
    open_exception_count = fields.Integer(
        string="Open exceptions", compute="_compute_health"
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "The endpoint code must be unique."),
        (
            "timeouts_positive",
            "CHECK(connect_timeout > 0 AND read_timeout > 0)",
            "Timeouts must be greater than zero.",
        ),
        (
            "channel_capacity_positive",
            "CHECK(job_channel_capacity >= 1)",
            "The job channel capacity must be at least 1.",
        ),
    ]

    @api.constrains("inbound_ip_allowlist")
    def _check_ip_allowlist(self):
        for endpoint in self:
            for line in endpoint._allowlist_lines():
                try:
                    ipaddress.ip_network(line, strict=False)
                except ValueError as exc:
                    raise ValidationError(
                        _(
                            "IP allowlist of %(endpoint)s: %(line)r is not an "
                            "address or network.",
                            endpoint=endpoint.display_name,
                            line=line,
                        )
                    ) from exc

    @api.constrains("base_url")
    def _check_base_url(self):
        for endpoint in self:
            if endpoint.base_url and not re.match(
                r"^(https?|sftp|ftp|file)://", endpoint.base_url
            ):
                raise ValidationError(
                    _(
                        "Base URL %(url)r must start with http://, https://, sftp:// "
                        "or file://.",
                        url=endpoint.base_url,
                    )
                )

    @api.depends("code")
    def _compute_job_channel(self):
        for endpoint in self:
            endpoint.job_channel = (
                f"{JOB_CHANNEL_PARENT}.{endpoint.code.replace('.', '_')}"
                if endpoint.code
                else JOB_CHANNEL_PARENT
            )

    def _compute_credential_count(self):
        for endpoint in self:
            endpoint.credential_count = len(endpoint.credential_ids)

    @api.depends("code")
    def _compute_inbound_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for endpoint in self:
            endpoint.inbound_url = (
                f"{base}/integration/inbound/{endpoint.code}/<flow code>"
                if endpoint.code
                else False
            )

    def _compute_health(self):
        if not self.ids:
            for endpoint in self:
                endpoint.update(
                    success_rate_24h=0.0,
                    message_count_24h=0,
                    backlog_count=0,
                    oldest_pending_minutes=0,
                    open_exception_count=0,
                )
            return
        self.env["integration.message"].flush_model()
        self.env["integration.exception"].flush_model()
        self.env.cr.execute(
            """
            SELECT endpoint_id,
                   count(*) FILTER (WHERE create_date > now() - interval '24 hours'),
                   count(*) FILTER (WHERE create_date > now() - interval '24 hours'
                                      AND state IN ('sent', 'acknowledged', 'done')),
                   count(*) FILTER (WHERE create_date > now() - interval '24 hours'
                                      AND state IN ('dead', 'rejected')),
                   count(*) FILTER (WHERE state IN %(pending)s),
                   min(create_date) FILTER (WHERE state IN %(pending)s)
              FROM integration_message
             WHERE endpoint_id IN %(ids)s
             GROUP BY endpoint_id
            """,
            {"ids": tuple(self.ids), "pending": PENDING_STATES},
        )
        stats = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        self.env.cr.execute(
            """
            SELECT endpoint_id, count(*)
              FROM integration_exception
             WHERE endpoint_id IN %s AND state IN ('new', 'in_progress')
             GROUP BY endpoint_id
            """,
            [tuple(self.ids)],
        )
        exceptions = dict(self.env.cr.fetchall())
        now = fields.Datetime.now()
        for endpoint in self:
            total, ok, failed, backlog, oldest = stats.get(
                endpoint.id, (0, 0, 0, 0, None)
            )
            finished = ok + failed
            endpoint.message_count_24h = total
            endpoint.success_rate_24h = 100.0 * ok / finished if finished else 100.0
            endpoint.backlog_count = backlog
            endpoint.oldest_pending_minutes = (
                int((now - oldest).total_seconds() // 60) if oldest else 0
            )
            endpoint.open_exception_count = exceptions.get(endpoint.id, 0)

    def _allowlist_lines(self):
        self.ensure_one()
        return [
            line.strip()
            for line in (self.inbound_ip_allowlist or "").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]

    def _ip_allowed(self, address):
        """Whether ``address`` may call the inbound gateway for this endpoint."""
        self.ensure_one()
        networks = self._allowlist_lines()
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)

    def _timeout(self):
        """The (connect, read) timeout tuple every HTTP client of this endpoint uses."""
        self.ensure_one()
        return (self.connect_timeout, self.read_timeout)

    def _active_credential(self, kind=None):
        """The endpoint's usable credential, optionally of a given kind."""
        self.ensure_one()
        credentials = self.credential_ids.filtered(
            lambda c: c.active and (not kind or c.kind == kind)
        )
        return credentials[:1]

    # -- circuit breaker ---------------------------------------------------------

    def _circuit_breaker(self):
        self.ensure_one()
        return circuit.CircuitBreaker(
            failure_threshold=self.circuit_failure_threshold,
            cooldown_seconds=float(self.circuit_cooldown_seconds),
            probe_timeout_seconds=max(
                300.0, 2 * (self.connect_timeout + self.read_timeout)
            ),
        )

    def _circuit_snapshot(self):
        self.ensure_one()

        def stamp(value):
            return value.timestamp() if value else None

        return circuit.CircuitSnapshot(
            state=self.circuit_state,
            consecutive_failures=self.circuit_failure_count,
            opened_at=stamp(self.circuit_opened_at and _as_utc(self.circuit_opened_at)),
            probe_started_at=stamp(
                self.circuit_probe_started_at and _as_utc(self.circuit_probe_started_at)
            ),
        )

    def _circuit_store(self, snapshot):
        """Write a new circuit snapshot, skipping the write when nothing changed
        (avoids row contention between concurrent jobs of a healthy endpoint)."""
        self.ensure_one()
        if snapshot == self._circuit_snapshot():
            return
        previous_state = self.circuit_state
        self.sudo().write(
            {
                "circuit_state": snapshot.state,
                "circuit_failure_count": snapshot.consecutive_failures,
                "circuit_opened_at": _from_timestamp(snapshot.opened_at),
                "circuit_probe_started_at": _from_timestamp(snapshot.probe_started_at),
            }
        )
        if previous_state != snapshot.state:
            _logger.info(
                "Circuit of endpoint %s: %s -> %s",
                self.code,
                previous_state,
                snapshot.state,
            )
            self.sudo()._message_log(
                body=_(
                    "Circuit breaker %(old)s → %(new)s.",
                    old=previous_state,
                    new=snapshot.state,
                )
            )

    def _circuit_decide(self):
        """Decide whether an outbound attempt may go out now.

        Returns a :class:`kernel.circuit.Decision`; a ``probe`` decision has
        already been recorded (the circuit is half-open with this probe running).
        """
        self.ensure_one()
        self.fetch(CIRCUIT_FIELDS)
        breaker = self._circuit_breaker()
        now = time.time()
        decision = breaker.decide(self._circuit_snapshot(), now)
        if decision.action == "probe":
            self._circuit_store(breaker.start_probe(self._circuit_snapshot(), now))
        return decision

    def _circuit_record(self, success):
        self.ensure_one()
        breaker = self._circuit_breaker()
        snapshot = self._circuit_snapshot()
        now = time.time()
        self._circuit_store(
            breaker.after_success(snapshot, now)
            if success
            else breaker.after_failure(snapshot, now)
        )

    def action_reset_circuit(self):
        for endpoint in self:
            endpoint._circuit_store(circuit.CircuitSnapshot())
        return True

    # -- actions -----------------------------------------------------------------

    def action_test_connection(self):
        """Reach the endpoint once and report the result on screen and on the record."""
        self.ensure_one()
        ok, message = self._test_connection()
        self.write(
            {
                "last_check_at": fields.Datetime.now(),
                "last_check_ok": ok,
                "last_check_message": message[:250],
            }
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Connection OK") if ok else _("Connection failed"),
                "message": message,
                "type": "success" if ok else "danger",
                "sticky": not ok,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _test_connection(self):
        """Return ``(ok, message)``. Channels override this per protocol."""
        self.ensure_one()
        if not self.base_url:
            return False, _("Set a base URL on %s first.", self.display_name)
        if not self.base_url.startswith(("http://", "https://")):
            return False, _(
                "Protocol %(protocol)s has no built-in connection test; the channel "
                "module for it provides one.",
                protocol=self.protocol,
            )
        url = (
            self.base_url.rstrip("/") + "/" + (self.health_check_path or "").lstrip("/")
        )
        started = time.monotonic()
        try:
            response = requests.get(url, timeout=self._timeout(), allow_redirects=False)
        except requests.Timeout:
            return False, _(
                "%(url)s did not answer within %(seconds)s s.",
                url=url,
                seconds=self.connect_timeout + self.read_timeout,
            )
        except requests.exceptions.SSLError as exc:
            return False, _(
                "%(url)s: TLS error (%(reason)s).",
                url=url,
                reason=str(exc.args[0])[-120:] if exc.args else "",
            )
        except requests.ConnectionError:
            return False, _(
                "%(url)s could not be reached: connection refused or host unreachable.",
                url=url,
            )
        except requests.RequestException as exc:
            return False, _(
                "%(url)s could not be reached: %(error)s",
                url=url,
                error=type(exc).__name__,
            )
        elapsed_ms = (time.monotonic() - started) * 1000
        ok = response.status_code < 500
        return ok, _(
            "%(url)s answered HTTP %(status)s in %(ms).0f ms.",
            url=url,
            status=response.status_code,
            ms=elapsed_ms,
        )

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_message_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_exception_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        return action

    def action_view_credentials(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_credential_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    # -- queue_job channels --------------------------------------------------------

    @api.model
    def _job_channels_option(self):
        """The ``channels`` option value for the queue_job runner that gives every
        active endpoint its own capacity under ``root.integration``."""
        endpoints = self.sudo().with_context(active_test=True).search([])
        root_capacity = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("distribution_integration_base.root_channel_capacity", 4)
        )
        parts = [f"root:{root_capacity}", f"{JOB_CHANNEL_PARENT}:{root_capacity}"]
        parts += [
            f"{endpoint.job_channel}:{endpoint.job_channel_capacity}"
            for endpoint in endpoints.sorted("code")
        ]
        return ",".join(parts)

    def _ensure_job_channel(self):
        """Create the queue.job.channel records so jobs and the Jobs menu show them."""
        channel_model = self.env["queue.job.channel"].sudo()
        parent = self.env.ref(
            "distribution_integration_base.queue_job_channel_integration"
        )
        existing = set(
            channel_model.search([("parent_id", "=", parent.id)]).mapped(
                "complete_name"
            )
        )
        for endpoint in self:
            if endpoint.job_channel not in existing:
                channel_model.create(
                    {
                        "name": endpoint.job_channel.rsplit(".", 1)[1],
                        "parent_id": parent.id,
                    }
                )
                existing.add(endpoint.job_channel)

    @api.model_create_multi
    def create(self, vals_list):
        endpoints = super().create(vals_list)
        endpoints._ensure_job_channel()
        return endpoints

    def write(self, vals):
        result = super().write(vals)
        if "code" in vals:
            self._ensure_job_channel()
        return result


def _as_utc(value):
    """Odoo datetimes are naive UTC; make them aware for ``timestamp()``."""
    return value.replace(tzinfo=timezone.utc)


def _from_timestamp(value):
    if value is None:
        return False
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None)
