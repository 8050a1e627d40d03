"""Outbound EDI flows (850 / ORDERS, 997 / CONTRL): ``integration.handler.edi_send``
delivers an interchange over the trading partner's transport (HTTP through the
kernel's HTTP handler, folder, SFTP)."""

import dataclasses
import json

from odoo import _, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult


def _trading_partner_of(message):
    """The trading partner a message was exchanged with."""
    env = message.env
    document = (
        env["edi.document"].sudo().search([("message_id", "=", message.id)], limit=1)
    )
    if document:
        return document.trading_partner_id
    found = (
        env["edi.trading.partner"]
        .sudo()
        .search(
            [
                ("endpoint_id", "=", message.endpoint_id.id),
                ("partner_id", "=", message.partner_id.id),
            ],
            limit=1,
        )
    )
    if not found:
        raise errors.PermanentError(
            _(
                "No EDI trading partner for %(partner)s on endpoint %(endpoint)s.",
                partner=message.partner_id.display_name,
                endpoint=message.endpoint_id.code,
            ),
            category="mapping",
        )
    return found


class EdiSendHandler(models.AbstractModel):
    _name = "integration.handler.edi_send"
    _inherit = "integration.handler.outbound"
    _description = "EDI: send an interchange (HTTP, folder or SFTP)"

    def _send(self, message):
        trading_partner = _trading_partner_of(message)
        refusals = []
        if not trading_partner.endpoint_id._has_file_transport():
            sent = self.env["integration.handler.http_json"]._send(message)
            verdict = self._http_verdict(sent.response_payload)
            refusals = verdict.pop("refusals", [])
            # The partner's id of the HTTP request is not the interchange's.
            result = dataclasses.replace(sent, external_ref=verdict.get("external_ref"))
        else:
            payload = message._get_payload()
            name = message.payload_attachment_id.name or f"{message.name}.edi"
            with trading_partner.endpoint_id._transport() as exchange:
                written = exchange.put(name, payload)
            result = HandlerResult(external_ref=written)
        # The kernel sets the acknowledgement deadline from this partner's window.
        result = dataclasses.replace(
            result, ack_window_minutes=trading_partner.ack_window_minutes
        )
        if message.res_model == "purchase.order":
            order = self.env["purchase.order"].browse(message.res_id).exists()
            if order.edi_state == "queued":
                order = order.with_context(edi_applying_partner_document=True)
                order.edi_state = "sent"
            if order and refusals:
                self._order_refused(message, trading_partner, order, refusals)
        return result

    def _order_refused(self, message, trading_partner, order, refusals):
        """The partner's answer refused a revision or the cancellation of the
        order outright (no 865 follows for it)."""
        reasons = [
            str(refusal.get("reason") or refusal.get("error") or "")
            for refusal in refusals
            if refusal.get("order") in (None, order.name)
        ]
        if not reasons:
            return
        order = order.with_context(edi_applying_partner_document=True)
        if order.state == "cancel":
            order.edi_state = "cancel_rejected"
            title = _(
                "%(partner)s refused to cancel purchase order %(order)s",
                partner=trading_partner.name,
                order=order.name,
            )
            advice = _(
                "The supplier still delivers the order. Receive the goods and set "
                "the order back to a purchase, or agree a return with the supplier."
            )
        elif order.edi_revision:
            order.edi_state = "change_rejected"
            title = _(
                "%(partner)s did not accept revision %(revision)s of %(order)s as sent",
                partner=trading_partner.name,
                revision=order.edi_revision,
                order=order.name,
            )
            advice = _(
                "The supplier keeps the order as it was before the change. Put the "
                "order back as it was, or agree the change with the supplier."
            )
        else:
            # An original is answered by its 855 / ORDRSP; a refusal here is
            # of a resend of it (the number is already in use).
            return
        self._raise_exception(
            message,
            "business_rule",
            title,
            "\n".join(reasons + [advice]),
            severity="high",
            assignee=order.user_id,
        )

    def _http_verdict(self, response):
        # A partner that answers JSON may name the interchange it filed; a
        # refusal there (not a syntax finding, which comes in the 997) is final.
        try:
            answer = json.loads(response or b"")
        except ValueError:
            return {}
        if isinstance(answer, dict) and answer.get("accepted") is False:
            # Only an envelope refusal says "error"; refused sets come back in
            # the partner's 997 / CONTRL like any other verdict.
            error = answer.get("error") or "; ".join(
                str(item["error"])
                for item in answer.get("interchanges", [])
                if item.get("error")
            )
            if error:
                raise errors.PermanentError(
                    _("The partner refused the interchange: %s", error),
                    category="validation",
                )
        verdict = {}
        if isinstance(answer, dict):
            # A partner may refuse an order, or a change to one, in its answer
            # rather than in an 855 / 865 (mock-edi says so under "refusals").
            refusals = [
                refusal
                for refusal in answer.get("refusals") or []
                if isinstance(refusal, dict)
            ]
            if refusals:
                verdict["refusals"] = refusals
            if answer.get("interchange"):
                verdict["external_ref"] = str(answer["interchange"])
        return verdict
