import ipaddress
import json
import logging
from datetime import UTC, datetime, timedelta

import psycopg2
from psycopg2 import errorcodes
from werkzeug.exceptions import HTTPException

from odoo import http
from odoo.http import request

from ..kernel import errors, inbound, signatures
from ..kernel.inbound import InboundRefusal, loggable
from ..models.integration_endpoint import ip_allowed
from ..models.integration_gateway_guard import endpoint_key

_logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
CORRELATION_HEADER = "X-Correlation-Id"
ROUTING_TYPE = "integration_gateway"


class GatewayDispatcher(http.Dispatcher):
    """Odoo's dispatcher for the inbound gateway's routes.

    Unlike ``type="http"`` it parses neither the query string nor a form body
    before the controller runs (a form or multipart body would be read in full
    before authentication, and a query parameter named like an argument of the
    controller makes Odoo answer 500), and whatever goes wrong is answered in
    JSON, never with an HTML page.
    """

    routing_type = ROUTING_TYPE

    @classmethod
    def is_compatible_with(cls, request):
        return True

    def dispatch(self, endpoint, args):
        self.request.params = dict(args)
        return self.request.registry["ir.http"]._dispatch(endpoint)

    def handle_error(self, exc):
        if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
            status, code, message = exc.code, "bad_request", exc.description
        elif isinstance(exc, psycopg2.OperationalError) and exc.pgcode in (
            errorcodes.SERIALIZATION_FAILURE,
            "40P01",
            "55P03",
        ):
            # Odoo already retried the request: the database is too busy.
            status, code = 503, "busy"
            message = "The server is busy; retry in a few seconds."
        else:
            status, code = 500, "internal_error"
            message = "The request could not be processed; it was not stored."
        return json_response(
            {"error": code, "message": str(message)},
            status,
            {"Retry-After": "5"} if status == 503 else None,
        )


def json_response(body, status, headers=None):
    return http.Response(
        json.dumps(body),
        status=status,
        headers=[("Content-Type", "application/json"), *(headers or {}).items()],
    )


def _client_address(raw):
    # Stored and compared as text: never let a strange value reach SQL as is.
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return f"invalid:{endpoint_key(raw)[:16]}"


def _not_found(endpoint_code):
    # One answer for an unknown endpoint, an archived one, one without inbound
    # credential and an address outside the allowlist, so that nobody can learn
    # which endpoint codes exist before they authenticate.
    return InboundRefusal(
        404,
        "not_found",
        f"No inbound endpoint {endpoint_code[:63]!r} accepts this request.",
    )


class IntegrationGateway(http.Controller):
    """One inbound route per endpoint and flow.

    The request is authenticated on its raw body, stored as a message and
    answered 202 with the message reference before any processing; processing
    runs as a job. Client mistakes get a JSON error naming the problem, never
    a 500.
    """

    @http.route(
        "/integration/inbound/<string:endpoint_code>/<string:flow_code>",
        type=ROUTING_TYPE,
        auth="public",
        csrf=False,
        save_session=False,
    )
    def inbound(self, endpoint_code, flow_code):
        httprequest = request.httprequest
        try:
            if httprequest.method != "POST":
                raise InboundRefusal(
                    405,
                    "method_not_allowed",
                    "Only POST is accepted here.",
                    headers={"Allow": "POST"},
                )
            body, status = self._accept(endpoint_code, flow_code)
        except InboundRefusal as refusal:
            _logger.warning(
                "Inbound %s/%s from %s refused (%s %s): %s",
                loggable(endpoint_code),
                loggable(flow_code),
                loggable(httprequest.remote_addr, 60),
                refusal.status,
                refusal.code,
                loggable(str(refusal), 300),
            )
            return json_response(
                {"error": refusal.code, "message": str(refusal)},
                refusal.status,
                refusal.headers,
            )
        return json_response(body, status)

    @http.route(
        ["/integration/inbound", "/integration/inbound/<path:rest>"],
        type=ROUTING_TYPE,
        auth="public",
        csrf=False,
        save_session=False,
    )
    def inbound_no_route(self, rest=""):
        _logger.warning(
            "Inbound request for %s from %s refused (404 not_found)",
            loggable(request.httprequest.path),
            loggable(request.httprequest.remote_addr, 60),
        )
        return json_response(
            {
                "error": "not_found",
                "message": "Post to /integration/inbound/<endpoint code>/<flow code>.",
            },
            404,
        )

    # -- steps ---------------------------------------------------------------

    def _accept(self, endpoint_code, flow_code):
        env = request.env(su=True)
        httprequest = request.httprequest
        address = _client_address(httprequest.remote_addr)
        key = endpoint_key(endpoint_code)
        failures = env["integration.gateway.failure"]
        dispatch = env["integration.dispatch"]
        # The endpoint, its credential and the flow as plain values from a
        # per-worker cache keyed by their last write, read with the throttle's
        # verdict in one statement: a change made anywhere, even by a process
        # that does not signal Odoo's caches, is seen on the next request.
        endpoint_id = flow_id = 0
        if inbound.is_code(endpoint_code):
            endpoint_id = dispatch._id_for_code("integration.endpoint", endpoint_code)
            # Flow codes of no existing endpoint are never looked up (nor cached).
            if endpoint_id and inbound.is_code(flow_code):
                flow_id = dispatch._id_for_code("integration.flow", flow_code)
        versions, retry_after = failures._inbound_state(
            address, key, endpoint_id or 0, flow_id or 0
        )
        # Throttle first: nothing below runs for an address that keeps failing.
        if retry_after:
            raise InboundRefusal(
                429,
                "too_many_failures",
                f"Too many refused requests from this address; retry in "
                f"{retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
        endpoint = flow = None
        if versions:
            endpoint = env["integration.endpoint"]._dispatch_profile(
                endpoint_id, versions[0]
            )
            if flow_id and versions[1]:
                flow = env["integration.flow"]._dispatch_profile(flow_id, versions[1])
        try:
            return self._accept_for(endpoint, flow, endpoint_code, flow_code)
        except InboundRefusal as refusal:
            if refusal.status in (401, 404) and refusal.code != "unknown_flow":
                failures._record(address, key, refusal.code)
            raise

    def _accept_for(self, endpoint, flow, endpoint_code, flow_code):
        """Check and store one request; ``endpoint`` and ``flow`` are cached
        profiles (``_dispatch_profile``), ``None`` when there is none."""
        httprequest = request.httprequest
        if not endpoint:
            raise _not_found(endpoint_code)
        if not endpoint["credential_id"] or not endpoint["credential_active"]:
            _logger.info("Endpoint %s has no inbound credential", endpoint["code"])
            raise _not_found(endpoint_code)
        if not ip_allowed(endpoint["inbound_allowlist"], httprequest.remote_addr):
            _logger.info(
                "Address %s not in the allowlist of %s",
                loggable(httprequest.remote_addr, 60),
                endpoint["code"],
            )
            raise _not_found(endpoint_code)
        if not endpoint["active"]:
            # Archived: say so only to a caller holding the endpoint's secret.
            try:
                self._authenticate(endpoint, self._read_body(endpoint))
            except InboundRefusal:
                raise _not_found(endpoint_code) from None
            raise InboundRefusal(
                403,
                "endpoint_disabled",
                f"Endpoint {endpoint['code']!r} is disabled.",
            )
        raw = self._read_body(endpoint)
        signature = self._authenticate(endpoint, raw)
        # A fixed time zone: the message reference's year would otherwise read
        # the public user's preferences; the endpoint's company as the current
        # one: the job's company would otherwise read the public user.
        env = request.env(
            su=True,
            context=dict(
                request.env.context,
                tz="UTC",
                allowed_company_ids=[endpoint["company_id"]],
            ),
        )
        if (
            not flow
            or not flow["active"]
            or flow["direction"] != "inbound"
            or (flow["endpoint_ids"] and endpoint["id"] not in flow["endpoint_ids"])
        ):
            raise InboundRefusal(
                404,
                "unknown_flow",
                f"No active inbound flow {flow_code[:63]!r} for endpoint "
                f"{endpoint['code']!r}.",
            )
        headers = httprequest.headers
        content_type = inbound.header_value(headers, "Content-Type")
        inbound.check_content_type(content_type, flow["inbound_content_types"])
        idempotency_key = None
        for name in IDEMPOTENCY_HEADERS:
            idempotency_key = inbound.header_value(headers, name, "the idempotency key")
            if idempotency_key:
                break
        correlation_id = inbound.header_value(
            headers, CORRELATION_HEADER, "the correlation id"
        )
        if not raw:
            raise InboundRefusal(400, "empty_body", "The request body is empty.")
        if inbound.is_json_type(inbound.parse_media_type(content_type)[0]):
            inbound.check_json(raw)
        self._check_rate(endpoint)
        reference = None
        if idempotency_key:
            free, number, existing = self._lock_key(endpoint, flow, idempotency_key)
            reference = env["integration.message"]._next_reference(number)
            if not free:
                # Another request with this key was being stored: now that it
                # has finished, answer with its message if it made one.
                committed = self._committed_duplicate(endpoint, flow, idempotency_key)
                if committed:
                    return committed, 200
            elif existing:
                return existing, 200
        if signature:
            duplicate = self._refuse_replay(endpoint, flow, signature, idempotency_key)
            if duplicate:
                return duplicate, 200
        try:
            message, created = env["integration.dispatch"]._create_message(
                "inbound",
                env["integration.flow"].browse(flow["id"]),
                env["integration.endpoint"].browse(endpoint["id"]),
                raw,
                idempotency_key=idempotency_key,
                correlation_id=correlation_id,
                content_type=content_type,
                # The key's lock is held and no message has the key: no
                # savepoint, no second look-up (see the except clause).
                key_locked=bool(idempotency_key),
                reference=reference,
                profiles=(flow, endpoint),
            )
        except psycopg2.errors.UniqueViolation:
            # Another worker stored the same key after this transaction began:
            # its row is committed but invisible to this snapshot. Without a
            # savepoint this transaction is aborted: end it, and answer with
            # the committed message (read on a cursor of its own).
            env.cr.rollback()
            committed = self._committed_duplicate(endpoint, flow, idempotency_key)
            if not committed:
                raise
            return committed, 200
        return self._answer(message, created=created)

    def _answer(self, message, created):
        body = {
            "message": message.name,
            "state": message.state,
            "correlation_id": message.correlation_id,
            "duplicate": not created,
        }
        return body, 202 if created else 200

    def _read_body(self, endpoint):
        httprequest = request.httprequest
        limit = (
            endpoint["inbound_max_payload_kb"] * 1024
        ) or httprequest.max_content_length
        if "chunked" in (httprequest.headers.get("Transfer-Encoding") or "").lower():
            # The size must be known before reading: a chunked body has no end
            # the gateway can check up front.
            raise InboundRefusal(
                411, "length_required", "Send the body with a Content-Length header."
            )
        length = httprequest.content_length
        if limit and length is not None and length > limit:
            raise InboundRefusal(
                413,
                "payload_too_large",
                f"Payload of {length} bytes exceeds the {limit} bytes allowed.",
            )
        # Cached: Odoo serves the request again after a serialization failure.
        raw = httprequest.get_data(cache=True, as_text=False, parse_form_data=False)
        if limit and len(raw) > limit:
            raise InboundRefusal(
                413,
                "payload_too_large",
                f"Payload of {len(raw)} bytes exceeds the {limit} bytes allowed.",
            )
        return raw

    def _authenticate(self, endpoint, raw):
        """Check the request's credential; return the normalised HMAC signature
        (``None`` for header secrets)."""
        headers = request.httprequest.headers
        try:
            secrets = request.env["integration.credential"]._verification_secrets(
                endpoint["credential_tokens"], endpoint["credential_name"]
            )
        except errors.IntegrationError as exc:
            # Misconfigured server (e.g. master key): the caller cannot fix it.
            _logger.error(
                "Inbound credential of %s unusable: %s", endpoint["code"], exc
            )
            raise InboundRefusal(
                503,
                "credential_unavailable",
                "The endpoint's credential cannot be used right now.",
            ) from exc
        if endpoint["inbound_auth"] == "hmac":
            signature = headers.get(signatures.SIGNATURE_HEADER)
            try:
                signatures.verify(
                    secrets,
                    raw,
                    signature,
                    headers.get(signatures.TIMESTAMP_HEADER),
                )
            except signatures.SignatureError as exc:
                raise InboundRefusal(401, f"signature_{exc.reason}", str(exc)) from exc
            return signatures.normalized_signature(signature)
        header = endpoint["inbound_secret_header"] or "X-Api-Key"
        presented = headers.get(header)
        if not presented:
            raise InboundRefusal(
                401, "credential_missing", f"Header {header} is missing."
            )
        # Compare against every accepted secret so timing does not reveal which.
        matches = [signatures.constant_time_equals(presented, s) for s in secrets]
        if not any(matches):
            raise InboundRefusal(
                401, "credential_mismatch", f"Header {header} does not match."
            )
        return None

    def _refuse_replay(self, endpoint, flow, signature, idempotency_key):
        """Remember this signed request until its timestamp window closes; the
        same signature again within it is a replay: 409 (or, when it carries
        the key of the message the first one stored, that message)."""
        timestamp = int(request.httprequest.headers[signatures.TIMESTAMP_HEADER])
        expires_at = datetime.fromtimestamp(timestamp, UTC).replace(
            tzinfo=None
        ) + timedelta(seconds=signatures.DEFAULT_TOLERANCE_SECONDS)
        replays = request.env["integration.gateway.replay"].sudo()
        if replays._remember(endpoint["id"], signature, expires_at):
            return None
        committed = self._committed_duplicate(endpoint, flow, idempotency_key)
        if committed:
            return committed
        raise InboundRefusal(
            409,
            "replayed_request",
            "This signed request was already received: a new delivery needs a "
            "new timestamp and signature (an Idempotency-Key makes resending "
            "the same event safe).",
        )

    def _lock_key(self, endpoint, flow, idempotency_key):
        """Serialise requests carrying the same key until this transaction ends.

        Return ``(free, number, existing)``: whether the lock was free (False:
        another request held it, and has now finished), a number for the
        reference of a new message, and the answer for the message already
        stored with this key (``None`` if none is visible). One round trip on
        the path of every keyed request.
        """
        cr = request.env.cr
        lock = f"integration.inbound:{endpoint['id']}:{flow['id']}:{idempotency_key}"
        cr.execute(
            """SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)),
                      nextval('integration_message_reference_seq'),
                      m.name, m.state, m.correlation_id
                 FROM (SELECT 1) AS one
                 LEFT JOIN LATERAL (
                      SELECT name, state, correlation_id FROM integration_message
                       WHERE endpoint_id = %s AND flow_id = %s
                         AND direction = 'inbound' AND idempotency_key = %s
                       LIMIT 1) AS m ON TRUE""",
            [lock, endpoint["id"], flow["id"], idempotency_key],
        )
        free, number, name, state, correlation_id = cr.fetchone()
        existing = None
        if name:
            existing = {
                "message": name,
                "state": state,
                "correlation_id": correlation_id,
                "duplicate": True,
            }
        if not free:
            cr.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [lock])
        return free, number, existing

    def _committed_duplicate(self, endpoint, flow, idempotency_key):
        """The answer for the message another transaction committed with this
        key, read on a cursor of its own (this transaction cannot see it)."""
        if not idempotency_key:
            return None
        with request.env.registry.cursor() as cr:
            cr.execute(
                """SELECT name, state, correlation_id FROM integration_message
                    WHERE endpoint_id = %s AND flow_id = %s
                      AND direction = 'inbound' AND idempotency_key = %s
                    LIMIT 1""",
                [endpoint["id"], flow["id"], idempotency_key],
            )
            row = cr.fetchone()
        if not row:
            return None
        return {
            "message": row[0],
            "state": row[1],
            "correlation_id": row[2],
            "duplicate": True,
        }

    def _check_rate(self, endpoint):
        limit = endpoint["inbound_rate_limit_per_minute"]
        if not limit:
            return
        cr = request.env.cr
        cr.execute(
            """SELECT count(*) FROM integration_message
                WHERE endpoint_id = %s AND direction = 'inbound'
                  AND create_date > (now() at time zone 'UTC')
                                    - interval '60 seconds'""",
            [endpoint["id"]],
        )
        if cr.fetchone()[0] >= limit:
            raise InboundRefusal(
                429,
                "rate_limited",
                f"More than {limit} requests per minute for {endpoint['code']!r}; "
                "retry later.",
                headers={"Retry-After": "60"},
            )

    def _json(self, body, status, headers=None):
        return json_response(body, status, headers)
