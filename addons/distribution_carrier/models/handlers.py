"""Flow handlers of the carrier channel: flow code → handler → adapter.

=======================  ===========================================  =========
flow                     handler                                      adapter
=======================  ===========================================  =========
carrier-book             integration.handler.carrier_book             ship
carrier-cancel           integration.handler.carrier_cancel           cancel
carrier-return           integration.handler.carrier_return           return_label
carrier-tracking-in      integration.handler.carrier_tracking         parse_webhook
carrier-tracking-poll    integration.handler.carrier_tracking_poll    track
=======================  ===========================================  =========

Carrier errors (:class:`~..carrier.CarrierError`) declare their transience,
category and the carrier's own words; the kernel maps them like any declared
error. For SOAP carriers the redacted XML exchange is added to their details.
Handlers return a kernel ``HandlerResult``.
"""

import json
import logging
from contextlib import contextmanager

from odoo import _, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..carrier import CarrierError
from ..carrier.codec import (
    request_from_dict,
    tracking_from_dict,
    tracking_to_dict,
)

_logger = logging.getLogger(__name__)


def _exchange_text(adapter):
    exchange = getattr(adapter, "last_exchange", None)
    if not exchange or not exchange.get("operation"):
        return ""
    return (
        f"SOAP {exchange['operation']} (HTTP {exchange.get('http_status')})\n"
        f"--- request (credentials masked) ---\n{exchange['request']}\n"
        f"--- response ---\n{exchange['response']}"
    )


@contextmanager
def exchange_in_details(adapter):
    """Add the adapter's last protocol exchange to a carrier error's details
    (the person in the exception queue sees what was sent and answered)."""
    try:
        yield
    except CarrierError as exc:
        exc.details = (
            "\n\n".join(
                part for part in (exc.details or "", _exchange_text(adapter)) if part
            )
            or None
        )
        raise


class CarrierHandlerMixin(models.AbstractModel):
    _name = "integration.handler.carrier_mixin"
    _description = "Carrier handler helpers"

    def _account_of(self, picking):
        try:
            return picking.carrier_id._carrier_account()
        except Exception as exc:
            raise errors.PermanentError(str(exc), category="mapping") from exc

    def _result(self, external_ref, summary, adapter):
        exchange = _exchange_text(adapter)
        response = json.dumps(summary, indent=1, default=str)
        if exchange:
            response += "\n\n" + exchange
        return HandlerResult(
            external_ref=external_ref,
            response_payload=response.encode(),
            response_content_type="text/plain; charset=utf-8"
            if exchange
            else "application/json",
        )


class CarrierBookHandler(models.AbstractModel):
    _name = "integration.handler.carrier_book"
    _inherit = ["integration.handler.outbound", "integration.handler.carrier_mixin"]
    _description = "Carrier: book a shipment (labels, tracking numbers)"

    def _send(self, message):
        picking = self._related_record(message, "stock.picking")
        account = self._account_of(picking)
        request = request_from_dict(self._payload_json(message))
        # Checked when queued; again here for messages queued before a limit
        # was lowered, or replayed.
        reasons = picking.carrier_id._carrier_limits().violations(request.parcels)
        if reasons:
            raise errors.PermanentError(
                _(
                    "%(picking)s exceeds the limits of %(carrier)s: %(reasons)s. "
                    "Nothing was booked.",
                    picking=picking.name,
                    carrier=picking.carrier_id.name,
                    reasons="; ".join(reasons),
                ),
                category="business_rule",
            )
        with account._adapter() as adapter, exchange_in_details(adapter):
            result = adapter.ship(request)
            picking._carrier_apply_booking(result, request, message)
            return self._result(
                result.carrier_shipment_id,
                {
                    "shipment": result.carrier_shipment_id,
                    "tracking_numbers": result.tracking_numbers,
                    "price": result.total_price,
                    "currency": result.currency,
                    "service": result.service_code,
                    "reused": result.extra.get("reused"),
                    "extra": result.extra,
                },
                adapter,
            )


class CarrierCancelHandler(models.AbstractModel):
    _name = "integration.handler.carrier_cancel"
    _inherit = ["integration.handler.outbound", "integration.handler.carrier_mixin"]
    _description = "Carrier: cancel (void) a shipment"

    def _send(self, message):
        picking = self._related_record(message, "stock.picking")
        account = self._account_of(picking)
        shipment_id = self._payload_json(message)["shipment_id"]
        with account._adapter() as adapter, exchange_in_details(adapter):
            adapter.cancel(shipment_id)
            picking._carrier_apply_cancel(shipment_id)
            return self._result(shipment_id, {"cancelled": shipment_id}, adapter)


class CarrierReturnHandler(models.AbstractModel):
    _name = "integration.handler.carrier_return"
    _inherit = ["integration.handler.outbound", "integration.handler.carrier_mixin"]
    _description = "Carrier: buy a return label"

    def _send(self, message):
        picking = self._related_record(message, "stock.picking")
        account = self._account_of(picking)
        request = request_from_dict(self._payload_json(message))
        with account._adapter() as adapter, exchange_in_details(adapter):
            result = adapter.return_label(request)
            picking._carrier_apply_return(result)
            return self._result(
                result.carrier_shipment_id,
                {
                    "return": result.carrier_shipment_id,
                    "tracking": result.tracking_numbers,
                },
                adapter,
            )


class CarrierTrackingMixin(models.AbstractModel):
    _name = "integration.handler.carrier_tracking_mixin"
    _inherit = "integration.handler.carrier_mixin"
    _description = "Carrier tracking helpers"

    def _apply_infos(self, message, infos):
        """Apply tracking infos to the pickings that shipped those numbers."""
        pickings = self.env["stock.picking"]
        new_events = 0
        for info in infos:
            found = pickings._carrier_pickings_for(
                info.tracking_number, message.endpoint_id
            )
            for picking in found:
                new_events += picking._carrier_apply_tracking(info, message)
            pickings |= found
        result = HandlerResult(
            record=pickings if len(pickings) == 1 else None,
            external_ref=",".join(
                dict.fromkeys(info.tracking_number for info in infos)
            )[:250]
            if infos
            else None,
        )
        _logger.info(
            "%s: %s tracking update(s), %s new event(s) on %s transfer(s)",
            message.name,
            len(infos),
            new_events,
            len(pickings),
        )
        return result


class CarrierTrackingHandler(models.AbstractModel):
    _name = "integration.handler.carrier_tracking"
    _inherit = [
        "integration.handler.inbound",
        "integration.handler.carrier_tracking_mixin",
    ]
    _description = "Carrier: tracking webhook (events, delivery, proof of delivery)"

    def _process(self, message):
        accounts = (
            self.env["carrier.account"]
            .sudo()
            .search([("endpoint_id", "=", message.endpoint_id.id)])
        )
        if not accounts:
            raise errors.PermanentError(
                _(
                    "No carrier account uses endpoint %s: the webhook cannot be read.",
                    message.endpoint_id.code,
                ),
                category="mapping",
            )
        account = accounts[0]
        with account._adapter() as adapter, exchange_in_details(adapter):
            infos = adapter.parse_webhook(message._get_payload(), {})
            for info in infos:
                if info.delivered and info.pod is None and info.pod_url:
                    info.pod = adapter.fetch_pod(info)
        return self._apply_infos(message, infos)


class CarrierTrackingPollHandler(models.AbstractModel):
    _name = "integration.handler.carrier_tracking_poll"
    _inherit = [
        "integration.handler.collector",
        "integration.handler.inbound",
        "integration.handler.carrier_tracking_mixin",
    ]
    _description = "Carrier: poll tracking of open shipments"

    def _collect(self, flow, endpoint):
        accounts = (
            self.env["carrier.account"]
            .sudo()
            .search(
                [("endpoint_id", "=", endpoint.id), ("tracking_by_webhook", "=", False)]
            )
        )
        if not accounts:
            return 0
        pickings = (
            self.env["stock.picking"]
            .sudo()
            .search(
                [
                    ("carrier_id.carrier_account_id", "in", accounts.ids),
                    ("carrier_booking_state", "=", "booked"),
                ]
            )
            ._carrier_open_for_tracking()
        )
        return self._poll(endpoint, pickings, flow)

    def _poll(self, endpoint, pickings, flow=None):
        """Track the pickings' numbers; each new state becomes an inbound message."""
        if not pickings:
            return 0
        account = pickings[0].carrier_id.carrier_account_id
        numbers = list(
            dict.fromkeys(
                number
                for picking in pickings
                for number in picking.carrier_package_ids.filtered(
                    lambda p: p.state == "booked"
                ).mapped("tracking_number")
            )
        )
        dispatch = self.env["integration.dispatch"]
        with account._adapter() as adapter:
            try:
                with exchange_in_details(adapter):
                    infos = adapter.track(numbers)
            except CarrierError as exc:
                # Callers outside the dispatcher (the tracking button) expect
                # a kernel error: the kernel's own mapping.
                raise errors.classify_exception(exc) from exc
        for info in infos:
            picking = pickings.filtered(
                lambda p, number=info.tracking_number: (
                    number in p.carrier_package_ids.mapped("tracking_number")
                )
            )[:1]
            latest = max(
                (e.timestamp.isoformat() for e in info.events if e.timestamp),
                default="",
            )
            # Polling an unchanged shipment again finds this key and adds nothing.
            key = (
                f"poll-{info.tracking_number}-{info.status}-{len(info.events)}-{latest}"
            )
            dispatch._receive(
                flow or "carrier-tracking-poll",
                endpoint,
                tracking_to_dict(info),
                record=picking or None,
                idempotency_key=key[:250],
                external_ref=info.tracking_number,
            )
        return len(infos)

    def _process(self, message):
        info = tracking_from_dict(self._payload_json(message))
        return self._apply_infos(message, [info])
