import hashlib
import json
import logging
import uuid
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models, tools
from odoo.addons.queue_job.utils import must_run_without_delay
from odoo.exceptions import UserError

from .integration_message import new_job_uuid

_logger = logging.getLogger(__name__)


class IntegrationDispatch(models.AbstractModel):
    """The one API every channel uses to move messages.

    Its methods start with an underscore so that they cannot be called over
    RPC: they work with superuser rights on behalf of business code (a buyer
    confirming an order must be able to send it without configuring anything),
    so only server-side code may reach them.

    ``_send`` and ``_receive`` write the message in the caller's transaction and
    queue its job in the same transaction (transactional outbox): if the
    business transaction rolls back, neither the message nor the job exists;
    once it commits, the queue_job runner picks the job up. Retries, backoff,
    circuit breaking, idempotency, logging and exceptions all happen here, so
    channels only provide handlers (see ``integration.handler``).
    """

    _name = "integration.dispatch"
    _description = "Integration Dispatch API"

    @api.model
    def _send(
        self,
        flow,
        endpoint,
        payload,
        *,
        record=None,
        idempotency_key=None,
        correlation_id=None,
        content_type=None,
        parent=None,
        partner=None,
        external_ref=None,
        filename=None,
    ):
        """Queue an outbound message and return it.

        :param flow: ``integration.flow`` record or flow code (outbound flow)
        :param endpoint: ``integration.endpoint`` record or endpoint code
        :param payload: bytes, str, or a dict/list (serialised as JSON)
        :param record: the business record the message concerns (optional)
        :param idempotency_key: the same key for the same endpoint and flow
            returns the existing message instead of sending twice
        :param correlation_id: shared by related messages; defaults to the
            parent's, else a new UUID
        :param content_type: MIME type; deduced from ``payload`` when omitted
        :param parent: the message this one answers or follows (optional)
        :return: the ``integration.message`` (new, or the existing duplicate)
        """
        message, _created = self._create_message(
            "outbound",
            flow,
            endpoint,
            payload,
            record=record,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id,
            content_type=content_type,
            parent=parent,
            partner=partner,
            external_ref=external_ref,
            filename=filename,
        )
        return message

    @api.model
    def _receive(
        self,
        flow,
        endpoint,
        payload,
        *,
        record=None,
        idempotency_key=None,
        correlation_id=None,
        content_type=None,
        parent=None,
        partner=None,
        external_ref=None,
        filename=None,
    ):
        """Log an inbound message, queue its processing, and return it.

        Receiving an idempotency key already seen for this endpoint and flow
        returns the first message and has no second business effect.
        Parameters are those of :meth:`_send`.
        """
        message, _created = self._create_message(
            "inbound",
            flow,
            endpoint,
            payload,
            record=record,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id,
            content_type=content_type,
            parent=parent,
            partner=partner,
            external_ref=external_ref,
            filename=filename,
        )
        return message

    @api.model
    def _acknowledge(self, message, *, accepted=True, details=None, ack_message=None):
        """Record the partner's acknowledgement of an outbound ``message``.

        Accepted → ``acknowledged``; refused → ``dead`` with an exception that
        carries ``details`` (e.g. the partner's error codes).
        """
        message._acknowledge(
            accepted=accepted, details=details, ack_message=ack_message
        )
        return message

    @api.model
    def _raise_exception(
        self,
        message,
        category,
        title,
        *,
        details=None,
        severity="medium",
        problem_key=None,
        record=None,
    ):
        """Put a business problem found by a channel into the exception queue.

        The same open problem (category and ``problem_key``) on the same message
        is not opened twice: its occurrence count goes up. ``record``: the
        business document concerned (default: the message's related record),
        linked from the exception; its owner is assigned.
        """
        return message._raise_exception(
            category,
            title,
            details=details,
            severity=severity,
            problem_key=problem_key,
            record=record,
        )

    # -- internals ---------------------------------------------------------------

    @api.model
    def _resolve(self, model, value, label):
        if isinstance(value, models.BaseModel):
            value.ensure_one()
            return value.sudo()
        record_id = self._id_for_code(model, value)
        if not record_id:
            raise UserError(_("Unknown %(label)s %(code)r.", label=label, code=value))
        return self.env[model].sudo().browse(record_id)

    @api.model
    @tools.ormcache("model", "code")
    def _id_for_code(self, model, code):
        # Channels dispatch by code on every message; the mixin clears this cache
        # whenever a code changes.
        record = (
            self.env[model]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", code)], limit=1)
        )
        return record.id

    @api.model
    def _encode_payload(self, payload, content_type):
        if isinstance(payload, (dict, list)):
            return (
                json.dumps(payload, separators=(",", ":"), sort_keys=True).encode(),
                content_type or "application/json",
            )
        if isinstance(payload, str):
            return payload.encode(), content_type or "text/plain; charset=utf-8"
        if isinstance(payload, bytes | bytearray | memoryview):
            return bytes(payload), content_type or "application/octet-stream"
        raise UserError(
            _(
                "A payload must be bytes, text or a JSON-serialisable dict or list, "
                "not %s.",
                type(payload).__name__,
            )
        )

    @api.model
    def _create_message(
        self,
        direction,
        flow,
        endpoint,
        payload,
        *,
        record=None,
        idempotency_key=None,
        correlation_id=None,
        content_type=None,
        parent=None,
        partner=None,
        external_ref=None,
        filename=None,
        enqueue=True,
        key_locked=False,
        reference=None,
        profiles=None,
    ):
        """Create a message, or find its duplicate; return ``(message, created)``.

        ``key_locked``: the caller holds a lock on ``idempotency_key`` until its
        transaction ends and found no message with it (the inbound gateway
        does both in one statement), so there is no look-up and the insert
        runs without a savepoint; a unique violation (a message committed by
        another transaction after this one began) then aborts the transaction
        and is the caller's to handle. ``reference``: the message's reference,
        when the caller took it already (``_next_reference``). ``profiles``:
        the flow's and endpoint's ``_dispatch_profile``, when the caller read
        them already.
        """
        flow = self._resolve("integration.flow", flow, _("flow"))
        endpoint = self._resolve("integration.endpoint", endpoint, _("endpoint"))
        # Cached plain values: no flow or endpoint read per message.
        flow_profile, endpoint_profile = profiles or (
            self.env["integration.flow"]._dispatch_profile(flow.id),
            self.env["integration.endpoint"]._dispatch_profile(endpoint.id),
        )
        if flow_profile["direction"] != direction:
            raise UserError(
                _(
                    "Flow %(flow)s is %(flow_direction)s; it cannot carry "
                    "%(direction)s messages.",
                    flow=flow_profile["code"],
                    flow_direction=flow_profile["direction"],
                    direction=direction,
                )
            )
        if not endpoint_profile["active"]:
            raise UserError(_("Endpoint %s is archived.", endpoint_profile["code"]))
        messages = self.env["integration.message"].sudo()
        if idempotency_key and not key_locked:
            existing = messages._find_duplicate(
                direction, flow, endpoint, idempotency_key
            )
            if existing:
                return existing, False
        raw, content_type = self._encode_payload(payload, content_type)
        if record:
            record.ensure_one()
        now = fields.Datetime.now()
        vals = {
            "name": reference or messages._next_reference(),
            "direction": direction,
            "flow_id": flow.id,
            "endpoint_id": endpoint.id,
            "company_id": endpoint_profile["company_id"],
            "state": "queued" if direction == "outbound" else "received",
            "idempotency_key": idempotency_key or False,
            "correlation_id": correlation_id
            or (parent.correlation_id if parent else False)
            or str(uuid.uuid4()),
            "parent_id": parent.id if parent else False,
            "partner_id": partner.id if partner else False,
            "external_ref": external_ref or False,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "sla_deadline": now + timedelta(minutes=flow_profile["sla_minutes"])
            if flow_profile["sla_minutes"]
            else False,
            # With the row: storing the payload then only links its attachment.
            "payload_size": len(raw),
            "payload_sha256": hashlib.sha256(raw).hexdigest(),
            "content_type": content_type,
        }
        enqueue = enqueue and (
            flow_profile["mode"] == "realtime" or direction == "inbound"
        )
        job_uuid = None
        if enqueue and not must_run_without_delay(self.env):
            # The job's link goes in with the row: no second write per message.
            job_uuid = new_job_uuid()
            vals.update(job_uuid=job_uuid, next_attempt_at=now)
        try:
            if key_locked:
                message = messages.create(vals)
            else:
                with self.env.cr.savepoint():
                    message = messages.create(vals)
        except psycopg2.errors.UniqueViolation:
            if key_locked:
                raise
            # A concurrent transaction stored the same key first.
            existing = messages._find_duplicate(
                direction, flow, endpoint, idempotency_key
            )
            if existing:
                return existing, False
            raise
        message._store_payload(raw, content_type, filename=filename)
        if enqueue:
            message._enqueue(job_uuid=job_uuid)
        return message, True

    @api.model
    def _run_batch_flows(self, flows=None, endpoints=None):
        """Run due batch flows: collect from each endpoint, then queue what waits.

        ``endpoints`` limits a run to those endpoints (a person's run reaches
        only the endpoints they manage); the flow's schedule then stays as it is.
        """
        now = fields.Datetime.now()
        if flows is None:
            flows = (
                self.env["integration.flow"]
                .sudo()
                .search([("mode", "=", "batch"), ("batch_next_run_at", "<=", now)])
            )
        messages = self.env["integration.message"].sudo()
        for flow in flows.sudo():
            collected = 0
            # A model is an empty recordset: test for its presence, not its truth.
            handler = self.env.get(flow.handler) if flow.handler else None
            flow_endpoints = flow.endpoint_ids.filtered("active")
            partial = endpoints is not None and bool(flow_endpoints - endpoints)
            if endpoints is not None:
                flow_endpoints &= endpoints.sudo()
            for endpoint in flow_endpoints:
                if handler is None:
                    break
                try:
                    with self.env.cr.savepoint():
                        collected += handler._collect(flow, endpoint) or 0
                except Exception as exc:  # one endpoint failing must not stop others
                    _logger.exception(
                        "Batch collect of %s from %s failed", flow.code, endpoint.code
                    )
                    self.env["integration.exception"].sudo().create(
                        {
                            "name": _(
                                "Batch run of %(flow)s could not collect from "
                                "%(endpoint)s: %(error)s",
                                flow=flow.code,
                                endpoint=endpoint.code,
                                error=exc,
                            )[:250],
                            "flow_id": flow.id,
                            "endpoint_id": endpoint.id,
                            "category": "transport",
                            "severity": "medium",
                            "details": str(exc),
                        }
                    )
            domain = [
                ("flow_id", "=", flow.id),
                ("state", "=", "queued"),
                ("job_uuid", "=", False),
            ]
            if partial:
                domain.append(("endpoint_id", "in", endpoints.ids))
            waiting = messages.search(domain)
            waiting._enqueue()
            schedule = {"batch_last_run_at": now}
            if not partial:
                # Other endpoints keep their turn when only some of them ran.
                schedule["batch_next_run_at"] = flow._next_batch_run(
                    max(now, flow.batch_next_run_at or now)
                )
            flow.write(schedule)
            _logger.info(
                "Batch flow %s: %s collected, %s queued",
                flow.code,
                collected,
                len(waiting),
            )
        return True
