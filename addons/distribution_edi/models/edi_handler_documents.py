"""Inbound EDI documents: one handler per inbound flow, each reading the
document its flow carries and handing it to the business model it changes.

======================  =========================  ===================================
flow                    handler (integration.      effect (business model method)
                        handler.…)
======================  =========================  ===================================
edi-ack-in              edi_ack_in                 edi.document
                                                   ``_edi_apply_acknowledgement``
edi-order-response-in   edi_order_response_in      purchase.order
                                                   ``_edi_apply_order_response``
edi-change-response-in  edi_change_response_in     purchase.order
                                                   ``_edi_apply_change_response``
edi-despatch-in         edi_despatch_in            stock.picking ``_edi_apply_despatch``
edi-invoice-in          edi_invoice_in             account.move ``_edi_apply_invoice``
======================  =========================  ===================================

``integration.handler.edi_document`` is their base; a flow set on it applies
any kind of document (each by its kind's handler).
"""

from odoo import _, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.inbound import EDI_TYPES
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult
from odoo.addons.distribution_integration_base.models.integration_message import (
    PENDING_STATES,
)

from ..edi import documents

# The handler that applies each kind of document.
HANDLER_BY_KIND = {
    documents.ACKNOWLEDGEMENT: "integration.handler.edi_ack_in",
    documents.ORDER_RESPONSE: "integration.handler.edi_order_response_in",
    documents.CHANGE_RESPONSE: "integration.handler.edi_change_response_in",
    documents.DESPATCH: "integration.handler.edi_despatch_in",
    documents.INVOICE: "integration.handler.edi_invoice_in",
}


class EdiDocumentHandler(models.AbstractModel):
    _name = "integration.handler.edi_document"
    _inherit = "integration.handler.inbound"
    _description = (
        "EDI: apply a supplier's document (855, 865, 856, 810, 997 and EDIFACT)"
    )
    _inbound_content_types = EDI_TYPES

    # The kind of document this handler applies (None: any, by its kind's
    # handler) and the flow it was written for.
    _edi_kind = None
    _edi_flow_xmlid = None

    def init(self):
        super().init()
        # The document flows once shared this base (flow data is not updated):
        # give each its own handler. Idempotent, so it may run on every update.
        if self._edi_flow_xmlid:
            flow = self.env.ref(self._edi_flow_xmlid, raise_if_not_found=False)
            if flow and flow.handler == "integration.handler.edi_document":
                flow.handler = self._name

    def _process(self, message):
        document = self._payload_json(message)
        trading_partner = (
            self.env["edi.trading.partner"]
            .sudo()
            .browse(document.get("trading_partner_id"))
            .exists()
        )
        if not trading_partner:
            raise errors.PermanentError(
                _("The document names no known trading partner."), category="mapping"
            )
        kind = document.get("kind")
        if kind not in HANDLER_BY_KIND:
            raise errors.PermanentError(
                _("Unknown document kind %r.", kind),
                category="validation",
            )
        if self._edi_kind and kind != self._edi_kind:
            raise errors.PermanentError(
                _(
                    "%(ref)s holds a %(kind)s document, but flow %(flow)s applies "
                    "%(expected)s documents only.",
                    ref=message.name,
                    kind=kind,
                    flow=message.flow_id.code,
                    expected=self._edi_kind,
                ),
                category="mapping",
            )
        self._wait_for_earlier_documents(message)
        record = self.env[HANDLER_BY_KIND[kind]]._apply(
            message, trading_partner, document
        )
        return HandlerResult(record=record or None)

    def _apply(self, message, trading_partner, document):
        """Apply ``document`` through its business model; return the record
        changed (the message then links to it)."""
        raise NotImplementedError(f"{self._name} must implement _apply")

    def _edi_order(self, trading_partner, number):
        """The order ``number`` of this supplier, taken for this transaction."""
        order = self.env["purchase.order"]._edi_find_for_document(
            trading_partner, number
        )
        order._edi_lock_for_document()
        return order

    def _wait_for_earlier_documents(self, message):
        """Apply an order's documents in the order the supplier sent them.

        The job runner promises no order: two workers run jobs at once, and a
        job that met a serialization error comes back seconds later, so an
        invoice could be applied before the ship notice or order response sent
        ahead of it, and be matched against what was not yet received or
        confirmed. A document of an order therefore waits (a transient error:
        retried, and in the exception queue if it waits too long) while an
        earlier one of that order, or an earlier interchange of its endpoint not
        yet read, is still to be processed. Arrival order is the order of the
        messages: files are collected oldest first, sets split in their order.
        """
        messages = self.env["integration.message"].sudo()
        order = (
            self.env["edi.document"]
            .sudo()
            .search([("message_id", "=", message.id)], limit=1)
            .purchase_id
        )
        if not order:
            return
        parent = message.parent_id
        earlier = (
            self.env["edi.document"]
            .sudo()
            .search(
                [
                    ("purchase_id", "=", order.id),
                    ("direction", "=", "inbound"),
                    ("message_id", "!=", message.id),
                    ("message_id.state", "in", PENDING_STATES),
                ]
            )
            .message_id.filtered(
                lambda other: (other.parent_id.id, other.id) < (parent.id, message.id)
            )
        )
        if not earlier and parent:
            earlier = messages.search(
                [
                    ("endpoint_id", "=", parent.endpoint_id.id),
                    ("flow_id", "=", parent.flow_id.id),
                    ("id", "<", parent.id),
                    ("state", "in", PENDING_STATES),
                ],
                order="id",
                limit=1,
            )
        if earlier:
            first = earlier.sorted("id")[0]
            raise errors.TransientError(
                _(
                    "%(ref)s waits for %(earlier)s (%(flow)s), which %(partner)s "
                    "sent before it and is not processed yet.",
                    ref=message.name,
                    earlier=first.name,
                    flow=first.flow_id.name,
                    partner=message.partner_id.display_name or message.endpoint_id.name,
                ),
                category="business_rule",
            )


class EdiAckInHandler(models.AbstractModel):
    _name = "integration.handler.edi_ack_in"
    _inherit = "integration.handler.edi_document"
    _description = "EDI: apply a functional acknowledgement (997 / CONTRL)"
    _edi_kind = documents.ACKNOWLEDGEMENT
    _edi_flow_xmlid = "distribution_edi.flow_edi_ack_in"

    def _apply(self, message, trading_partner, document):
        return self.env["edi.document"]._edi_apply_acknowledgement(
            message, trading_partner, document
        )


class EdiOrderResponseInHandler(models.AbstractModel):
    _name = "integration.handler.edi_order_response_in"
    _inherit = "integration.handler.edi_document"
    _description = "EDI: apply an order response (855 / ORDRSP)"
    _edi_kind = documents.ORDER_RESPONSE
    _edi_flow_xmlid = "distribution_edi.flow_edi_order_response_in"

    def _apply(self, message, trading_partner, document):
        order = self._edi_order(trading_partner, document["order_number"])
        return order._edi_apply_order_response(message, trading_partner, document)


class EdiChangeResponseInHandler(models.AbstractModel):
    _name = "integration.handler.edi_change_response_in"
    _inherit = "integration.handler.edi_document"
    _description = "EDI: apply a change acknowledgement (865)"
    _edi_kind = documents.CHANGE_RESPONSE
    _edi_flow_xmlid = "distribution_edi.flow_edi_change_response_in"

    def _apply(self, message, trading_partner, document):
        order = self._edi_order(trading_partner, document["order_number"])
        return order._edi_apply_change_response(message, trading_partner, document)


class EdiDespatchInHandler(models.AbstractModel):
    _name = "integration.handler.edi_despatch_in"
    _inherit = "integration.handler.edi_document"
    _description = "EDI: apply a ship notice (856 / DESADV)"
    _edi_kind = documents.DESPATCH
    _edi_flow_xmlid = "distribution_edi.flow_edi_despatch_in"

    def _apply(self, message, trading_partner, document):
        orders = self.env["purchase.order"]
        for number in document.get("order_numbers") or []:
            orders |= self.env["purchase.order"]._edi_find_for_document(
                trading_partner, number
            )
        if not orders:
            raise errors.PermanentError(
                _(
                    "Ship notice %s names no purchase order.",
                    document.get("shipment_id"),
                ),
                category="mapping",
            )
        orders._edi_lock_for_document()
        return self.env["stock.picking"]._edi_apply_despatch(
            message, trading_partner, document, orders
        )


class EdiInvoiceInHandler(models.AbstractModel):
    _name = "integration.handler.edi_invoice_in"
    _inherit = "integration.handler.edi_document"
    _description = "EDI: apply a supplier invoice (810 / INVOIC)"
    _edi_kind = documents.INVOICE
    _edi_flow_xmlid = "distribution_edi.flow_edi_invoice_in"

    def _apply(self, message, trading_partner, document):
        order = self._edi_order(trading_partner, document["order_number"])
        return self.env["account.move"]._edi_apply_invoice(
            message, trading_partner, document, order
        )
