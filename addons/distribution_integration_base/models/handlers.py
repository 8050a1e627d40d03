"""Generic handlers shipped with the kernel.

``integration.handler.http_json`` delivers outbound payloads to REST endpoints;
``integration.handler.partner_upsert`` applies inbound partner master data.
Channels add their own handlers the same way.
"""

import threading

import requests

from odoo import _, models

from ..kernel import errors, transports
from ..kernel.results import HandlerResult

# One requests.Session per (database, endpoint): connection reuse without
# sharing cookies or auth between partners.
_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()


def endpoint_session(endpoint):
    """The shared ``requests.Session`` of an endpoint."""
    key = (endpoint.env.cr.dbname, endpoint.id)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = requests.Session()
        return session


class HttpJsonHandler(models.AbstractModel):
    _name = "integration.handler.http_json"
    _inherit = "integration.handler.outbound"
    _description = "HTTP POST of the payload (REST/JSON)"

    def _send(self, message):
        endpoint = message.endpoint_id
        if not endpoint.base_url or not endpoint.base_url.startswith(
            ("http://", "https://")
        ):
            raise errors.PermanentError(
                _(
                    "Endpoint %s has no HTTP base URL; set one on the endpoint.",
                    endpoint.code,
                ),
                category="mapping",
            )
        body = message._get_payload()
        headers = {
            "Content-Type": message.content_type or "application/octet-stream",
            # Lets the partner drop a resend after a lost answer.
            "Idempotency-Key": message.idempotency_key or message.name,
            "X-Correlation-Id": message.correlation_id or "",
            "X-Integration-Message": message.name,
        }
        credential = endpoint._active_credential()
        auth = None
        if credential and credential.kind != "client_certificate":
            extra_headers, auth = credential._http_auth(body)
            headers.update(extra_headers)
        # The kernel's HTTP transport: one session per endpoint, its timeouts,
        # and the one rule that judges failures and statuses.
        transport = transports.HttpTransport(
            endpoint.base_url,
            timeout=endpoint._timeout(),
            session=endpoint_session(endpoint),
        )
        path = message.flow_id.http_path or ""
        if credential.kind == "client_certificate":
            with credential._client_certificate_files() as cert:
                response = transport.put(path, body, headers=headers, cert=cert)
        else:
            response = transport.put(path, body, headers=headers, auth=auth)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        reference = None
        if isinstance(answer, dict):
            reference = answer.get("id") or answer.get("reference")
        return HandlerResult(
            external_ref=str(reference) if reference else None,
            response_payload=response.content,
            response_content_type=response.headers.get(
                "Content-Type", "application/octet-stream"
            ),
        )


class PartnerUpsertHandler(models.AbstractModel):
    _name = "integration.handler.partner_upsert"
    _inherit = "integration.handler.inbound"
    _description = "Create or update a partner from JSON"

    _required_keys = ("ref", "name")
    _writable_keys = (
        "name",
        "email",
        "phone",
        "street",
        "city",
        "zip",
        "vat",
        "is_company",
    )

    def _process(self, message):
        data = self._payload_json(message)
        if not isinstance(data, dict):
            raise errors.PermanentError(
                _(
                    "Payload must be a JSON object with at least %s.",
                    ", ".join(self._required_keys),
                ),
                category="validation",
            )
        missing = [key for key in self._required_keys if not data.get(key)]
        if missing:
            raise errors.PermanentError(
                _("Payload lacks required field(s): %s.", ", ".join(missing)),
                category="validation",
            )
        vals = {key: data[key] for key in self._writable_keys if key in data}
        if data.get("country_code"):
            country = self.env["res.country"].search(
                [("code", "=", str(data["country_code"]).upper())], limit=1
            )
            if not country:
                raise errors.PermanentError(
                    _("Unknown country code %r.", data["country_code"]),
                    category="mapping",
                )
            vals["country_id"] = country.id
        partners = self.env["res.partner"].sudo().with_company(message.company_id)
        partner = partners.search(
            [
                ("ref", "=", data["ref"]),
                ("company_id", "in", (False, message.company_id.id)),
            ],
            limit=1,
        )
        if partner:
            partner.write(vals)
        else:
            partner = partners.create(
                dict(vals, ref=data["ref"], company_id=message.company_id.id)
            )
        return HandlerResult(record=partner, partner=partner)
