"""The JSON API profile of a 3PL warehouse account, and its two inbound flows.

flow             handler                              client call / effect
tpl-940-out      integration.handler.tpl_release      _tpl_send → _tpl_send_json
tpl-json-in      integration.handler.tpl_json_in      _tpl_apply(kind of the event)
tpl-json-events  integration.handler.tpl_json_events  events(after) → tpl-json-in

Webhooks reach ``tpl-json-in`` through the kernel's inbound gateway
(``/integration/inbound/<endpoint code>/tpl-json-in``, signed with the
endpoint's inbound HMAC secret); pulled events land in the same flow under the
same idempotency key (the event id), so an event received both ways, or twice,
is one message.
"""

import hashlib
import json
import logging

import requests

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_edi.edi.documents import DocumentError
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult
from odoo.exceptions import ValidationError

from ..tpl.guard import document_problem
from ..tpl.json_client import (
    JSON_CONTENT_TYPE,
    EventError,
    JsonWarehouseClient,
    WarehouseRefusal,
    read_event,
)

JSON_IN_FLOW = "distribution_3pl.flow_tpl_json_in"
JSON_EVENTS_FLOW = "distribution_3pl.flow_tpl_json_events"
HTTP_PROTOCOLS = ("rest", "edi_http")
# Outbound kinds → the client's call.
JSON_SENDERS = {
    warehouse.SHIPPING_ORDER: "release",
    warehouse.STOCK_TRANSFER: "announce",
}
# What names a document in the exception queue and the message list.
DOCUMENT_REFERENCES = (
    "shipment_id",
    "receipt_number",
    "report_id",
    "adjustment_number",
)

_logger = logging.getLogger(__name__)


class TplWarehouseAccountJson(models.Model):
    _inherit = "tpl.warehouse.account"

    json_event_cursor = fields.Integer(
        string="Last event pulled",
        copy=False,
        readonly=True,
        help="JSON API: sequence of the last warehouse event read by the scheduled "
        "pull (flow tpl-json-events); the next run asks for the events after it.",
    )

    json_webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_json_webhook_url",
        help="JSON API: where the warehouse posts its events, signed with the "
        "endpoint's inbound HMAC secret (X-Integration-Timestamp and "
        "X-Integration-Signature) and keyed with the event id (Idempotency-Key).",
    )

    @api.depends("endpoint_id.code", "profile")
    def _compute_json_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        flow = self.env.ref(JSON_IN_FLOW, raise_if_not_found=False)
        flow_code = flow.sudo().code if flow else ""
        for account in self:
            code = account.endpoint_id.sudo().code
            account.json_webhook_url = (
                f"{base.rstrip('/')}/integration/inbound/{code}/{flow_code}"
                if account.profile == "json" and code and flow_code
                else False
            )

    @api.constrains("profile", "endpoint_id")
    def _check_json_endpoint(self):
        for account in self.filtered(lambda a: a.profile == "json"):
            if account.endpoint_id.protocol not in HTTP_PROTOCOLS:
                raise ValidationError(
                    _(
                        "%s: the JSON API profile speaks HTTP; give it an endpoint "
                        "of protocol REST.",
                        account.display_name,
                    )
                )

    def _client(self, **options):
        if self.profile == "json":
            return self._client_json(**options)
        return super()._client(**options)

    def _client_json(self, **options):
        endpoint = self.endpoint_id.sudo()
        if endpoint.protocol not in HTTP_PROTOCOLS:
            raise errors.PermanentError(
                _(
                    "%s: the JSON API profile needs an HTTP endpoint.",
                    self.display_name,
                ),
                category="mapping",
            )
        credential = self._credential()
        inbound = endpoint.inbound_credential_id
        if not self.sudo().credential_id and credential == inbound:
            # The webhook secret signs what comes in; calls go out with the
            # endpoint's other credential (the API key), if it has one.
            others = endpoint.credential_ids.filtered(
                lambda c: c.active and c != inbound
            )
            credential = others[:1] or credential
        headers, auth = credential._http_auth()
        return JsonWarehouseClient(
            endpoint._transport(),
            headers=headers,
            auth=auth,
            check=errors.error_for_response,
        )

    def _channel_batch_flows(self):
        flows = super()._channel_batch_flows()
        if self.profile != "json":
            return flows
        # The X12 outbox is no JSON warehouse's: its events are pulled instead.
        flows -= self.env.ref("distribution_3pl.flow_tpl_outbox_poll")
        if self.pull_outbox:
            flows |= self.env.ref(JSON_EVENTS_FLOW)
        return flows

    def _tpl_send_json(self, kind, document, message):
        """Send one document over the warehouse's REST API: shipping orders
        (create, replace, cancel by ``purpose``) and receipt announcements."""
        call = JSON_SENDERS.get(kind)
        if call is None:
            raise errors.PermanentError(
                _("%(account)s: the JSON API profile sends no %(kind)s.",
                  account=self.display_name, kind=kind),
                category="mapping",
            )  # fmt: skip
        client = self._client_json()
        try:
            reference, answer = getattr(client, call)(document)
        except (requests.RequestException, WarehouseRefusal) as exc:
            raise errors.classify_exception(exc) from exc
        finally:
            client.close()
        return reference, answer, JSON_CONTENT_TYPE

    def _tpl_note_event_restart(self, read_up_to, newest):
        """Say on the account (once per restart: the cursor moves back with
        it) that the warehouse's event numbering started again."""
        self.ensure_one()
        _logger.warning(
            "3PL account %s: event numbering restarted (read up to %s, the "
            "warehouse's newest is %s); reading its events from the first",
            self.id,
            read_up_to,
            newest,
        )
        self.message_post(
            body=self.env._(
                "The warehouse's event numbering started again (Odoo had read up "
                "to %(read)s, the warehouse's newest is %(newest)s): its events "
                "were read again from the first; those already received were "
                "not applied twice.",
                read=read_up_to,
                newest=newest,
            ),
            subtype_xmlid="mail.mt_note",
        )


class TplJsonInHandler(models.AbstractModel):
    _name = "integration.handler.tpl_json_in"
    _inherit = "integration.handler.inbound"
    _description = "3PL: apply the warehouse's JSON event (webhook or pulled)"

    def _process(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        try:
            event_id, kind, data = read_event(message._get_payload())
        except EventError as exc:
            raise errors.PermanentError(
                _("The warehouse's event cannot be read: %s", exc),
                category="validation",
            ) from exc
        if self._seen(message, event_id):
            return HandlerResult(external_ref=event_id)  # applied once already
        if not account._tpl_handles(kind):
            account._tpl_apply(kind, None, message, self)  # refused, queued
            return HandlerResult(external_ref=event_id)
        try:
            document = warehouse.read_warehouse_json(kind, data)
        except DocumentError as exc:
            self._raise_exception(
                message,
                "validation",
                _("Event %(event)s of the 3PL cannot be read: %(error)s",
                  event=event_id, error=exc),
                assignee=account.reviewer_id,
            )  # fmt: skip
            return HandlerResult(external_ref=event_id)
        records = account._tpl_apply(kind, document, message, self)
        reference = event_id
        if not document_problem(document):  # a NUL names nothing
            reference = next(
                (document[key] for key in DOCUMENT_REFERENCES if document.get(key)),
                event_id,
            )
        return HandlerResult(
            external_ref=reference, record=records[:1] if records else None
        )

    def _seen(self, message, event_id):
        """Whether another message already carries this event: a delivery
        without the ``Idempotency-Key`` header is not deduplicated by the
        gateway, so the event id is looked up here too."""
        if message.idempotency_key == event_id:
            return False
        return bool(
            self.env["integration.message"]
            .sudo()
            .search_count(
                [
                    ("id", "!=", message.id),
                    ("endpoint_id", "=", message.endpoint_id.id),
                    ("flow_id", "=", message.flow_id.id),
                    ("direction", "=", "inbound"),
                    ("idempotency_key", "=", event_id),
                ],
                limit=1,
            )
        )


class TplJsonEventsHandler(models.AbstractModel):
    _name = "integration.handler.tpl_json_events"
    _inherit = "integration.handler.collector"
    _description = "3PL: pull the warehouse's JSON events"

    def _collect(self, flow, endpoint):
        account = self.env["tpl.warehouse.account"]._for_endpoint(endpoint)
        if account.profile != "json":
            return 0  # X12 warehouses are read by tpl-collect / tpl-outbox-poll
        client = account._client_json()
        cursor = account.json_event_cursor
        try:
            events, last = client.events(cursor)
            if last < cursor:
                # The warehouse numbers its events anew (restored, moved):
                # everything it has is read from its first; the events' ids
                # keep what was stored already from being applied twice.
                events, last = client.events(0)
                account.sudo()._tpl_note_event_restart(cursor, last)
        except (requests.RequestException, EventError) as exc:
            raise errors.classify_exception(exc) from exc
        finally:
            client.close()
        dispatch = self.env["integration.dispatch"]
        json_in = self.env.ref(JSON_IN_FLOW)
        for event in events:
            payload = json.dumps(event, sort_keys=True).encode()
            try:
                event_id = read_event(event)[0]
            except EventError:
                # Stored all the same: tpl-json-in puts it in the exception queue.
                event_id = None
            dispatch._receive(
                json_in,
                endpoint,
                payload,
                # The webhook of the same event carries the same key.
                idempotency_key=event_id
                or f"event:{hashlib.sha256(payload).hexdigest()}",
                content_type=JSON_CONTENT_TYPE,
                external_ref=event_id,
            )
        # Committed with the messages: a rolled-back run reads them again.
        account.sudo().json_event_cursor = last
        return len(events)
