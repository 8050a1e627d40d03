import hashlib
from datetime import UTC, datetime, timedelta

import psycopg2

from odoo import api, fields, models

from ..kernel import inbound
from .transaction_time import adopt_transaction_time

# Refusals answered before authentication are counted per (client address,
# endpoint code asked for). Kept in the database so that every worker and
# every node of a cluster sees the same count.
DEFAULT_FAILURE_LIMIT = 10
DEFAULT_FAILURE_WINDOW = 60
FAILURE_LIMIT_PARAM = "distribution_integration_base.gateway_failure_limit"
FAILURE_WINDOW_PARAM = "distribution_integration_base.gateway_failure_window"


def _utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


def endpoint_key(code):
    """What failures are counted under: the code asked for when it could be a
    code, else a digest (the URL part may hold anything, NUL bytes included).

    >>> endpoint_key("acme"), len(endpoint_key("a\\x00b"))
    ('acme', 64)
    """
    if inbound.is_code(code):
        return code
    return hashlib.sha256(str(code).encode("utf-8", "surrogatepass")).hexdigest()


class IntegrationGatewayFailure(models.Model):
    """A request the gateway refused before it was authenticated.

    Bad signatures, wrong API keys and requests for endpoints that do not exist
    (or are archived) are counted per client address and endpoint code; past
    the limit within the window the gateway answers 429 before reading the body
    or decrypting any secret.
    """

    _name = "integration.gateway.failure"
    _description = "Inbound Gateway Refusal"
    _log_access = False
    _order = "failed_at desc"

    remote_addr = fields.Char(string="Client address", required=True, readonly=True)
    endpoint_key = fields.Char(
        string="Endpoint asked for",
        required=True,
        readonly=True,
        help="The endpoint code in the URL (its SHA-256 digest when it cannot "
        "be a code).",
    )
    failed_at = fields.Datetime(required=True, readonly=True)
    reason = fields.Char(readonly=True)

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS integration_gateway_failure_lookup_idx "
            "ON integration_gateway_failure (remote_addr, endpoint_key, failed_at)"
        )

    @api.model
    def _limits(self, endpoint=None):
        """``(limit, window seconds)`` for an active endpoint (a record or its
        cached ``_dispatch_profile``), else the defaults."""
        if endpoint and endpoint["active"]:
            return (
                endpoint["inbound_failure_limit"],
                endpoint["inbound_failure_window"] or DEFAULT_FAILURE_WINDOW,
            )
        return self._default_limits()

    @api.model
    def _default_limits(self):
        params = self.env["ir.config_parameter"].sudo()
        values = []
        for name, fallback in (
            (FAILURE_LIMIT_PARAM, DEFAULT_FAILURE_LIMIT),
            (FAILURE_WINDOW_PARAM, DEFAULT_FAILURE_WINDOW),
        ):
            try:
                values.append(int(params.get_param(name) or fallback))
            except ValueError:
                values.append(fallback)
        return values[0], max(values[1], 1)

    @api.model
    def _retry_after(self, remote_addr, key, limit, window):
        """Seconds until ``remote_addr`` may try ``key`` again; 0 if it may now."""
        if not limit or limit < 1:
            return 0
        now = _utcnow()
        self.env.cr.execute(
            """SELECT failed_at FROM integration_gateway_failure
                WHERE remote_addr = %s AND endpoint_key = %s AND failed_at > %s
                ORDER BY failed_at DESC LIMIT 1 OFFSET %s""",
            [remote_addr, key, now - timedelta(seconds=window), limit - 1],
        )
        row = self.env.cr.fetchone()
        if not row:
            return 0
        # Free again when the limit-th most recent failure leaves the window.
        return max(1, int((row[0] + timedelta(seconds=window) - now).total_seconds()))

    @api.model
    def _inbound_state(self, remote_addr, key, endpoint_id, flow_id):
        """The first round trip of every inbound request: ``(versions,
        retry_after)``.

        ``versions``: ``((endpoint, credential), flow)`` last writes, what the
        gateway's cached profiles are keyed by (``None`` when no endpoint has
        ``endpoint_id``); ``retry_after``: what :meth:`_retry_after` answers
        with :meth:`_limits` of that endpoint, in the same statement.
        """
        default_limit, default_window = self._default_limits()
        now = _utcnow()
        self.env.cr.execute(
            """SELECT now() at time zone 'UTC',
                      e.id IS NOT NULL, e.write_date, c.write_date,
                      (SELECT write_date FROM integration_flow WHERE id = %(flow)s),
                      t.lim, t.win,
                      (SELECT failed_at FROM integration_gateway_failure
                        WHERE t.lim >= 1
                          AND remote_addr = %(addr)s AND endpoint_key = %(key)s
                          AND failed_at > %(now)s - make_interval(secs => t.win)
                        ORDER BY failed_at DESC
                        LIMIT 1 OFFSET GREATEST(t.lim - 1, 0))
                 FROM (SELECT 1) AS one
                 LEFT JOIN integration_endpoint e ON e.id = %(endpoint)s
                 LEFT JOIN integration_credential c
                        ON c.id = e.inbound_credential_id
                CROSS JOIN LATERAL (
                      SELECT CASE WHEN e.active THEN e.inbound_failure_limit
                                  ELSE %(limit)s END AS lim,
                             CASE WHEN e.active
                                  THEN COALESCE(NULLIF(e.inbound_failure_window, 0),
                                                %(active_window)s)
                                  ELSE %(window)s END AS win) AS t""",
            {
                "flow": flow_id,
                "addr": remote_addr,
                "key": key,
                "now": now,
                "endpoint": endpoint_id,
                "limit": default_limit,
                "window": default_window,
                "active_window": DEFAULT_FAILURE_WINDOW,
            },
        )
        (
            transaction_time,
            exists,
            endpoint_date,
            credential_date,
            flow_date,
            limit,
            window,
            failed_at,
        ) = self.env.cr.fetchone()
        adopt_transaction_time(self.env.cr, transaction_time)
        retry_after = 0
        if limit and limit >= 1 and failed_at:
            # Free again when the limit-th most recent failure leaves the window.
            retry_after = max(
                1, int((failed_at + timedelta(seconds=window) - now).total_seconds())
            )
        versions = ((endpoint_date, credential_date), flow_date) if exists else None
        return versions, retry_after

    @api.model
    def _record(self, remote_addr, key, reason):
        self.env.cr.execute(
            """INSERT INTO integration_gateway_failure
                   (remote_addr, endpoint_key, failed_at, reason)
               VALUES (%s, %s, %s, %s)""",
            [remote_addr, key, _utcnow(), reason[:64]],
        )

    @api.model
    def _cron_purge(self):
        """Forget refusals older than a day and replay digests past their window."""
        self.env.cr.execute(
            "DELETE FROM integration_gateway_failure WHERE failed_at < %s",
            [_utcnow() - timedelta(days=1)],
        )
        self.env["integration.gateway.replay"]._purge_expired()


class IntegrationGatewayReplay(models.Model):
    """Signatures of the signed requests accepted, until their timestamp window
    closes: the same signed request again is a replay and is refused, whatever
    its other headers say (they are not signed)."""

    _name = "integration.gateway.replay"
    _description = "Inbound Signed Request Seen"
    _log_access = False

    endpoint_id = fields.Many2one(
        "integration.endpoint", required=True, ondelete="cascade", readonly=True
    )
    signature = fields.Char(required=True, readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        (
            "signature_unique",
            "unique(endpoint_id, signature)",
            "This signed request was already received.",
        )
    ]

    @api.model
    def _remember(self, endpoint_id, signature, expires_at):
        """Store ``signature`` for the endpoint of id ``endpoint_id``; return
        False when it was already stored (a replay), True otherwise."""
        cr = self.env.cr
        try:
            # One round trip on every accepted request: the savepoint, the
            # insert and its release go together. A replay is expected
            # traffic, not a database error to log.
            cr.execute(
                """SAVEPOINT integration_gateway_replay;
                   INSERT INTO integration_gateway_replay
                          (endpoint_id, signature, expires_at)
                   VALUES (%s, %s, %s);
                   RELEASE SAVEPOINT integration_gateway_replay""",
                [endpoint_id, signature, expires_at],
                log_exceptions=False,
            )
        except psycopg2.errors.UniqueViolation:
            cr.execute("ROLLBACK TO SAVEPOINT integration_gateway_replay")
            return False
        return True

    @api.model
    def _purge_expired(self):
        # An hour of margin for clocks of other nodes.
        self.env.cr.execute(
            "DELETE FROM integration_gateway_replay WHERE expires_at < %s",
            [_utcnow() - timedelta(hours=1)],
        )
