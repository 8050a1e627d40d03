import json
import logging

from odoo import http
from odoo.http import request

from ..kernel import errors, signatures

_logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
CORRELATION_HEADER = "X-Correlation-Id"


class GatewayError(Exception):
    """A refused inbound request: HTTP status, machine code and a clear message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


class IntegrationGateway(http.Controller):
    """One inbound route per endpoint and flow.

    The request is authenticated on its raw body, stored as a message and
    answered 202 with the message reference before any processing; processing
    runs as a job. Client mistakes get a JSON error naming the problem, never
    a 500.
    """

    @http.route(
        "/integration/inbound/<string:endpoint_code>/<string:flow_code>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def inbound(self, endpoint_code, flow_code, **_params):
        try:
            body, status = self._accept(endpoint_code, flow_code)
        except GatewayError as refusal:
            _logger.warning(
                "Inbound %s/%s from %s refused (%s %s): %s",
                endpoint_code,
                flow_code,
                request.httprequest.remote_addr,
                refusal.status,
                refusal.code,
                refusal,
            )
            return self._json(
                {"error": refusal.code, "message": str(refusal)},
                refusal.status,
                refusal.headers,
            )
        return self._json(body, status)

    def _accept(self, endpoint_code, flow_code):
        env = request.env(su=True)
        httprequest = request.httprequest
        endpoint = (
            env["integration.endpoint"]
            .with_context(active_test=False)
            .search([("code", "=", endpoint_code)], limit=1)
        )
        if not endpoint:
            raise GatewayError(
                404, "unknown_endpoint", f"No endpoint with code {endpoint_code!r}."
            )
        flow = env["integration.flow"].search(
            [("code", "=", flow_code), ("direction", "=", "inbound")], limit=1
        )
        if not flow or (flow.endpoint_ids and endpoint not in flow.endpoint_ids):
            raise GatewayError(
                404,
                "unknown_flow",
                f"No active inbound flow {flow_code!r} for endpoint {endpoint_code!r}.",
            )
        if not endpoint.active:
            raise GatewayError(
                403, "endpoint_disabled", f"Endpoint {endpoint_code!r} is disabled."
            )
        if not endpoint._ip_allowed(httprequest.remote_addr):
            raise GatewayError(
                403,
                "ip_not_allowed",
                f"Address {httprequest.remote_addr} is not in the allowlist of "
                f"{endpoint_code!r}.",
            )
        limit = endpoint.inbound_max_payload_kb * 1024
        length = httprequest.content_length
        if limit and length is not None and length > limit:
            raise GatewayError(
                413,
                "payload_too_large",
                f"Payload of {length} bytes exceeds the {limit} bytes allowed.",
            )
        raw = httprequest.get_data(cache=True, as_text=False, parse_form_data=False)
        if limit and len(raw) > limit:
            raise GatewayError(
                413,
                "payload_too_large",
                f"Payload of {len(raw)} bytes exceeds the {limit} bytes allowed.",
            )
        self._authenticate(endpoint, raw)
        if not raw:
            raise GatewayError(400, "empty_body", "The request body is empty.")
        content_type = httprequest.headers.get(
            "Content-Type", "application/octet-stream"
        )
        if content_type.split(";")[0].strip().endswith("json"):
            try:
                json.loads(raw)
            except ValueError as exc:
                raise GatewayError(
                    400, "malformed_json", f"The body is not valid JSON: {exc}."
                ) from exc
        self._check_rate(endpoint)
        idempotency_key = next(
            (
                httprequest.headers[h]
                for h in IDEMPOTENCY_HEADERS
                if httprequest.headers.get(h)
            ),
            None,
        )
        if idempotency_key and len(idempotency_key) > 255:
            raise GatewayError(
                400,
                "bad_idempotency_key",
                "The idempotency key is longer than 255 characters.",
            )
        message, created = env["integration.dispatch"]._create_message(
            "inbound",
            flow,
            endpoint,
            raw,
            idempotency_key=idempotency_key,
            correlation_id=httprequest.headers.get(CORRELATION_HEADER),
            content_type=content_type,
        )
        body = {
            "message": message.name,
            "state": message.state,
            "correlation_id": message.correlation_id,
            "duplicate": not created,
        }
        return body, 202 if created else 200

    def _authenticate(self, endpoint, raw):
        credential = endpoint.inbound_credential_id
        if not credential or not credential.active:
            raise GatewayError(
                403,
                "no_inbound_credential",
                f"Endpoint {endpoint.code!r} has no inbound credential configured.",
            )
        headers = request.httprequest.headers
        try:
            secrets = credential._secrets_for_verification()
        except errors.IntegrationError as exc:
            # Misconfigured server (e.g. master key): the caller cannot fix it.
            _logger.error("Inbound credential of %s unusable: %s", endpoint.code, exc)
            raise GatewayError(
                503,
                "credential_unavailable",
                "The endpoint's credential cannot be used right now.",
            ) from exc
        if endpoint.inbound_auth == "hmac":
            try:
                signatures.verify(
                    secrets,
                    raw,
                    headers.get(signatures.SIGNATURE_HEADER),
                    headers.get(signatures.TIMESTAMP_HEADER),
                )
            except signatures.SignatureError as exc:
                raise GatewayError(401, f"signature_{exc.reason}", str(exc)) from exc
            return
        header = endpoint.inbound_secret_header or "X-Api-Key"
        presented = headers.get(header)
        if not presented:
            raise GatewayError(
                401, "credential_missing", f"Header {header} is missing."
            )
        # Compare against every accepted secret so timing does not reveal which.
        matches = [signatures.constant_time_equals(presented, s) for s in secrets]
        if not any(matches):
            raise GatewayError(
                401, "credential_mismatch", f"Header {header} does not match."
            )

    def _check_rate(self, endpoint):
        limit = endpoint.inbound_rate_limit_per_minute
        if not limit:
            return
        cr = request.env.cr
        cr.execute(
            """SELECT count(*) FROM integration_message
                WHERE endpoint_id = %s AND direction = 'inbound'
                  AND create_date > (now() at time zone 'UTC')
                                    - interval '60 seconds'""",
            [endpoint.id],
        )
        if cr.fetchone()[0] >= limit:
            raise GatewayError(
                429,
                "rate_limited",
                f"More than {limit} requests per minute for {endpoint.code!r}; "
                "retry later.",
                headers={"Retry-After": "60"},
            )

    def _json(self, body, status, headers=None):
        return request.make_response(
            json.dumps(body),
            headers=[("Content-Type", "application/json"), *(headers or {}).items()],
            status=status,
        )
