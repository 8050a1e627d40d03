import ipaddress
import logging
import re
import time
from datetime import datetime, timedelta, timezone

import requests

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..kernel import circuit, crypto, errors
from .entry_point import entry_point

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
# Message states the health figures group: waiting for work, succeeded, failing.
PENDING_STATES = ("queued", "sending", "retrying", "received", "processing")
SUCCEEDED_STATES = ("sent", "acknowledged", "done")
FAILING_STATES = ("retrying", "dead", "rejected")


class IntegrationEndpoint(models.Model):
    """An external system Odoo exchanges messages with (supplier, carrier, 3PL...)."""

    _name = "integration.endpoint"
    _description = "Integration Endpoint"
    _inherit = ["mail.thread", "mail.activity.mixin", "integration.code.mixin"]
    _order = "sequence, name"
    # Read by the inbound gateway and the dispatch API on every message: kept in
    # a per-worker cache (_dispatch_profile) that writing them clears.
    _dispatch_cached_fields = frozenset(
        {
            "active",
            "company_id",
            "inbound_auth",
            "inbound_credential_id",
            "inbound_secret_header",
            "inbound_ip_allowlist",
            "inbound_max_payload_kb",
            "inbound_rate_limit_per_minute",
            "inbound_failure_limit",
            "inbound_failure_window",
            "circuit_failure_threshold",
            "rate_limit_per_minute",
        }
    )

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

    # Health (dashboard). Every figure counts the records of one domain
    # (_health_figures); its link opens exactly that domain.
    message_count_24h = fields.Integer(
        string="Messages 24 h", compute="_compute_health"
    )
    succeeded_count_24h = fields.Integer(
        string="Succeeded 24 h", compute="_compute_health"
    )
    failing_count_24h = fields.Integer(
        string="Failing 24 h",
        compute="_compute_health",
        help="Messages of the last 24 hours that are retrying, dead or rejected.",
    )
    success_rate_24h = fields.Float(
        string="Success rate 24 h (%)",
        compute="_compute_health",
        digits=(5, 1),
        help="Succeeded among the finished or failing messages of the last 24 hours "
        "(retrying ones count as failing). Empty without traffic.",
    )
    success_rate_display = fields.Char(
        string="Success rate 24 h", compute="_compute_health"
    )
    has_traffic_24h = fields.Boolean(compute="_compute_health")
    backlog_count = fields.Integer(string="Backlog", compute="_compute_health")
    retrying_count = fields.Integer(string="Retrying", compute="_compute_health")
    dead_count_24h = fields.Integer(
        string="Dead or rejected 24 h", compute="_compute_health"
    )
    sla_breached_count = fields.Integer(
        string="SLA breached",
        compute="_compute_health",
        help="Messages still pending past their SLA deadline.",
    )
    ack_overdue_count = fields.Integer(
        string="Acknowledgement overdue",
        compute="_compute_health",
        help="Sent messages whose acknowledgement window has passed.",
    )
    oldest_pending_minutes = fields.Integer(
        string="Oldest waiting (min)",
        compute="_compute_health",
        help="Minutes since the longest-waiting pending message was last queued.",
    )
    open_exception_count = fields.Integer(
        string="Open exceptions", compute="_compute_health"
    )
    missing_secret_count = fields.Integer(
        string="Credentials without secret", compute="_compute_health"
    )
    readiness_warning = fields.Text(
        compute="_compute_readiness_warning",
        help="What keeps this endpoint from exchanging messages securely.",
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

    @api.depends("credential_ids")
    def _compute_readiness_warning(self):
        try:
            crypto.load_master_key(tools.config.get(crypto.MASTER_KEY_OPTION))
            key_problem = False
        except crypto.MasterKeyError as exc:
            key_problem = str(exc)
        for endpoint in self:
            problems = [key_problem] if key_problem else []
            credentials = endpoint.credential_ids.filtered("active")
            empty = credentials.filtered(lambda c: not c.has_secret)
            if empty:
                problems.append(
                    _(
                        "No secret stored in: %s.",
                        ", ".join(empty.mapped("display_name")),
                    )
                )
            endpoint.readiness_warning = "\n".join(problems) or False

    @api.model
    def _health_figures(self):
        """Each dashboard figure: the model and domain of what it counts (besides
        the endpoint)."""
        since = fields.Datetime.now() - timedelta(hours=24)
        recent = [("create_date", ">", since)]
        return {
            "message_count_24h": ("integration.message", recent),
            "succeeded_count_24h": (
                "integration.message",
                recent + [("state", "in", SUCCEEDED_STATES)],
            ),
            "failing_count_24h": (
                "integration.message",
                recent + [("state", "in", FAILING_STATES)],
            ),
            "backlog_count": ("integration.message", [("state", "in", PENDING_STATES)]),
            "retrying_count": ("integration.message", [("state", "=", "retrying")]),
            "dead_count_24h": (
                "integration.message",
                recent + [("state", "in", ("dead", "rejected"))],
            ),
            "sla_breached_count": (
                "integration.message",
                [("sla_breached", "=", True), ("state", "in", PENDING_STATES)],
            ),
            "ack_overdue_count": (
                "integration.message",
                [
                    ("state", "=", "sent"),
                    (
                        "expectation_ids",
                        "any",
                        [("kind", "=", "acknowledgement"), ("state", "=", "late")],
                    ),
                ],
            ),
            "open_exception_count": (
                "integration.exception",
                [("state", "in", ("new", "in_progress"))],
            ),
            "missing_secret_count": (
                "integration.credential",
                [("active", "=", True), ("has_secret", "=", False)],
            ),
        }

    def _compute_health(self):
        counts = {name: {} for name in self._health_figures()}
        oldest = {}
        if self.ids:
            for name, (model, domain) in self._health_figures().items():
                groups = (
                    self.env[model]
                    .sudo()
                    ._read_group(
                        [("endpoint_id", "in", self.ids)] + domain,
                        ["endpoint_id"],
                        ["__count"],
                    )
                )
                counts[name] = {endpoint.id: count for endpoint, count in groups}
            # Waiting starts when a message was last queued (its next attempt's
            # due time), not when it was created: a retry queued a minute ago has
            # waited a minute.
            messages = self.env["integration.message"].sudo()
            for endpoint, due, created in messages._read_group(
                [("endpoint_id", "in", self.ids), ("state", "in", PENDING_STATES)],
                ["endpoint_id"],
                ["next_attempt_at:min", "create_date:min"],
            ):
                oldest[endpoint.id] = due or created
        now = fields.Datetime.now()
        for endpoint in self:
            figures = {name: counts[name].get(endpoint.id, 0) for name in counts}
            endpoint.update(figures)
            finished = figures["succeeded_count_24h"] + figures["failing_count_24h"]
            endpoint.has_traffic_24h = bool(finished)
            endpoint.success_rate_24h = (
                100.0 * figures["succeeded_count_24h"] / finished if finished else 0.0
            )
            endpoint.success_rate_display = (
                f"{endpoint.success_rate_24h:.1f} %" if finished else "—"
            )
            since = oldest.get(endpoint.id)
            endpoint.oldest_pending_minutes = (
                max(0, int((now - since).total_seconds() // 60)) if since else 0
            )

    @entry_point("read")
    def action_open_health_figure(self):
        """Open the records one dashboard figure counts (``figure`` in context)."""
        self.ensure_one()
        figure = self.env.context.get("figure")
        figures = self._health_figures()
        if figure not in figures:
            raise UserError(_("Unknown dashboard figure %r.", figure))
        model, domain = figures[figure]
        action_xmlid = {
            "integration.message": "integration_message_action",
            "integration.exception": "integration_exception_action",
            "integration.credential": "integration_credential_action",
        }[model]
        action = self.env["ir.actions.act_window"]._for_xml_id(
            f"distribution_integration_base.{action_xmlid}"
        )
        action["domain"] = [("endpoint_id", "=", self.id)] + domain
        action["context"] = {"default_endpoint_id": self.id}
        # A count opens as a list: one row per record counted.
        action["views"] = sorted(action["views"], key=lambda view: view[1] != "list")
        action["display_name"] = _(
            "%(endpoint)s: %(figure)s",
            endpoint=self.display_name,
            figure=self._fields[figure].string,
        )
        return action

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
        return ip_allowed(self._allowlist_lines(), address)

    @api.model
    @tools.ormcache("endpoint_id", "version")
    def _dispatch_profile(self, endpoint_id, version=None):
        """What the gateway and the dispatch API need of an endpoint, as plain
        values cached per worker (``None`` when no endpoint has this id).

        Holds the inbound credential's ciphertexts, never clear secrets. Writing
        a field of ``_dispatch_cached_fields`` (or the credential) clears it in
        every worker through Odoo's registry signalling; ``version`` (the
        endpoint's and credential's ``write_date``, as the gateway reads them)
        also keys it, so that a change made by a process that does not signal
        (``odoo shell``) is seen too.
        """
        endpoint = (
            self.sudo().with_context(active_test=False).browse(endpoint_id).exists()
        )
        if not endpoint:
            return None
        credential = endpoint.inbound_credential_id.sudo()
        tokens = ()
        if credential:
            tokens = tuple(
                (column, credential[column])
                for column in ("secret_token", "previous_secret_token")
                if credential[column]
                and (column == "secret_token" or credential.rotation_state == "pending")
            )
        return tools.frozendict(
            id=endpoint.id,
            code=endpoint.code,
            active=endpoint.active,
            company_id=endpoint.company_id.id,
            job_channel=endpoint.job_channel,
            inbound_auth=endpoint.inbound_auth,
            inbound_secret_header=endpoint.inbound_secret_header,
            inbound_allowlist=tuple(endpoint._allowlist_lines()),
            inbound_max_payload_kb=endpoint.inbound_max_payload_kb,
            inbound_rate_limit_per_minute=endpoint.inbound_rate_limit_per_minute,
            inbound_failure_limit=endpoint.inbound_failure_limit,
            inbound_failure_window=endpoint.inbound_failure_window,
            credential_id=credential.id,
            credential_active=bool(credential.active),
            credential_name=credential.display_name if credential else "",
            credential_tokens=tokens,
            circuit_failure_threshold=endpoint.circuit_failure_threshold,
            rate_limit_per_minute=endpoint.rate_limit_per_minute,
        )

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

    def _circuit_guarded(self):
        """Whether outbound calls are paced by a circuit breaker or a rate
        limit (from the per-worker cache: when neither is set, an attempt reads
        nothing of the endpoint)."""
        profile = self._dispatch_profile(self.id)
        return bool(
            profile["circuit_failure_threshold"] or profile["rate_limit_per_minute"]
        )

    def _circuit_record(self, success):
        self.ensure_one()
        if not self._dispatch_profile(self.id)["circuit_failure_threshold"]:
            return  # no breaker: nothing counts failures (its state is hidden)
        breaker = self._circuit_breaker()
        snapshot = self._circuit_snapshot()
        now = time.time()
        self._circuit_store(
            breaker.after_success(snapshot, now)
            if success
            else breaker.after_failure(snapshot, now)
        )

    @entry_point("write")
    def action_reset_circuit(self):
        for endpoint in self:
            endpoint._circuit_store(circuit.CircuitSnapshot())
        return True

    # -- actions -----------------------------------------------------------------

    @entry_point("write")
    def action_test_connection(self):
        """Reach the endpoint once and report the result on screen and on the record."""
        self.ensure_one()
        ok, message = self._test_connection()
        return self._connection_checked(ok, message, close=True)

    def _connection_checked(self, ok, message, close=False):
        """Record a connection test's result on the endpoint; the notification
        that shows it."""
        self.ensure_one()
        self.write(
            {
                "last_check_at": fields.Datetime.now(),
                "last_check_ok": ok,
                "last_check_message": message[:250],
            }
        )
        params = {
            "title": _("Connection OK") if ok else _("Connection failed"),
            "message": message,
            "type": "success" if ok else "danger",
            "sticky": not ok,
        }
        if close:
            params["next"] = {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
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
        url = self._connection_test_url()
        headers, auth = {}, None
        credential = self._active_credential()
        if credential.kind in ("api_key", "basic_auth", "oauth2_client_credentials"):
            # Authenticated like a real call, so a rejected key shows here.
            try:
                headers, auth = credential._http_auth()
            except (crypto.MasterKeyError, errors.IntegrationError) as exc:
                return False, _(
                    "Credential %(credential)s could not be used: %(error)s",
                    credential=credential.display_name,
                    error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
        started = time.monotonic()
        try:
            response = requests.get(
                url,
                headers=headers,
                auth=auth,
                timeout=self._timeout(),
                allow_redirects=False,
            )
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
        status = response.status_code
        if status >= 400:
            hint = {
                401: _("the credential was refused"),
                403: _("access is forbidden to this credential or address"),
                404: _("check the base URL and the health check path"),
            }.get(status) or (
                _("the endpoint reports a fault on its side")
                if status >= 500
                else _("the request was refused")
            )
            return False, _(
                "%(url)s answered HTTP %(status)s in %(ms).0f ms: %(hint)s.",
                url=url,
                status=status,
                ms=elapsed_ms,
                hint=hint,
            )
        if self.protocol == "soap" and not self.health_check_path:
            if b"definitions" not in response.content[:4096]:
                return False, _(
                    "%(url)s answered HTTP %(status)s but sent no WSDL: check the "
                    "base URL (the SOAP service's address).",
                    url=url,
                    status=status,
                )
            return True, _(
                "%(url)s served its WSDL in %(ms).0f ms.", url=url, ms=elapsed_ms
            )
        return True, _(
            "%(url)s answered HTTP %(status)s in %(ms).0f ms.",
            url=url,
            status=status,
            ms=elapsed_ms,
        )

    def _connection_test_url(self):
        """The health check path, or for a SOAP service its WSDL."""
        self.ensure_one()
        base = self.base_url.rstrip("/")
        if self.health_check_path:
            return base + "/" + self.health_check_path.lstrip("/")
        if self.protocol == "soap":
            return base + "?wsdl"
        return base + "/"

    @entry_point("read")
    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_message_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    @entry_point("read")
    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_exception_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        return action

    @entry_point(
        "read", groups="distribution_integration_base.group_integration_manager"
    )
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
        if vals.get("circuit_failure_threshold") == 0:
            # No breaker from now on: none is left open or counting.
            vals = dict(
                vals,
                circuit_state="closed",
                circuit_failure_count=0,
                circuit_opened_at=False,
                circuit_probe_started_at=False,
            )
        result = super().write(vals)
        if "code" in vals:
            self._ensure_job_channel()
        return result


def ip_allowed(networks, address):
    """Whether ``address`` is in one of ``networks`` (addresses or CIDR lines);
    an empty list allows every address, an unparsable address none."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def _as_utc(value):
    """Odoo datetimes are naive UTC; make them aware for ``timestamp()``."""
    return value.replace(tzinfo=timezone.utc)


def _from_timestamp(value):
    if value is None:
        return False
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None)
