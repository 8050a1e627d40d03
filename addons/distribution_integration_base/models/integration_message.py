import io
import json
import logging
import mimetypes
import time
import uuid
from datetime import timedelta

import psycopg2
from lxml import etree
from psycopg2.errors import LockNotAvailable

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.addons.queue_job import delay as queue_job_delay
from odoo.addons.queue_job.utils import must_run_without_delay
from odoo.exceptions import UserError

from ..kernel import conflict_logging, errors, payload_view, results
from .entry_point import entry_point
from .record_link import form_action, linked_record
from .transaction_time import adopt_transaction_time

_logger = logging.getLogger(__name__)
conflict_logging.install()

OUTBOUND_STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("acknowledged", "Acknowledged"),
    ("retrying", "Failed, retrying"),
    ("dead", "Dead"),
]
INBOUND_STATES = [
    ("received", "Received"),
    ("processing", "Processing"),
    ("done", "Done"),
    ("rejected", "Rejected"),
]
STATES = OUTBOUND_STATES + INBOUND_STATES + [("cancelled", "Cancelled")]

# States an attempt may start from, per direction.
RUNNABLE_STATES = {
    "outbound": ("queued", "retrying", "sending"),
    "inbound": ("received", "retrying", "processing"),
}
IN_FLIGHT_STATE = {"outbound": "sending", "inbound": "processing"}
SUCCESS_STATE = {"outbound": "sent", "inbound": "done"}
FAILED_STATE = {"outbound": "dead", "inbound": "rejected"}
FINAL_STATES = ("sent", "acknowledged", "dead", "done", "rejected", "cancelled")
PAYLOAD_DATABASE_PARAMETER = "distribution_integration_base.payload_database_max_kb"
DEFAULT_PAYLOAD_DATABASE_KB = 64
PENDING_STATES = ("queued", "sending", "retrying", "received", "processing")
ALIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
# Two-key advisory lock (namespace, message id) held in shared mode by every
# running attempt until its transaction ends: a worker that dies releases it with
# its connection, which tells a dead job from a slow one at any age.
ATTEMPT_LOCK_NAMESPACE = 0x44495331  # "DIS1"
# A started job takes its attempt lock within milliseconds; an enqueued job is
# handed to a worker (or put back to pending by the runner) within a second.
DEAD_JOB_GRACE_SECONDS = 15
# Columns an attempt reads. Loading just these keeps a job cheap: an ORM load
# of the whole row costs more than the rest of a small attempt.
RUNTIME_FIELDS = (
    "name",
    "direction",
    "state",
    "job_uuid",
    "endpoint_id",
    "flow_id",
    "company_id",
    "attempt_count",
    "create_date",
    "error_category",
    "payload_attachment_id",
    "payload_purged",
    "content_type",
    "idempotency_key",
    "correlation_id",
)


def new_job_uuid():
    """A uuid for a job about to be stored (queue_job draws its own the same way)."""
    return str(uuid.uuid4())


def one_line(text, limit=300):
    """The first non-empty line of ``text``, shortened to ``limit`` characters."""
    line = next(
        (part.strip() for part in (text or "").splitlines() if part.strip()), ""
    )
    return line if len(line) <= limit else line[: limit - 1] + "…"


class IntegrationMessage(models.Model):
    """One payload exchanged with an endpoint, and everything that happened to it."""

    _name = "integration.message"
    _description = "Integration Message"
    _order = "id desc"
    _rec_name = "name"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, index=True
    )
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")], required=True, readonly=True
    )
    flow_id = fields.Many2one(
        "integration.flow",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    partner_id = fields.Many2one("res.partner", readonly=True, index="btree_not_null")
    state = fields.Selection(STATES, required=True, readonly=True, index=True)
    environment = fields.Selection(related="endpoint_id.environment")

    correlation_id = fields.Char(
        string="Correlation ID",
        readonly=True,
        index=True,
        help="Shared by every message of one business exchange (order, its "
        "acknowledgement, ship notice, invoice...).",
    )
    idempotency_key = fields.Char(
        string="Idempotency key",
        readonly=True,
        help="Unique per endpoint, flow and direction: the same key is never "
        "processed twice.",
    )
    external_ref = fields.Char(
        string="External reference", readonly=True, index="btree_not_null"
    )
    res_model = fields.Char(string="Related model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Related record id", model_field="res_model", readonly=True, index=True
    )
    record_ref = fields.Reference(
        selection="_selection_record_ref",
        string="Related record",
        compute="_compute_record_ref",
    )
    can_open_record = fields.Boolean(compute="_compute_record_ref")
    parent_id = fields.Many2one(
        "integration.message",
        readonly=True,
        index=True,
        ondelete="set null",
        string="Follows message",
    )
    child_ids = fields.One2many(
        "integration.message", "parent_id", readonly=True, string="Following messages"
    )

    payload_attachment_id = fields.Many2one(
        "ir.attachment", string="Payload", readonly=True, ondelete="set null"
    )
    payload_size = fields.Integer(string="Payload size (bytes)", readonly=True)
    content_type = fields.Char(string="Content type", readonly=True)
    payload_sha256 = fields.Char(string="Payload SHA-256", readonly=True)
    payload_purged = fields.Boolean(string="Payload purged", readonly=True)
    response_attachment_id = fields.Many2one(
        "ir.attachment", string="Response", readonly=True, ondelete="set null"
    )
    payload_edited_from_id = fields.Many2one(
        "integration.message",
        string="Edited copy of",
        readonly=True,
        ondelete="set null",
        help="This message replays another one with a payload edited by a manager.",
    )

    attempt_count = fields.Integer(string="Attempts", readonly=True, default=0)
    last_attempt_at = fields.Datetime(string="Last attempt", readonly=True)
    next_attempt_at = fields.Datetime(string="Next attempt", readonly=True)
    processed_at = fields.Datetime(
        string="Processed",
        readonly=True,
        help="When the message was sent (outbound) or applied (inbound).",
    )
    acknowledged_at = fields.Datetime(string="Acknowledged", readonly=True)
    expectation_ids = fields.One2many(
        "integration.expectation",
        "message_id",
        readonly=True,
        string="Replies expected",
        help="Replies this message waits for (its acknowledgement, say), with "
        "their deadlines.",
    )
    duration_ms = fields.Integer(string="Last attempt (ms)", readonly=True)
    lead_time_seconds = fields.Integer(
        string="Lead time (s)", readonly=True, aggregator="avg"
    )
    sla_deadline = fields.Datetime(
        string="SLA deadline", readonly=True, index="btree_not_null"
    )
    sla_breached = fields.Boolean(string="SLA breached", readonly=True)
    last_error = fields.Text(
        string="Last error",
        readonly=True,
        help="The cause of the last failure, in one line.",
    )
    last_error_details = fields.Text(
        string="Last error in full",
        readonly=True,
        groups="distribution_integration_base.group_integration_manager",
        help="The partner's answer and the server traceback of the last failure.",
    )
    error_category = fields.Selection(
        list(errors.CATEGORIES), readonly=True, string="Error category"
    )
    job_uuid = fields.Char(string="Job UUID", readonly=True, index="btree_not_null")
    payload_preview = fields.Text(
        string="Payload (readable)",
        compute="_compute_payload_preview",
        help="Pretty JSON, or X12/EDIFACT one segment a line.",
    )
    attempt_ids = fields.One2many(
        "integration.message.attempt", "message_id", string="Attempt history"
    )
    exception_ids = fields.One2many(
        "integration.exception", "message_id", string="Exceptions"
    )
    open_exception_count = fields.Integer(
        string="Open exceptions", compute="_compute_open_exception_count"
    )

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "unique(endpoint_id, flow_id, direction, idempotency_key)",
            "A message with this idempotency key already exists for this endpoint, "
            "flow and direction.",
        )
    ]

    def init(self):
        # The health figures and the gateway's rate limit scan recent messages
        # of one endpoint.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS integration_message_endpoint_recent_idx
               ON integration_message (endpoint_id, create_date)"""
        )
        # References come straight from a sequence: ir.sequence costs a search
        # per message and needs no configuration here.
        self.env.cr.execute(
            "CREATE SEQUENCE IF NOT EXISTS integration_message_reference_seq"
        )

    @api.model
    def _next_reference(self, number=None):
        """A new message reference; ``number``: one the caller already took
        from ``integration_message_reference_seq``."""
        if number is None:
            self.env.cr.execute("SELECT nextval('integration_message_reference_seq')")
            number = self.env.cr.fetchone()[0]
        return f"IM{fields.Date.context_today(self):%y}-{number:07d}"

    @api.model
    def _selection_record_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])
        ]

    @api.depends("res_model", "res_id")
    @api.depends_context("uid")
    def _compute_record_ref(self):
        for message in self:
            record = message._related_record()
            # Shown only to those who may open it (record rules included).
            readable = bool(record) and record.has_access("read")
            message.can_open_record = readable
            message.record_ref = f"{record._name},{record.id}" if readable else False

    def _compute_open_exception_count(self):
        for message in self:
            message.open_exception_count = len(
                message.exception_ids.filtered(
                    lambda e: e.state in ("new", "in_progress")
                )
            )

    @api.model
    def _find_duplicate(self, direction, flow, endpoint, idempotency_key):
        # On every keyed message: one indexed look-up (the unique constraint's
        # index), without the ORM's query building.
        self.flush_model(["endpoint_id", "flow_id", "direction", "idempotency_key"])
        self.env.cr.execute(
            """SELECT id FROM integration_message
                WHERE endpoint_id = %s AND flow_id = %s AND direction = %s
                  AND idempotency_key = %s
                LIMIT 1""",
            [endpoint.id, flow.id, direction, idempotency_key],
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    # -- payload ---------------------------------------------------------------

    def _store_payload(self, payload, content_type, filename=None, response=False):
        """Attach ``payload`` (bytes): the message's payload, or with
        ``response`` the partner's answer. The dispatch created the message
        with the payload's size, type and SHA-256 already."""
        self.ensure_one()
        extension = (
            mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        )
        name = filename or f"{self.name}{'-response' if response else ''}{extension}"
        column = "response_attachment_id" if response else "payload_attachment_id"
        attachment_id = self._insert_attachment(payload, content_type, name, column)
        return self.env["ir.attachment"].browse(attachment_id)

    def _insert_attachment(self, payload, content_type, name, column):
        """Store ``payload`` as an attachment of this message and link it in
        ``column``, in one statement. Up to ``_payload_database_limit`` the
        bytes go in the attachment's row; larger payloads are written the way
        the attachment model writes them (``_get_datas_related_values``:
        filestore, checksum, garbage collection of an orphaned file).

        Not an ORM create: every message stores one, on the inbound gateway's
        hot path (P5), where the ORM's create of an attachment cost more than
        the message itself. Payloads are the kernel's own binaries, read only
        through the message: no other module's attachment hooks concern them.
        """
        attachments = self.env["ir.attachment"]
        if len(payload) <= self._payload_database_limit():
            # What the attachment model stores under its "db" location: the
            # bytes go in with the row and its commit, no filestore file and
            # no garbage-collection mark per message.
            checksum = attachments._compute_checksum(payload)
            values = {
                "file_size": len(payload),
                "checksum": checksum,
                "index_content": attachments._index(
                    payload, content_type, checksum=checksum
                ),
                "store_fname": False,
                "db_datas": payload,
            }
        else:
            values = attachments._get_datas_related_values(payload, content_type)
        self.flush_recordset()
        # Column names come from this module, never from input.
        self.env.cr.execute(
            f"""
            WITH attachment AS (
                INSERT INTO ir_attachment
                       (name, type, res_model, res_id, company_id, mimetype,
                        public, file_size, checksum, index_content, store_fname,
                        db_datas, create_uid, create_date, write_uid, write_date)
                VALUES (%(name)s, 'binary', %(model)s, %(res_id)s, %(company)s,
                        %(mimetype)s, false, %(file_size)s, %(checksum)s,
                        %(index_content)s, %(store_fname)s, %(db_datas)s,
                        %(uid)s, now() at time zone 'UTC', %(uid)s,
                        now() at time zone 'UTC')
                RETURNING id
            )
            UPDATE integration_message
               SET {column} = attachment.id
              FROM attachment
             WHERE integration_message.id = %(res_id)s
            RETURNING attachment.id
            """,
            {
                "name": name,
                "model": self._name,
                "res_id": self.id,
                "company": self.company_id.id or None,
                "mimetype": content_type,
                "file_size": values["file_size"],
                "checksum": values["checksum"],
                "index_content": values["index_content"] or None,
                "store_fname": values["store_fname"] or None,
                "db_datas": psycopg2.Binary(values["db_datas"])
                if values["db_datas"]
                else None,
                "uid": self.env.uid,
            },
        )
        attachment_id = self.env.cr.fetchone()[0]
        self.invalidate_recordset([column])
        return attachment_id

    @api.model
    def _payload_database_limit(self):
        """Bytes up to which a payload is stored in the database (setting
        "Payloads kept in the database"); larger ones go to the filestore."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(PAYLOAD_DATABASE_PARAMETER, DEFAULT_PAYLOAD_DATABASE_KB)
        )
        try:
            return max(int(value), 0) * 1024
        except (TypeError, ValueError):
            return DEFAULT_PAYLOAD_DATABASE_KB * 1024

    def _get_payload(self):
        """The payload as bytes; a clear error once retention removed it."""
        store_fname, db_datas = self._payload_location()
        if store_fname:
            return self.env["ir.attachment"]._file_read(store_fname)
        return bytes(db_datas or b"")

    def _open_payload(self):
        """The payload as a binary file object, for payloads too large to hold
        in memory (the caller closes it; it is a context manager)."""
        store_fname, db_datas = self._payload_location()
        if store_fname:
            path = self.env["ir.attachment"]._full_path(store_fname)
            return open(path, "rb")
        return io.BytesIO(bytes(db_datas or b""))

    def _payload_location(self):
        self.ensure_one()
        if self.payload_purged or not self.payload_attachment_id:
            raise UserError(
                _(
                    "The payload of %s is no longer kept (retention policy of flow "
                    "%s); it cannot be replayed.",
                    self.name,
                    self.flow_id.code,
                )
            )
        # Every handler reads its payload: fetch only where the bytes are (the
        # full attachment record costs more than a small payload itself).
        self.env["ir.attachment"].flush_model(["store_fname", "db_datas"])
        self.env.cr.execute(
            "SELECT store_fname, db_datas FROM ir_attachment WHERE id = %s",
            [self.payload_attachment_id.id],
        )
        return self.env.cr.fetchone()

    def _compute_payload_preview(self):
        for message in self:
            if message.payload_purged or not message.payload_attachment_id:
                message.payload_preview = False
                continue
            try:
                payload = message.sudo()._get_payload()
            except (UserError, OSError):
                message.payload_preview = _("The payload file cannot be read.")
                continue
            message.payload_preview = payload_view.readable(
                payload, message.content_type
            )

    def _get_payload_text(self):
        return self._get_payload().decode("utf-8", errors="replace")

    # -- queueing ----------------------------------------------------------------

    def _enqueue(self, delay_seconds=0, job_uuid=None):
        """Create the job running the next attempt of each message.

        The job row is written in the current transaction, so it exists exactly
        when the message does (a rollback removes both) and the runner only sees
        it after commit. ``job_uuid``: the job's uuid, already written on this
        (new) message by ``_create_message`` with its job link, so that the
        message is not written a second time on the ingest path.
        """
        endpoints = self.env["integration.endpoint"]
        flows = self.env["integration.flow"]
        inline = must_run_without_delay(self.env)
        for message in self:
            # Cached plain values: no endpoint or flow read per message.
            options = {
                "channel": endpoints._dispatch_profile(message.endpoint_id.id)[
                    "job_channel"
                ],
                "eta": delay_seconds or None,
                "description": _(
                    "%(flow)s %(direction)s %(ref)s",
                    flow=flows._dispatch_profile(message.flow_id.id)["code"],
                    direction=message.direction,
                    ref=message.name,
                ),
            }
            if inline:
                # queue_job runs it at once (tests, queue_job__no_delay).
                message.with_delay(**options)._job_run()
                continue
            uuid_linked = job_uuid if len(self) == 1 else None
            # A job under a uuid drawn here: the message can name it before it
            # is stored, and queue_job's "is this uuid stored already?" is
            # skipped (see queue.job's search). The Job class as queue_job's
            # with_delay() finds it, so that its test trap sees these jobs too.
            job = queue_job_delay.Job(
                message.with_context(integration_fresh_job=True)._job_run,
                job_uuid=uuid_linked or new_job_uuid(),
                **options,
            )
            job.store()
            if not uuid_linked:
                message.write(
                    {
                        "job_uuid": job.uuid,
                        "next_attempt_at": fields.Datetime.now()
                        + timedelta(seconds=delay_seconds or 0),
                    }
                )

    def _claim_attempt(self):
        """Mark the start of an attempt: in-flight state, one more attempt counted.

        Called when the queue_job runner starts the job (and committed with the
        job's own start), so an attempt that crashes the worker still counts.
        One UPDATE: this runs for every job, and the increment must be atomic.
        """
        if not self.ids:
            return
        self.flush_recordset(["state", "attempt_count"])
        self.env.cr.execute(
            """
            UPDATE integration_message
               SET state = CASE direction WHEN 'outbound' THEN 'sending'
                                          ELSE 'processing' END,
                   attempt_count = COALESCE(attempt_count, 0) + 1,
                   last_attempt_at = now() at time zone 'UTC',
                   write_date = now() at time zone 'UTC',
                   write_uid = %s
             WHERE id IN %s
               AND ((direction = 'outbound' AND state IN %s)
                    OR (direction = 'inbound' AND state IN %s))
            """,
            [
                self.env.uid,
                tuple(self.ids),
                RUNNABLE_STATES["outbound"],
                RUNNABLE_STATES["inbound"],
            ],
        )
        self.invalidate_recordset(
            ["state", "attempt_count", "last_attempt_at", "write_date", "write_uid"]
        )

    def _job_alive(self, job_uuid):
        return bool(
            job_uuid
            and self.env["queue.job"]
            .sudo()
            .search_count([("uuid", "=", job_uuid), ("state", "in", ALIVE_JOB_STATES)])
        )

    def _job_run(self):
        """Run one attempt of the message's pending step (queue_job entry point)."""
        self.ensure_one()
        with conflict_logging.expect_retried_conflicts():
            self.env.cr.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)",
                [ATTEMPT_LOCK_NAMESPACE, self.id],
            )
            result = self._run_attempt()
            # Conflicts in the attempt's own writes surface here, where the
            # runner's retry of them is expected, not in queue_job's flush.
            self.env.flush_all()
        return result

    def _run_attempt(self):
        message = self.sudo()
        message.fetch(RUNTIME_FIELDS)
        current_job = self.env.context.get("job_uuid")
        if (
            current_job
            and message.job_uuid
            and message.job_uuid != current_job
            and message._job_alive(message.job_uuid)
        ):
            return _("Superseded by job %s.", message.job_uuid)
        if message.state not in RUNNABLE_STATES[message.direction]:
            return _(
                "Nothing to do: %(ref)s is %(state)s.",
                ref=message.name,
                state=message.state,
            )
        if current_job and message.job_uuid != current_job:
            message.job_uuid = current_job

        if message.direction == "outbound":
            wait = message._outbound_wait_seconds()
            if wait:
                return message._postpone(wait)
        if message.state not in IN_FLIGHT_STATE.values():
            message._claim_attempt()

        policy = message.flow_id._retry_policy()
        if message.attempt_count > policy.max_attempts:
            # Only reachable when attempts crashed the worker before recording.
            return message._record_failure(
                errors.PermanentError(
                    _(
                        "%(count)s attempts started without finishing (worker "
                        "crash or kill?); giving up.",
                        count=message.attempt_count - 1,
                    ),
                    category="timeout",
                ),
                duration_ms=0,
            )
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                result = message._call_handler()
        except psycopg2.errors.UniqueViolation as exc:
            # Concurrent work stored the same row first (two workers storing one
            # tracking event): the savepoint undid ours; retry shortly on the
            # committed state instead of failing the job.
            duration = int((time.monotonic() - started) * 1000)
            error = errors.ConflictError(
                _(
                    "Concurrent update: %s Retried in a few seconds.",
                    (exc.diag.message_primary or str(exc)).strip(),
                ),
                details=exc.diag.message_detail,
            )
            return message._record_failure(error, duration_ms=duration)
        except psycopg2.Error:
            # Database errors (serialization, deadlocks) are the job runner's to
            # retry: they say nothing about the partner.
            raise
        except Exception as exc:
            if isinstance(exc, UserError):
                # Configuration problems (no handler, purged payload): say so plainly.
                error = errors.PermanentError(str(exc.args[0]), category="mapping")
            else:
                # Unknown exceptions become permanent errors carrying the traceback.
                error = errors.classify_exception(exc)
            duration = int((time.monotonic() - started) * 1000)
            return message._record_failure(error, duration_ms=duration)
        duration = int((time.monotonic() - started) * 1000)
        return message._record_success(result, duration_ms=duration)

    def _call_handler(self):
        """Run the flow's handler; return its ``HandlerResult``."""
        self.ensure_one()
        handler = self.flow_id._get_handler()
        if self.direction == "outbound":
            return self._handler_result(handler._send(self))
        self._check_ownership()
        return self._handler_result(handler._process(self))

    def _handler_result(self, value):
        """What a handler returned, as a ``HandlerResult``: a dict (handlers
        written before it) gives only the keys a handler may set; any other key
        (``state``, say) is refused with a permanent error."""
        if isinstance(value, dict):
            value = dict(value)
            if "response" in value:
                value["response_payload"] = value.pop("response")
            res_model = value.pop("res_model", None)
            res_id = value.pop("res_id", None)
            if res_model and res_id and "record" not in value:
                if res_model not in self.env:
                    raise errors.PermanentError(
                        _("A handler named the unknown model %r.", res_model),
                        category="mapping",
                    )
                value["record"] = self.env[res_model].browse(res_id)
            partner_id = value.pop("partner_id", None)
            if partner_id and "partner" not in value:
                value["partner"] = self.env["res.partner"].browse(partner_id)
        return results.HandlerResult.from_value(value)

    def _check_ownership(self):
        """Refuse an inbound change to master data the sender does not own."""
        self.ensure_one()
        domain = self.flow_id.data_domain
        if not domain:
            return
        owner = self.env["integration.ownership"]._owner_endpoint(
            domain, self.company_id
        )
        if owner != self.endpoint_id:
            label = dict(self.flow_id._fields["data_domain"].selection)[domain]
            raise errors.OwnershipError(
                _(
                    "%(endpoint)s is not the system of record for %(domain)s "
                    "(owner: %(owner)s); the change was not applied. Change the "
                    "owner in Integration › Configuration › System of Record if "
                    "this endpoint should own it.",
                    endpoint=self.endpoint_id.display_name,
                    domain=label,
                    owner=owner.display_name or "Odoo",
                )
            )

    def _outbound_wait_seconds(self):
        """Seconds to wait before the endpoint may be called (circuit, rate limit)."""
        self.ensure_one()
        endpoint = self.endpoint_id
        if not endpoint._circuit_guarded():
            return 0.0
        decision = endpoint._circuit_decide()
        if decision.action == "wait":
            return max(1.0, decision.wait_seconds)
        if endpoint.rate_limit_per_minute > 0:
            self.flush_model(["last_attempt_at"])
            self.env.cr.execute(
                """SELECT count(*) FROM integration_message
                    WHERE endpoint_id = %s AND direction = 'outbound' AND id != %s
                      AND last_attempt_at > (now() at time zone 'UTC')
                                            - interval '60 seconds'""",
                [endpoint.id, self.id],
            )
            if self.env.cr.fetchone()[0] >= endpoint.rate_limit_per_minute:
                return 60.0 / endpoint.rate_limit_per_minute + 1
        return 0.0

    def _postpone(self, seconds):
        """Wait without spending an attempt (circuit open or rate limit)."""
        self.ensure_one()
        if self.state == IN_FLIGHT_STATE[self.direction]:
            # The runner claimed an attempt at job start; give it back.
            count = max(0, self.attempt_count - 1)
            self.write(
                {
                    "attempt_count": count,
                    "state": "retrying" if count else "queued",
                }
            )
        self._enqueue(delay_seconds=int(seconds) + 1)
        return _(
            "Postponed %(seconds)s s: endpoint %(endpoint)s is paused "
            "(circuit %(circuit)s or rate limit).",
            seconds=int(seconds) + 1,
            endpoint=self.endpoint_id.code,
            circuit=self.endpoint_id.circuit_state,
        )

    def _log_attempt(self, outcome, duration_ms, error=None):
        """Keep one line of history per finished attempt.

        One INSERT, not an ORM create: this runs on every attempt's hot path
        (the governance overhead benchmark counts it). It also reads the
        transaction's ``now()``, which the message's write that follows would
        otherwise ask for in a round trip of its own.
        """
        self.ensure_one()
        self.env.cr.execute(
            """
            INSERT INTO integration_message_attempt
                   (message_id, company_id, started_at, duration_ms, outcome,
                    error, error_category, job_uuid)
            VALUES (%(message)s, %(company)s,
                    (now() at time zone 'UTC') - %(duration)s * interval '1 ms',
                    %(duration)s, %(outcome)s, %(error)s, %(category)s, %(job)s)
            RETURNING now() at time zone 'UTC'
            """,
            {
                "message": self.id,
                "company": self.company_id.id,
                "duration": duration_ms or 0,
                "outcome": outcome,
                "error": str(error).splitlines()[0][:500] if error else None,
                "category": error.category if error else None,
                "job": self.env.context.get("job_uuid") or self.job_uuid or None,
            },
        )
        adopt_transaction_time(self.env.cr, self.env.cr.fetchone()[0])
        self.invalidate_recordset(["attempt_ids"])

    def _record_success(self, result, duration_ms=0):
        """Record a successful attempt; ``result``: the handler's
        ``HandlerResult``, of which only its own fields reach the message."""
        self.ensure_one()
        result = result or results.HandlerResult()
        self._log_attempt("succeeded", duration_ms)
        had_failure = bool(self.error_category)
        now = fields.Datetime.now()
        response = result.response_payload
        response_type = result.response_content_type
        vals = {
            "state": SUCCESS_STATE[self.direction],
            "processed_at": now,
            "next_attempt_at": False,
            "last_error": False,
            "last_error_details": False,
            "error_category": False,
            "duration_ms": duration_ms,
            "lead_time_seconds": int((now - self.create_date).total_seconds()),
        }
        flow_profile = self.flow_id._dispatch_profile(self.flow_id.id)
        if self.direction == "outbound" and flow_profile["ack_expected"]:
            # A handler may give this partner its own window (a trading
            # partner's, say) instead of the flow's.
            window = (
                result.ack_window_minutes
                if result.ack_window_minutes is not None
                else flow_profile["ack_timeout_minutes"]
            )
            self._expect_acknowledgement(now + timedelta(minutes=window), window)
        if not had_failure:
            # Most attempts never failed: nothing to clear.
            del vals["last_error"], vals["last_error_details"]
            del vals["error_category"]
        if result.external_ref is not None:
            vals["external_ref"] = result.external_ref or False
        if result.record:
            result.record.ensure_one()
            vals["res_model"] = result.record._name
            vals["res_id"] = result.record.id
        if result.partner:
            vals["partner_id"] = result.partner.id
        self.write(vals)
        if response is not None:
            if isinstance(response, str):
                response = response.encode()
            self._store_payload(response, response_type, response=True)
        if self.direction == "outbound":
            self.endpoint_id._circuit_record(success=True)
        if had_failure:
            self.exception_ids.filtered("closes_on_success")._resolve_automatically(
                _("%s succeeded on a later attempt.", self.name)
            )
        return _(
            "%(ref)s %(state)s in %(ms)s ms (attempt %(n)s).",
            ref=self.name,
            state=self.state,
            ms=duration_ms,
            n=self.attempt_count,
        )

    def _record_failure(self, error, duration_ms=0):
        """Schedule the next attempt for a transient error, or end the message
        in the exception queue."""
        self.ensure_one()
        # Integration Users see the cause and the partner's answer; the server's
        # traceback (file paths, code) only managers.
        text = str(error)
        if error.details and error.details != error.trace:
            text = f"{text}\n\n{error.details}"
        vals = {
            "last_error": one_line(str(error)),
            "last_error_details": f"{text}\n\n{error.trace}" if error.trace else text,
            "error_category": error.category,
            "duration_ms": duration_ms,
        }
        conflict = isinstance(error, errors.ConflictError)
        if self.direction == "outbound" and not conflict:
            # Only transport trouble says the endpoint is unwell; a refused
            # document means it answered.
            self.endpoint_id._circuit_record(success=not error.transient)
        policy = self.flow_id._retry_policy()
        will_retry = error.transient and not policy.exhausted(self.attempt_count)
        self._log_attempt("retrying" if will_retry else "failed", duration_ms, error)
        if will_retry:
            if conflict:
                delay = error.retry_after
            else:
                delay = policy.delay_for(self.attempt_count, error.retry_after)
            vals["state"] = "retrying"
            self.write(vals)
            self._enqueue(delay_seconds=int(round(delay)))
            return _(
                "Attempt %(n)s failed (%(error)s); next attempt in %(s)s s.",
                n=self.attempt_count,
                error=str(error)[:200],
                s=int(round(delay)),
            )
        vals["state"] = FAILED_STATE[self.direction]
        vals["next_attempt_at"] = False
        self.write(vals)
        title = (
            _(
                "Gave up after %(n)s attempts: %(error)s",
                n=self.attempt_count,
                error=str(error),
            )
            if error.transient
            else str(error)
        )
        self._raise_exception(
            error.category,
            title,
            details=text,
            severity="high" if error.transient else "medium",
            closes_on_success=True,
            traceback=error.trace,
        )
        return _(
            "%(ref)s is %(state)s: %(error)s",
            ref=self.name,
            state=self.state,
            error=str(error)[:200],
        )

    def _raise_exception(
        self,
        category,
        title,
        details=None,
        severity="medium",
        closes_on_success=False,
        problem_key=None,
        record=None,
        traceback=None,
    ):
        """Open an exception for this message: one open exception per category
        and ``problem_key`` (a repeat counts an occurrence instead).

        ``record`` is the business document concerned (default: the message's
        related record); its owner gets the exception (see
        :meth:`_exception_assignee`).

        ``closes_on_success`` marks exceptions a later successful attempt cures
        (failed attempts, stuck jobs); business exceptions stay open for a person.
        ``problem_key`` keeps apart two problems of one category on one message
        (a late scan is not the message's own SLA breach). ``traceback`` is
        kept apart from ``details``, for managers only.
        """
        self.ensure_one()
        existing = self.exception_ids.filtered(
            lambda e: (
                e.category == category
                and e.state in ("new", "in_progress")
                and (e.problem_key or False) == (problem_key or False)
            )
        )
        if existing:
            existing[:1].sudo().write(
                {
                    "details": details or title,
                    "traceback": traceback or False,
                    "occurrence_count": existing[:1].occurrence_count + 1,
                }
            )
            return existing[:1]
        record = record or self._related_record()
        return (
            self.env["integration.exception"]
            .sudo()
            .create(
                {
                    "name": title[:250],
                    "message_id": self.id,
                    "flow_id": self.flow_id.id,
                    "endpoint_id": self.endpoint_id.id,
                    "company_id": self.company_id.id,
                    "user_id": self._exception_assignee(record).id,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                    "closes_on_success": closes_on_success,
                    "category": category,
                    "severity": severity,
                    "details": details or title,
                    "traceback": traceback or False,
                    "problem_key": problem_key or False,
                }
            )
        )

    def _exception_assignee(self, record=None):
        """Who works a problem of this message: the business document's owner (a
        ``_integration_owner()`` method, else its ``invoice_user_id`` or
        ``user_id``, e.g. the buyer of a purchase order), else the endpoint's
        responsible, else the company's fallback; never a system user."""
        self.ensure_one()
        candidates = []
        if record:
            record = record.sudo()
            if hasattr(record, "_integration_owner"):
                candidates.append(record._integration_owner())
            for name in ("invoice_user_id", "user_id"):
                field = record._fields.get(name)
                if field is not None and field.comodel_name == "res.users":
                    candidates.append(record[name])
        candidates += [
            self.endpoint_id.user_id,
            self.company_id.sudo().integration_fallback_user_id,
        ]
        for user in candidates:
            if (
                user
                and user.active
                and not user.share
                and user.id != SUPERUSER_ID
                and self.company_id in user.company_ids
            ):
                return user
        return self.env["res.users"]

    # -- acknowledgement -----------------------------------------------------------

    def _expect_acknowledgement(self, due_at, minutes):
        """Expect the partner's acknowledgement of this sent message by
        ``due_at`` (``minutes`` after sending, said in the late exception)."""
        self.ensure_one()
        return self.env["integration.expectation"]._expect(
            self,
            "acknowledgement",
            due_at,
            message=self,
            category="acknowledgement",
            description=_(
                "No acknowledgement for %(ref)s within %(minutes)s minutes",
                ref=self.name,
                minutes=minutes,
            ),
        )

    def _acknowledge(self, accepted=True, details=None, ack_message=None):
        expectations = self.env["integration.expectation"]
        for message in self:
            if message.direction != "outbound":
                raise UserError(_("Only outbound messages are acknowledged."))
            vals = {"acknowledged_at": fields.Datetime.now()}
            if ack_message:
                ack_message.parent_id = message
            # An answer, accepting or refusing, is what the window waited for.
            expectations._fulfil(
                message,
                "acknowledgement",
                message=ack_message,
                note=_("Acknowledgement received."),
            )
            if accepted:
                vals["state"] = "acknowledged"
                message.write(vals)
                message.exception_ids.filtered(
                    lambda e: e.category == "acknowledgement"
                )._resolve_automatically(_("Acknowledgement received."))
            else:
                vals.update(
                    state="dead",
                    last_error=one_line(details or _("Rejected by the partner.")),
                    last_error_details=details,
                    error_category="validation",
                )
                message.write(vals)
                message._raise_exception(
                    "validation",
                    _("%s was rejected by the partner", message.name),
                    details=details,
                    severity="high",
                )

    # -- user actions --------------------------------------------------------------

    @entry_point(
        "read", groups="distribution_integration_base.group_integration_manager"
    )
    def action_retry(self):
        """Run the failed step again: same payload, a fresh attempt budget."""
        self._retry()
        return True

    def _retry(self):
        for message in self:
            if message.state not in (
                "dead",
                "rejected",
                "retrying",
                "queued",
                "received",
            ):
                raise UserError(
                    _(
                        "%(ref)s is %(state)s: only failed or waiting messages can be "
                        "retried.",
                        ref=message.name,
                        state=message.state,
                    )
                )
            message.sudo().write(
                {
                    "state": "retrying"
                    if message.direction == "outbound"
                    else "received",
                    "attempt_count": 0,
                }
            )
            message.sudo()._enqueue()

    @entry_point(
        "read", groups="distribution_integration_base.group_integration_manager"
    )
    def action_replay(self):
        """Send or apply the original payload again as a new, linked message."""
        replays = self.env["integration.message"]
        for message in self:
            replays |= message._replay(message._get_payload())
        return replays._action_open()

    def _replay(self, payload, edited=False):
        """A new message, linked to this one, with ``payload``: refused while this
        one may still be sent or applied, and for an ``edited`` payload that is
        not a valid document of the message's content type."""
        self.ensure_one()
        self._check_not_live()
        if edited:
            self._validate_payload(payload, self.content_type)
        dispatch = self.env["integration.dispatch"]
        values = {
            "record": self._related_record(),
            "correlation_id": self.correlation_id,
            "content_type": self.content_type or "application/octet-stream",
            "parent": self,
            "partner": self.partner_id,
            "external_ref": self.external_ref,
        }
        method = dispatch._send if self.direction == "outbound" else dispatch._receive
        replay = method(self.flow_id, self.endpoint_id, payload, **values)
        if edited:
            replay.sudo().payload_edited_from_id = self
        return replay

    def _check_not_live(self):
        """Refuse to replay a message that may still be sent or applied: the
        partner would get it twice. The row is locked so that a retry or a
        running attempt cannot make it live meanwhile."""
        self.ensure_one()
        self.flush_recordset(["state"])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT state FROM integration_message WHERE id = %s "
                    "FOR UPDATE NOWAIT",
                    [self.id],
                    log_exceptions=False,
                )
                state = self.env.cr.fetchone()[0]
        except LockNotAvailable:
            state = IN_FLIGHT_STATE[self.direction]
        labels = dict(self._fields["state"]._description_selection(self.env))
        if state not in PENDING_STATES:
            # A replay made a moment ago is just as able to reach the partner.
            live_replay = self.sudo().search(
                [
                    ("parent_id", "=", self.id),
                    ("flow_id", "=", self.flow_id.id),
                    ("direction", "=", self.direction),
                    ("state", "in", PENDING_STATES),
                ],
                limit=1,
            )
            if not live_replay:
                return
            raise UserError(
                _(
                    "%(ref)s was already replayed as %(replay)s, which is still "
                    "live (%(state)s): replaying again could reach the partner "
                    "twice. Wait until %(replay)s ends, or have an Integration "
                    "Manager cancel it.",
                    ref=self.name,
                    replay=live_replay.name,
                    state=labels[live_replay.state],
                )
            )
        label = labels[state]
        raise UserError(
            _(
                "%(ref)s is still live (%(state)s): it may yet be sent or applied, "
                "so a replay now could reach the partner twice. Wait until it "
                "ends, or have an Integration Manager cancel it, then replay.",
                ref=self.name,
                state=label,
            )
        )

    @api.model
    def _validate_payload(self, payload, content_type):
        """Raise a UserError naming the problem when ``payload`` (bytes) is not a
        valid document of ``content_type``.

        The kernel knows JSON and XML; channels extend this for their formats
        (the EDI channel checks X12 and EDIFACT with its codec). Other types
        pass unchecked.
        """
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind == "application/json" or kind.endswith("+json"):
            try:
                json.loads(payload.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise UserError(
                    _("The payload is not UTF-8 text: %s", exc.reason)
                ) from exc
            except RecursionError as exc:
                raise UserError(_("The JSON payload is nested too deeply.")) from exc
            except ValueError as exc:
                raise UserError(_("The payload is not valid JSON: %s", exc)) from exc
        elif kind in ("application/xml", "text/xml") or kind.endswith("+xml"):
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            try:
                etree.fromstring(payload, parser=parser)
            except etree.XMLSyntaxError as exc:
                raise UserError(
                    _("The payload is not well-formed XML: %s", exc)
                ) from exc

    @entry_point(
        "read", groups="distribution_integration_base.group_integration_manager"
    )
    def action_cancel(self):
        for message in self:
            if message.state in FINAL_STATES:
                raise UserError(
                    _(
                        "%(ref)s is already %(state)s.",
                        ref=message.name,
                        state=message.state,
                    )
                )
        self.sudo().write({"state": "cancelled", "next_attempt_at": False})
        return True

    def _withdraw_unsent(self):
        """Cancel those of these outbound messages not sent yet (queued, or
        waiting for a retry) because a newer one replaces them; the ones in
        flight or finished stay as they are. The withdrawn messages.

        A job that claims one meanwhile makes this transaction's write a
        serialization conflict, retried on the state it committed."""
        unsent = self.filtered(
            lambda m: m.direction == "outbound" and m.state in ("queued", "retrying")
        )
        unsent.sudo().write({"state": "cancelled", "next_attempt_at": False})
        return unsent

    def _related_record(self):
        self.ensure_one()
        return linked_record(self.env, self.res_model, self.res_id)

    def _action_open(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_message_action"
        )
        if len(self) == 1:
            action.update(res_id=self.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    @entry_point("read")
    def action_open_related(self):
        self.ensure_one()
        record = self._related_record()
        if not record:
            raise UserError(_("%s concerns no existing record.", self.name))
        return form_action(record)

    @entry_point(
        "read", groups="distribution_integration_base.group_integration_manager"
    )
    def action_view_job(self):
        self.ensure_one()
        job = self.env["queue.job"].search([("uuid", "=", self.job_uuid)], limit=1)
        if not job:
            raise UserError(_("The job of %s no longer exists.", self.name))
        return {
            "type": "ir.actions.act_window",
            "res_model": "queue.job",
            "res_id": job.id,
            "view_mode": "form",
        }

    # -- scheduled actions -----------------------------------------------------

    @api.model
    def _cron_monitor_sla(self):
        """Open exceptions for messages past their SLA (a missing reply, such as
        an acknowledgement, is ``integration.expectation``'s to watch)."""
        now = fields.Datetime.now()
        late = self.sudo().search(
            [
                ("sla_deadline", "<", now),
                ("sla_breached", "=", False),
                ("state", "in", PENDING_STATES),
            ],
            limit=1000,
        )
        for message in late:
            message.sla_breached = True
            message._raise_exception(
                "sla",
                _(
                    "%(ref)s missed its SLA of %(minutes)s minutes (still %(state)s)",
                    ref=message.name,
                    minutes=message.flow_id.sla_minutes,
                    state=message.state,
                ),
                severity="high",
            )
        return len(late)

    @api.model
    def _cron_detect_stuck(self):
        """Find waiting messages whose job is gone or failed; queue them again or
        give up into the exception queue. Nothing waits forever unseen."""
        icp = self.env["ir.config_parameter"].sudo()
        minutes = int(icp.get_param("distribution_integration_base.stuck_minutes", 15))
        threshold = fields.Datetime.now() - timedelta(minutes=minutes)
        candidates = self.sudo().search(
            [("state", "in", PENDING_STATES), ("write_date", "<", threshold)],
            limit=1000,
            order="id",
        )
        jobs = {
            job.uuid: job
            for job in self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", [m.job_uuid for m in candidates if m.job_uuid])])
        }
        requeued = raised = 0
        for message in candidates:
            job = jobs.get(message.job_uuid)
            if job and job.state in ALIVE_JOB_STATES:
                # A live job runs or will run, however long it takes; a job whose
                # worker died goes back to pending through the dead-job requeue
                # (queue_job's own where it has one, else _cron_requeue_dead_jobs).
                continue
            if (
                message.state == "queued"
                and message.flow_id.mode == "batch"
                and not message.job_uuid
            ):
                continue  # waits for its batch run; that run is watched by the SLA
            if message.flow_id._retry_policy().exhausted(message.attempt_count):
                message.write({"state": FAILED_STATE[message.direction]})
                message._raise_exception(
                    "timeout",
                    _(
                        "%(ref)s was stuck %(state)s with no running job after "
                        "%(n)s attempts",
                        ref=message.name,
                        state=message.state,
                        n=message.attempt_count,
                    ),
                    severity="high",
                    closes_on_success=True,
                )
                raised += 1
            else:
                _logger.warning(
                    "Re-enqueueing stuck message %s (state %s, job %s: %s)",
                    message.name,
                    message.state,
                    message.job_uuid,
                    job.state if job else "missing",
                )
                if message.state in IN_FLIGHT_STATE.values():
                    message.state = "retrying"
                message._enqueue()
                requeued += 1
        return requeued, raised

    @api.model
    def _cron_requeue_dead_jobs(self):
        """Put back to pending the jobs of this model whose worker died.

        A job is dead when no transaction holds its attempt lock (a killed
        worker's connection released it) and it was started or handed to a
        worker more than a few seconds ago; a slow job keeps its lock and is
        never touched. The same job is requeued, as queue_job releases with a
        ``queue.job.lock`` table (18.0.3) do with their lock rows: with such a
        release this does nothing, so no job is requeued twice. The crashed
        attempt stays counted; the next start claims the next one.
        """
        if "queue.job.lock" in self.env:
            return []
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            """
            UPDATE queue_job job
               SET state = 'pending',
                   retry = COALESCE(job.retry, 0)
                           + CASE WHEN job.state = 'started' THEN 1 ELSE 0 END,
                   date_enqueued = NULL,
                   date_started = NULL,
                   worker_pid = NULL
             WHERE job.model_name = %(model)s
               AND job.method_name = '_job_run'
               AND job.state IN ('enqueued', 'started')
               AND COALESCE(job.date_started, job.date_enqueued)
                   < (now() at time zone 'UTC') - make_interval(secs => %(grace)s)
               AND NOT EXISTS (
                   SELECT 1
                     FROM jsonb_array_elements_text(
                            -- queue_job stores the recordset as JSON text in jsonb
                            CASE jsonb_typeof(job.records)
                                 WHEN 'string' THEN (job.records #>> '{}')::jsonb
                                 ELSE job.records END -> 'ids') AS rec(id)
                     JOIN pg_locks lock
                       ON lock.locktype = 'advisory'
                      AND lock.database = (SELECT oid FROM pg_database
                                            WHERE datname = current_database())
                      AND lock.classid = %(namespace)s::oid
                      AND lock.objid = rec.id::bigint::oid
                      AND lock.objsubid = 2
                      AND lock.granted
               )
            RETURNING job.uuid
            """,
            {
                "model": self._name,
                "grace": DEAD_JOB_GRACE_SECONDS,
                "namespace": ATTEMPT_LOCK_NAMESPACE,
            },
        )
        uuids = [row[0] for row in self.env.cr.fetchall()]
        self.env["queue.job"].invalidate_model()
        for job_uuid in uuids:
            _logger.warning(
                "Requeued job %s: its worker died (no transaction holds it)", job_uuid
            )
        return uuids

    def _release_failed_job(self, job_uuid, reason, details=None):
        """End the attempt of these messages whose job ``job_uuid`` just failed.

        An error that escaped the attempt (a database error other than a
        retried conflict, a bug) fails the job; the message must not stay
        in flight until the stuck-message detector: it goes to the exception
        queue now, where it can be retried.
        """
        if not self.ids:
            return self.browse()
        # The failed attempt's transaction is still open in this process and may
        # hold these rows: never wait for it (the detector covers a skipped one).
        self.flush_recordset(["state", "job_uuid"])
        self.env.cr.execute(
            """SELECT id FROM integration_message
                WHERE id IN %s AND job_uuid = %s AND state IN %s
                  FOR NO KEY UPDATE SKIP LOCKED""",
            [tuple(self.ids), job_uuid, PENDING_STATES],
        )
        released = self.browse([row[0] for row in self.env.cr.fetchall()])
        for message in released:
            message.write(
                {
                    "state": FAILED_STATE[message.direction],
                    "next_attempt_at": False,
                    "last_error": one_line(reason),
                    "last_error_details": details or reason,
                    "error_category": "mapping",
                }
            )
            message._raise_exception(
                "mapping",
                _(
                    "%(ref)s: its job failed (%(reason)s)",
                    ref=message.name,
                    reason=one_line(reason, limit=200),
                ),
                details=reason,
                severity="high",
                closes_on_success=True,
                traceback=details,
            )
        return released

    @api.model
    def _cron_purge_retention(self, batch_size=1000):
        """Drop payloads, then whole messages, of finished messages past retention."""
        now = fields.Datetime.now()
        purged_payloads = purged_messages = 0
        for flow in (
            self.env["integration.flow"]
            .sudo()
            .with_context(active_test=False)
            .search([])
        ):
            payload_limit = now - timedelta(days=flow.payload_retention_days)
            old = self.sudo().search(
                [
                    ("flow_id", "=", flow.id),
                    ("state", "in", FINAL_STATES),
                    ("create_date", "<", payload_limit),
                    ("payload_purged", "=", False),
                ],
                limit=batch_size,
            )
            attachments = old.payload_attachment_id | old.response_attachment_id
            attachments.unlink()
            old.write({"payload_purged": True})
            purged_payloads += len(old)

            metadata_limit = now - timedelta(days=flow.metadata_retention_days)
            expired = self.sudo().search(
                [
                    ("flow_id", "=", flow.id),
                    ("state", "in", FINAL_STATES),
                    ("create_date", "<", metadata_limit),
                ],
                limit=batch_size,
            )
            purged_messages += len(expired)
            expired.unlink()
        if purged_payloads or purged_messages:
            _logger.info(
                "Retention: %s payloads and %s messages removed",
                purged_payloads,
                purged_messages,
            )
        return purged_payloads, purged_messages

    def unlink(self):
        attachments = self.sudo().mapped("payload_attachment_id") | self.sudo().mapped(
            "response_attachment_id"
        )
        result = super().unlink()
        attachments.unlink()
        return result
