"""Flow handlers of the EDI channel (found by the kernel's flow catalog).

* ``integration.handler.edi_send``: delivers an interchange over the trading
  partner's transport (HTTP through the kernel's HTTP handler, folder, SFTP);
* ``integration.handler.edi_interchange``: reads a received interchange,
  answers it with a 997 / CONTRL and splits it into one business message per
  transaction set;
* ``integration.handler.edi_document``: applies one business document (order
  response, ship notice, invoice, acknowledgement) to Odoo;
* ``integration.handler.edi_poll``: the batch flow's collect step, picking up
  files from folder and SFTP partners.
"""

import json
import logging
from datetime import timedelta

from odoo import Command, _, fields, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.inbound import EDI_TYPES
from odoo.addons.distribution_integration_base.models.integration_message import (
    PENDING_STATES,
)

from ..edi import EdiReader, ack, documents
from ..edi.reader import REJECTED

_logger = logging.getLogger(__name__)

INTERCHANGE_FLOW = "edi-interchange-in"
ACK_FLOW = "edi-ack-out"
DOCUMENT_FLOWS = {
    documents.ACKNOWLEDGEMENT: "edi-ack-in",
    documents.ORDER_RESPONSE: "edi-order-response-in",
    documents.CHANGE_RESPONSE: "edi-change-response-in",
    documents.DESPATCH: "edi-despatch-in",
    documents.INVOICE: "edi-invoice-in",
}
ACK_CODES = {"997", "CONTRL"}


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
    _inherit = "integration.handler"
    _description = "EDI: send an interchange (HTTP, folder or SFTP)"

    def _send(self, message):
        trading_partner = _trading_partner_of(message)
        refusals = []
        if trading_partner.transport == "http":
            result = self.env["integration.handler.http_json"]._send(message)
            result.pop("external_ref", None)
            verdict = self._http_verdict(result.get("response"))
            refusals = verdict.pop("refusals", [])
            result.update(verdict)
        else:
            payload = message._get_payload()
            name = message.payload_attachment_id.name or f"{message.name}.edi"
            with trading_partner._transport() as exchange:
                written = exchange.put(name, payload)
            result = {"external_ref": written}
        if message.flow_id.ack_expected:
            # The partner's window, not the flow's (the kernel keeps this one).
            message._expect_acknowledgement(
                fields.Datetime.now()
                + timedelta(minutes=trading_partner.ack_window_minutes),
                trading_partner.ack_window_minutes,
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
        exception = self.env["integration.dispatch"]._raise_exception(
            message,
            "business_rule",
            title,
            details="\n".join(reasons + [advice]),
            severity="high",
        )
        if order.user_id:
            exception.user_id = order.user_id

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


class EdiInterchangeHandler(models.AbstractModel):
    _name = "integration.handler.edi_interchange"
    _inherit = "integration.handler"
    _description = "EDI: read a received interchange, acknowledge it, split it"
    _inbound_content_types = EDI_TYPES

    def _process(self, message):
        endpoint = message.endpoint_id
        # Streamed: a set is turned into its (small) business document as soon
        # as it is read, and its segments are dropped. Documents wait for their
        # interchange's verdict: nothing in a refused group or envelope is acted on.
        waiting = []  # (interchange header, group header, set, document or problem)
        trading_partners = {}
        try:
            with message._open_payload() as stream:
                reader = EdiReader(stream)
                for transaction_set in reader:
                    header = transaction_set.interchange
                    if id(header) not in trading_partners:
                        trading_partners[id(header)] = self._trading_partner_for(
                            header, endpoint
                        )
                    trading_partner = trading_partners[id(header)]
                    if trading_partner.strict_syntax and transaction_set.findings:
                        transaction_set.result.status = REJECTED
                    waiting.append(
                        (
                            header,
                            transaction_set.group,
                            transaction_set.code,
                            self._read(trading_partner, transaction_set),
                        )
                    )
        except errors.IntegrationError:
            raise
        except Exception as exc:
            raise errors.PermanentError(
                _("The file is not a readable X12 or EDIFACT interchange: %s", exc),
                category="validation",
            ) from exc
        if not reader.interchanges:
            raise errors.PermanentError(
                _("The file holds no X12 or EDIFACT interchange."),
                category="validation",
            )
        problems = []
        partner = self.env["res.partner"]
        for interchange in reader.interchanges:
            header = interchange.header
            trading_partner = trading_partners.get(id(header))
            if trading_partner is None:  # an interchange without any set
                trading_partner = self._trading_partner_for(header, endpoint)
            partner = trading_partner.partner_id
            if trading_partner.strict_syntax:
                self._recount_groups(interchange)
            codes = [code for head, _group, code, _doc in waiting if head is header]
            if trading_partner.send_acknowledgements and not all(
                code in ACK_CODES for code in codes
            ):
                self._send_acknowledgement(message, trading_partner, interchange)
            if interchange.rejected:
                problems.append(
                    _(
                        "Interchange %(number)s was refused: %(summary)s",
                        number=header.control_number,
                        summary=ack.summary(interchange),
                    )
                )
                continue
            refused_groups = {
                id(group.header) for group in interchange.groups if group.rejected
            }
            for head, group, code, document in waiting:
                if head is not header:
                    continue
                if group is not None and id(group) in refused_groups:
                    problems.append(_("%s: its functional group was refused.", code))
                elif isinstance(document, dict):
                    self._split(message, trading_partner, header, group, document)
                else:
                    problems.append(document)
        if problems:
            self.env["integration.dispatch"]._raise_exception(
                message,
                "validation",
                _(
                    "%(ref)s: %(count)s document(s) of the interchange were not "
                    "applied",
                    ref=message.name,
                    count=len(problems),
                ),
                details="\n".join(problems),
                severity="high",
            )
        result = {
            "external_ref": ", ".join(
                i.header.control_number for i in reader.interchanges
            )
        }
        if partner:
            result["partner_id"] = partner.id
        return result

    def _trading_partner_for(self, header, endpoint):
        trading_partner = self.env["edi.trading.partner"]._for_interchange(
            header, endpoint
        )
        if not trading_partner:
            raise errors.PermanentError(
                _(
                    "No trading partner on endpoint %(endpoint)s sends as "
                    "%(qualifier)s:%(sender)s to %(receiver)s. Add it on the "
                    "supplier (EDI trading partners), then retry this message.",
                    endpoint=endpoint.code,
                    qualifier=header.sender_qualifier,
                    sender=header.sender_id,
                    receiver=header.receiver_id,
                ),
                category="mapping",
            )
        if header.test != trading_partner.test_indicator:
            raise errors.PermanentError(
                _(
                    "Interchange %(number)s is marked %(marked)s but endpoint "
                    "%(endpoint)s is %(environment)s: nothing was applied.",
                    number=header.control_number,
                    marked=_("test") if header.test else _("production"),
                    endpoint=endpoint.code,
                    environment=endpoint.environment,
                ),
                category="validation",
            )
        return trading_partner

    def _read(self, trading_partner, transaction_set):
        """The set's business document, or the text of why it is not applied."""
        label = f"{transaction_set.code} {transaction_set.control_number}"
        if not transaction_set.accepted:
            findings = "; ".join(str(f) for f in transaction_set.findings[:5])
            return _(
                "%(set)s refused by syntax: %(findings)s", set=label, findings=findings
            )
        try:
            document = documents.read_business_document(transaction_set)
        except documents.DocumentError as exc:
            return _("%(set)s: %(error)s", set=label, error=exc)
        kind = document["kind"]
        if kind not in DOCUMENT_FLOWS or not trading_partner._accepts(kind):
            return _(
                "%(set)s: %(partner)s is not set up to send this document "
                "(trading partner, Documents).",
                set=label,
                partner=trading_partner.name,
            )
        return document

    @staticmethod
    def _recount_groups(interchange):
        # Sets a strict partner refused no longer count as accepted in the
        # group verdict the 997 / CONTRL reports.
        for group in interchange.groups:
            group.accepted = sum(1 for result in group.results if result.accepted)

    def _send_acknowledgement(self, message, trading_partner, interchange):
        envelope = trading_partner._envelope()
        header = interchange.header
        if interchange.dialect == "X12":
            first_control = int(trading_partner._next_set_control_number())
            payload = ack.build_acknowledgement(
                interchange,
                envelope,
                first_control_number=first_control,
                newline=trading_partner.write_newlines,
            )
            code = "TA1" if interchange.rejected else "997"
            set_control = str(first_control).zfill(4)
        else:
            set_control = trading_partner._next_set_control_number()
            payload = ack.build_acknowledgement(
                interchange,
                envelope,
                control_number=set_control,
                newline=trading_partner.write_newlines,
            )
            code = "CONTRL"
        answer = self.env["integration.dispatch"]._send(
            ACK_FLOW,
            trading_partner.endpoint_id,
            payload,
            parent=message,
            partner=trading_partner.partner_id,
            idempotency_key=(
                f"{trading_partner.partner_interchange_id}:{header.control_number}"
                f":{message.payload_sha256[:16]}"
            ),
            content_type=trading_partner._content_type(),
            filename=trading_partner._file_name(code, set_control),
            external_ref=header.control_number,
        )
        self.env["edi.document"].sudo().create(
            {
                "trading_partner_id": trading_partner.id,
                "direction": "outbound",
                "kind": "acknowledgement",
                "code": code,
                "interchange_control_number": str(envelope.control_number),
                "group_control_number": str(
                    getattr(envelope, "group_control_number", "")
                ),
                "set_control_number": set_control,
                "reference": header.control_number,
                "message_id": answer.id,
            }
        )
        return answer

    def _split(self, message, trading_partner, header, group, document):
        """One business message per accepted document."""
        kind = document["kind"]
        document.update(
            trading_partner_id=trading_partner.id,
            interchange_control_number=header.control_number,
            group_control_number=group.control_number if group is not None else "",
            test=header.test,
        )
        order = self._order_of(trading_partner, document)
        child = self.env["integration.dispatch"]._receive(
            DOCUMENT_FLOWS[kind],
            trading_partner.endpoint_id,
            document,
            parent=message,
            partner=trading_partner.partner_id,
            record=order or None,
            correlation_id=order.edi_correlation_id if order else None,
            idempotency_key=(
                f"{trading_partner.partner_interchange_id}:{header.control_number}"
                f":{document['group_control_number']}:{document['control_number']}"
            ),
            external_ref=self._reference(document),
            filename=f"{document['code']}-{document['control_number']}.json",
        )
        self.env["edi.document"].sudo().create(
            {
                "trading_partner_id": trading_partner.id,
                "direction": "inbound",
                "kind": kind,
                "code": document["code"],
                "interchange_control_number": header.control_number,
                "group_control_number": document["group_control_number"],
                "set_control_number": document["control_number"],
                "reference": self._reference(document),
                "message_id": child.id,
                "purchase_id": order.id if order else False,
            }
        )
        return None

    @staticmethod
    def _reference(document):
        kind = document["kind"]
        if kind == documents.INVOICE:
            return document["invoice_number"]
        if kind == documents.DESPATCH:
            return document["shipment_id"]
        if kind in (documents.ORDER_RESPONSE, documents.CHANGE_RESPONSE):
            return document["order_number"]
        return document.get("acknowledged_group") or document.get(
            "acknowledged_interchange"
        )

    def _order_of(self, trading_partner, document):
        number = document.get("order_number") or next(
            iter(document.get("order_numbers") or []), ""
        )
        if not number:
            return self.env["purchase.order"]
        return self.env["purchase.order"]._edi_find(trading_partner, number)


class EdiDocumentHandler(models.AbstractModel):
    _name = "integration.handler.edi_document"
    _inherit = "integration.handler"
    _description = (
        "EDI: apply a supplier's document (855, 865, 856, 810, 997 and EDIFACT)"
    )
    _inbound_content_types = EDI_TYPES

    def _process(self, message):
        try:
            document = json.loads(message._get_payload())
        except ValueError as exc:
            raise errors.PermanentError(
                _("The document is not valid JSON: %s", exc), category="validation"
            ) from exc
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
        applier = {
            documents.ACKNOWLEDGEMENT: self._apply_acknowledgement,
            documents.ORDER_RESPONSE: self._apply_order_response,
            documents.CHANGE_RESPONSE: self._apply_change_response,
            documents.DESPATCH: self._apply_despatch,
            documents.INVOICE: self._apply_invoice,
        }.get(document.get("kind"))
        if applier is None:
            raise errors.PermanentError(
                _("Unknown document kind %r.", document.get("kind")),
                category="validation",
            )
        self._wait_for_earlier_documents(message)
        record = applier(message, trading_partner, document)
        if record:
            return {"res_model": record._name, "res_id": record.id}
        return {}

    # -- helpers -------------------------------------------------------------------

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

    def _one_at_a_time(self, orders):
        """Apply documents of one order one after the other.

        The runner may apply an order's ship notice and invoice at once; each
        would miss what the other does (the invoice its receipt). Writing the
        order's row first makes the later of two concurrent transactions fail
        with a serialization error, which the job runner retries on the
        committed state.
        """
        if orders:
            self.env.cr.execute(
                "UPDATE purchase_order SET edi_last_document_at = "
                "(now() AT TIME ZONE 'UTC') WHERE id IN %s",
                [tuple(orders.ids)],
            )
            orders.invalidate_recordset(["edi_last_document_at"])

    def _find_order(self, trading_partner, number):
        order = self.env["purchase.order"]._edi_find(trading_partner, number)
        if not order:
            raise errors.PermanentError(
                _(
                    "%(partner)s sent a document for purchase order %(number)s, "
                    "which does not exist for this supplier.",
                    partner=trading_partner.name,
                    number=number,
                ),
                category="mapping",
            )
        return order

    def _order_line(self, order, line_data):
        lines = order.order_line.filtered(lambda line: not line.display_type)
        line_id = line_data.get("line_id") or ""
        if line_id.isdigit():
            found = lines.filtered(lambda line: line.id == int(line_id))
            if found:
                return found
        # Without our line number: the supplier's product code, then the GTIN,
        # when it names exactly one line.
        matchers = (
            ("vendor_code", lambda line, code: code in line._edi_vendor_codes()),
            ("gtin", lambda line, gtin: line.product_id.barcode == gtin),
        )
        for key, matches in matchers:
            value = line_data.get(key)
            found = value and lines.filtered(
                lambda line, value=value, matches=matches: matches(line, value)
            )
            if found and len(found) == 1:
                return found
        return self.env["purchase.order.line"]

    def _raise(self, message, category, title, details, *, assignee=None):
        exception = self.env["integration.dispatch"]._raise_exception(
            message, category, title, details=details, severity="high"
        )
        if assignee:
            exception.user_id = assignee
        return exception

    # -- 997 / CONTRL ---------------------------------------------------------------

    def _apply_acknowledgement(self, message, trading_partner, document):
        sent = (
            self.env["edi.document"]
            .sudo()
            .search(
                [
                    ("trading_partner_id", "=", trading_partner.id),
                    ("direction", "=", "outbound"),
                    ("kind", "!=", "acknowledgement"),
                ]
                + (
                    [("group_control_number", "=", document["acknowledged_group"])]
                    if document.get("acknowledged_group")
                    else [
                        (
                            "interchange_control_number",
                            "=",
                            document["acknowledged_interchange"],
                        )
                    ]
                )
            )
        )
        if document.get("acknowledged_group") and document.get("functional_id"):
            functional = {"PO": "850"}.get(document["functional_id"])
            if functional:
                sent = sent.filtered(lambda doc: doc.code == functional)
        verdicts = {s["control_number"]: s for s in document.get("sets", [])}
        group_status = document.get("group_status") or ""
        group_errors = document.get("group_errors") or []
        matched = self.env["edi.document"]
        for sent_document in sent:
            verdict = verdicts.get(sent_document.set_control_number)
            if verdicts and verdict is None:
                if len(verdicts) == 1 and not document.get("acknowledged_group"):
                    # CONTRL names its message by UNH reference.
                    verdict = next(iter(verdicts.values()))
                else:
                    continue
            status = (verdict or {}).get("status") or group_status
            details = "\n".join(group_errors + (verdict or {}).get("errors", []))
            state = {
                "A": "accepted",
                "E": "accepted_with_errors",
                "R": "rejected",
                "M": "rejected",
                "W": "rejected",
                "X": "rejected",
                "P": "accepted_with_errors",
            }.get(status, "accepted")
            sent_document.write(
                {
                    "ack_state": state,
                    "ack_details": details or False,
                    "acknowledged_at": fields.Datetime.now(),
                }
            )
            matched |= sent_document
        if matched:
            self._one_at_a_time(matched.purchase_id)
        if not matched:
            raise errors.PermanentError(
                _(
                    "%(partner)s acknowledged %(what)s, which we never sent.",
                    partner=trading_partner.name,
                    what=_("group %s", document["acknowledged_group"])
                    if document.get("acknowledged_group")
                    else _("interchange %s", document["acknowledged_interchange"]),
                ),
                category="mapping",
            )
        dispatch = self.env["integration.dispatch"]
        for sent_message in matched.message_id:
            verdicts_for_message = matched.filtered(
                lambda doc, m=sent_message: doc.message_id == m
            )
            rejected = verdicts_for_message.filtered(
                lambda doc: doc.ack_state == "rejected"
            )
            if sent_message.state not in ("sent", "acknowledged", "dead"):
                # An acknowledgement can overtake our own bookkeeping: the
                # partner filed the interchange, so it was sent.
                sent_message.sudo().write({"state": "sent"})
            details = "\n".join(
                f"{doc.code} {doc.set_control_number} ({doc.reference}): "
                f"{doc.ack_details or doc.ack_state}"
                for doc in rejected
            )
            dispatch._acknowledge(
                sent_message,
                accepted=not rejected,
                details=details or None,
                ack_message=message,
            )
            for order in verdicts_for_message.purchase_id:
                order.with_context(edi_applying_partner_document=True).edi_state = (
                    "rejected"
                    if rejected
                    else (
                        "acknowledged"
                        if order.edi_state in ("queued", "sent")
                        else order.edi_state
                    )
                )
        return matched.purchase_id[:1]

    # -- 855 / ORDRSP ---------------------------------------------------------------

    def _apply_order_response(self, message, trading_partner, document):
        order = self._find_order(trading_partner, document["order_number"])
        self._one_at_a_time(order)
        order = order.with_context(edi_applying_partner_document=True)
        if self._answers_change(order, document):
            # EDIFACT has no change acknowledgement: an ORDRSP answers both.
            return self._apply_change_response(message, trading_partner, document)
        if document.get("order_rejected"):
            order.edi_state = "refused"
            order.order_line.write({"edi_status": "rejected"})
            self._raise(
                message,
                "business_rule",
                _(
                    "%(partner)s refused purchase order %(order)s",
                    partner=trading_partner.name,
                    order=order.name,
                ),
                _(
                    "The supplier refused the whole order (%s). Cancel the order or "
                    "agree a new one with the supplier.",
                    document.get("response_type"),
                ),
                assignee=order.user_id,
            )
            return order
        decisions = []
        changed = False
        answered = self.env["purchase.order.line"]
        for line_data in document.get("lines", []):
            line = self._order_line(order, line_data)
            if not line:
                decisions.append(
                    _(
                        "Line %(line)s (%(code)s) of the response matches no line "
                        "of %(order)s.",
                        line=line_data.get("line_id"),
                        code=line_data.get("vendor_code") or line_data.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            answered |= line
            line_decisions, line_changed = self._apply_response_line(
                trading_partner, line, line_data
            )
            decisions += line_decisions
            changed = changed or line_changed
        if not document.get("order_held"):
            # BAK02 AE / AK (and an ORDRSP without lines): what the supplier
            # does not detail, it accepts as ordered.
            for line in (
                order.order_line.filtered(
                    lambda line: not line.display_type and not line.edi_status
                )
                - answered
            ):
                line.write(
                    {
                        "edi_status": "accepted",
                        "edi_status_code": documents.LINE_ACCEPTED,
                        "edi_confirmed_qty": line.product_qty,
                        "edi_confirmed_price": line.price_unit,
                    }
                )
        if document.get("order_held"):
            order.edi_state = "on_hold"
            decisions.insert(
                0,
                _(
                    "The supplier holds the whole order (%s): nothing ships until "
                    "it releases it. Follow it up with the supplier.",
                    document.get("response_type"),
                ),
            )
        else:
            order.edi_state = "changed" if (changed or decisions) else "confirmed"
        if decisions:
            self._raise(
                message,
                "business_rule",
                _(
                    "%(order)s: %(count)s answer(s) from %(partner)s need the buyer",
                    order=order.name,
                    count=len(decisions),
                    partner=trading_partner.name,
                ),
                "\n".join(decisions),
                assignee=order.user_id,
            )
        order._integration_log_event(
            body=_(
                "Order response from %(partner)s applied (%(message)s).",
                partner=trading_partner.name,
                message=message.name,
            )
        )
        return order

    def _answers_change(self, order, document):
        """Whether an ORDRSP answers a revision or cancellation of the order."""
        if document.get("code") != "ORDRSP":
            return False
        if any(line.get("change_action") for line in document.get("lines", [])):
            return True
        return order.edi_revision > 0 and order.edi_state in (
            "queued",
            "sent",
            "acknowledged",
        )

    def _apply_response_line(self, trading_partner, line, line_data, *, change=False):
        """Apply the supplier's verdict on one line; return (decisions for the
        buyer, whether the line was changed as the supplier said).

        Quantities and prices are converted from the supplier's unit to the
        line's. ``change``: the verdict answers a revision of the line, so a
        refusal leaves the line as the buyer asked and the buyer decides.
        """
        code = line_data.get("status") or documents.LINE_ACCEPTED
        meaning = documents.line_meaning(code)
        words = documents.LINE_STATUS_WORDS.get(code, code)
        reason = line_data.get("reason") or ""
        reason_text = f" ({reason})" if reason else ""
        label = line.product_id.display_name
        unit = line_data.get("uom")

        def in_line_unit(key, default):
            value = _float(line_data.get(key), None)
            if value is None:
                return default
            return trading_partner._edi_to_line_unit(line, unit, quantity=value)[0]

        confirmed = in_line_unit("confirmed_quantity", line.product_qty)
        backordered = in_line_unit("backordered_quantity", 0.0)
        price = _float(line_data.get("price"), None)
        price = (
            line.price_unit
            if price is None
            else trading_partner._edi_to_line_unit(line, unit, price=price)[1]
        )
        values = {
            "edi_status_code": code,
            "edi_confirmed_qty": confirmed,
            "edi_confirmed_price": price,
            "edi_backordered_qty": backordered,
            "edi_backorder_date": line_data.get("backorder_date") or False,
            "edi_note": reason[:250] or False,
            "edi_status": "accepted",
        }
        decisions = []
        changed = False
        if meaning in (
            documents.MEANING_REJECTED,
            documents.MEANING_DELETED,
        ):
            values.update(edi_confirmed_qty=0.0, edi_backordered_qty=0.0)
            if change:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier refused the change (%(words)s)"
                        "%(reason)s. Put the line back as it was, or agree the "
                        "change with the supplier.",
                        product=label,
                        words=words,
                        reason=reason_text,
                    )
                )
            else:
                values["edi_status"] = "rejected"
                decisions.append(
                    _(
                        "%(product)s: %(words)s by the supplier%(reason)s. Cancel "
                        "the line or source it elsewhere.",
                        product=label,
                        words=words,
                        reason=reason_text,
                    )
                )
            line.write(values)
            return decisions, changed
        if meaning is None:
            values["edi_status"] = "waiting"
            decisions.append(
                _(
                    "%(product)s: the supplier answered with status %(code)r, "
                    "which no code list has%(reason)s. Ask the supplier what it "
                    "means.",
                    product=label,
                    code=code,
                    reason=reason_text,
                )
            )
            line.write(values)
            return decisions, changed
        if meaning == documents.MEANING_ON_HOLD:
            values["edi_status"] = "on_hold"
            decisions.append(
                _(
                    "%(product)s: %(words)s%(reason)s. Nothing ships until the "
                    "supplier releases it: follow it up with the supplier.",
                    product=label,
                    words=words,
                    reason=reason_text,
                )
            )
            line.write(values)
            return decisions, changed
        if line_data.get("date"):
            values["date_planned"] = fields.Datetime.to_datetime(line_data["date"])
        elif backordered and not confirmed and line_data.get("backorder_date"):
            values["date_planned"] = fields.Datetime.to_datetime(
                line_data["backorder_date"]
            )
        if meaning == documents.MEANING_CHANGED:
            values["edi_status"] = "changed"
            changed = True
        if meaning == documents.MEANING_PRICE_PENDING:
            values["edi_status"] = "price_pending"
            values["edi_note"] = values["edi_note"] or _("Price to follow")
        if backordered:
            values["edi_status"] = "backordered"
        if code == "IS":
            decisions.append(
                _(
                    "%(product)s: the supplier substitutes another item%(reason)s. "
                    "Check the substitute before receiving it.",
                    product=label,
                    reason=reason_text,
                )
            )
        quantity_tolerance = trading_partner.quantity_tolerance_percent / 100
        price_tolerance = trading_partner.price_tolerance_percent / 100
        # A backorder is still coming: the line is answered by what arrives
        # now and what follows.
        arriving = confirmed + backordered
        if abs(arriving - line.product_qty) > 1e-6:
            allowed = quantity_tolerance * line.product_qty
            if abs(arriving - line.product_qty) <= allowed + 1e-6:
                values["product_qty"] = arriving
                values["edi_status"] = "changed"
                changed = True
            else:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier confirms %(confirmed)s of "
                        "%(ordered)s%(reason)s. Reduce the line, keep waiting "
                        "or order the rest elsewhere.",
                        product=label,
                        confirmed=arriving,
                        ordered=line.product_qty,
                        reason=reason_text,
                    )
                )
        if (
            meaning != documents.MEANING_PRICE_PENDING
            and abs(price - line.price_unit) > 1e-6
        ):
            if (
                abs(price - line.price_unit)
                <= price_tolerance * abs(line.price_unit) + 1e-6
            ):
                values["price_unit"] = price
                if values["edi_status"] != "waiting":
                    values["edi_status"] = "changed"
                changed = True
            else:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier prices it at %(price)s, the "
                        "order says %(ordered)s. Accept the price on the order "
                        "or dispute it.",
                        product=label,
                        price=price,
                        ordered=line.price_unit,
                    )
                )
        line.write(values)
        return decisions, changed

    # -- 865 / ORDRSP answering a change ----------------------------------------

    def _apply_change_response(self, message, trading_partner, document):
        """The supplier's answer to the order's last revision or cancellation."""
        order = self._find_order(trading_partner, document["order_number"])
        self._one_at_a_time(order)
        order = order.with_context(edi_applying_partner_document=True)
        cancelling = order.state == "cancel"
        lines = document.get("lines", [])
        decisions = []
        if cancelling:
            # Cancelled lines come back deleted or refused with nothing
            # confirmed; one still confirmed will ship.
            still_coming = [
                line_data
                for line_data in lines
                if documents.line_meaning(line_data.get("status"))
                not in (documents.MEANING_REJECTED, documents.MEANING_DELETED)
                and _float(line_data.get("confirmed_quantity"), 1.0) > 0
            ]
            refused = (
                bool(still_coming)
                if lines
                else document.get("order_rejected") or document.get("order_held")
            )
            if refused:
                order.edi_state = "cancel_rejected"
                self._raise(
                    message,
                    "business_rule",
                    _(
                        "%(partner)s refused to cancel purchase order %(order)s",
                        partner=trading_partner.name,
                        order=order.name,
                    ),
                    _(
                        "The supplier still delivers what it confirmed: "
                        "%(lines)s. Receive the goods and set the order back to "
                        "a purchase, or agree a return with the supplier.",
                        lines="; ".join(
                            f"{line_data.get('vendor_code') or line_data.get('gtin')}"
                            f" {line_data.get('confirmed_quantity')}"
                            + (
                                f" ({line_data['reason']})"
                                if line_data.get("reason")
                                else ""
                            )
                            for line_data in still_coming
                        )
                        or document.get("response_type"),
                    ),
                    assignee=order.user_id,
                )
            else:
                order.edi_state = "cancel_confirmed"
            order._integration_log_event(
                body=_(
                    "Cancellation answered by %(partner)s (%(message)s).",
                    partner=trading_partner.name,
                    message=message.name,
                )
            )
            return order
        if document.get("order_rejected") and not lines:
            decisions.append(
                _(
                    "The supplier refused revision %(revision)s of the order "
                    "(%(type)s).",
                    revision=order.edi_revision,
                    type=document.get("response_type"),
                )
            )
        for line_data in lines:
            line = self._order_line(order, line_data)
            meaning = documents.line_meaning(line_data.get("status"))
            if not line:
                if meaning in (
                    documents.MEANING_REJECTED,
                    documents.MEANING_DELETED,
                ) or line_data.get("change_action") in ("DI", "deleted"):
                    continue  # a line the revision deleted: deleted there too
                decisions.append(
                    _(
                        "Line %(line)s (%(code)s) of the answer matches no line "
                        "of %(order)s.",
                        line=line_data.get("line_id"),
                        code=line_data.get("vendor_code") or line_data.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            line_decisions, _changed = self._apply_response_line(
                trading_partner, line, line_data, change=True
            )
            decisions += line_decisions
        order.edi_state = "change_rejected" if decisions else "change_accepted"
        if decisions:
            self._raise(
                message,
                "business_rule",
                _(
                    "%(partner)s did not accept revision %(revision)s of %(order)s "
                    "as sent",
                    partner=trading_partner.name,
                    revision=order.edi_revision,
                    order=order.name,
                ),
                "\n".join(decisions),
                assignee=order.user_id,
            )
        order._integration_log_event(
            body=_(
                "Change acknowledgement from %(partner)s applied (%(message)s).",
                partner=trading_partner.name,
                message=message.name,
            )
        )
        return order

    # -- 856 / DESADV ---------------------------------------------------------------

    def _apply_despatch(self, message, trading_partner, document):
        orders = self.env["purchase.order"]
        for number in document.get("order_numbers") or []:
            orders |= self._find_order(trading_partner, number)
        if not orders:
            raise errors.PermanentError(
                _(
                    "Ship notice %s names no purchase order.",
                    document.get("shipment_id"),
                ),
                category="mapping",
            )
        self._one_at_a_time(orders)
        earlier = self._earlier_notices(message, trading_partner, document, orders)
        if earlier is not None:
            return self._despatch_again(
                message, trading_partner, document, orders, earlier
            )
        problems = []
        pickings = self.env["stock.picking"]
        announced = {}  # purchase line: (quantity shipped, quantity still expected)
        for item in document.get("items", []):
            number = item.get("order_number")
            order = orders.filtered(lambda o, n=number: o.name == n)[:1] or orders[:1]
            line = self._order_line(order, item)
            if not line:
                problems.append(
                    _(
                        "Item %(line)s (%(code)s) matches no line of %(order)s.",
                        line=item.get("line_id"),
                        code=item.get("vendor_code") or item.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            quantity = trading_partner._edi_to_line_unit(
                line, item.get("uom"), _float(item.get("quantity"), 0.0)
            )[0]
            problem, picking, expected = self._announce(
                line, quantity, item.get("lots") or []
            )
            pickings |= picking
            if problem:
                problems.append(problem)
            elif line in announced:
                shipped, _expected = announced[line]
                announced[line] = (shipped + quantity, _expected)
            else:
                announced[line] = (quantity, expected)
        tracking = ", ".join(document.get("tracking_numbers") or [])
        for picking in pickings:
            values = {
                "edi_shipment_id": document.get("shipment_id"),
                "edi_carrier": document.get("carrier") or False,
                "edi_tracking_numbers": tracking or False,
                "edi_bill_of_lading": document.get("bill_of_lading") or False,
                "edi_shipped_date": document.get("shipped_date") or False,
            }
            if document.get("expected_date"):
                values["scheduled_date"] = fields.Datetime.to_datetime(
                    document["expected_date"]
                )
            picking.write(values)
            picking._integration_log_event(
                body=_(
                    "Ship notice %(shipment)s from %(partner)s: %(carrier)s "
                    "%(tracking)s",
                    shipment=document.get("shipment_id"),
                    partner=trading_partner.name,
                    carrier=document.get("carrier") or "",
                    tracking=tracking,
                )
            )
        over_delivered = self._over_delivered(trading_partner, announced)
        if trading_partner.receipt_policy == "validate":
            held = self.env["stock.picking"]
            for line in over_delivered:
                held |= self._open_moves(line).picking_id
            for picking in pickings.filtered(
                lambda p: p.state not in ("done", "cancel") and p not in held
            ):
                if any(move.quantity for move in picking.move_ids):
                    picking.with_context(
                        skip_backorder=False, cancel_backorder=False
                    )._action_done()
        problems += self._surplus_problems(trading_partner, announced, over_delivered)
        if problems:
            self._raise(
                message,
                "business_rule",
                _(
                    "Ship notice %(shipment)s from %(partner)s needs checking",
                    shipment=document.get("shipment_id"),
                    partner=trading_partner.name,
                ),
                "\n".join(problems),
                assignee=orders[:1].user_id,
            )
        return pickings[:1] or orders[:1]

    @staticmethod
    def _open_moves(line):
        return line.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel") and m.picking_code == "incoming"
        ).sorted("id")

    def _announce(self, line, quantity, lots):
        """Put ``quantity`` of ``line`` on its open receipt moves, each up to
        what it still expects and the surplus on the last one.

        Returns (problem or None, pickings touched, quantity still expected
        before this notice). A line raised after sending has a move per
        revision: the notice fills them all, so none stays expected.
        """
        moves = self._open_moves(line)
        if not moves:
            return (
                _(
                    "%(product)s: %(quantity)s announced but no receipt is open for "
                    "it on %(order)s.",
                    product=line.product_id.display_name,
                    quantity=quantity,
                    order=line.order_id.name,
                ),
                self.env["stock.picking"],
                0.0,
            )
        expected = sum(
            max(move.product_uom_qty - move.edi_announced_qty, 0.0) for move in moves
        )
        remaining = quantity
        touched = self.env["stock.move"]
        for move in moves:
            room = max(move.product_uom_qty - move.edi_announced_qty, 0.0)
            share = remaining if move == moves[-1] else min(remaining, room)
            if share <= 1e-9:
                continue
            # Serial numbers go one per unit, in the notice's order.
            if move.has_tracking == "serial" and len(lots) >= round(quantity):
                start = round(quantity - remaining)
                move_lots = lots[start : start + round(share)]
            else:
                move_lots = lots
            self._fill_move(move, share, move_lots)
            remaining -= share
            touched |= move
        return None, touched.picking_id, expected

    def _fill_move(self, move, quantity, lots):
        move.edi_announced_qty += quantity
        if move.has_tracking != "none" and lots:
            # Lines the reservation made carry no lot: the notice's replace them.
            move.move_line_ids.filtered(
                lambda ml: not ml.lot_id and not ml.lot_name
            ).unlink()
            share = quantity / len(lots)
            move.write(
                {
                    "move_line_ids": [
                        Command.create(
                            {
                                "product_id": move.product_id.id,
                                "product_uom_id": move.product_uom.id,
                                "location_id": move.location_id.id,
                                "location_dest_id": move.location_dest_id.id,
                                "lot_name": lot,
                                "quantity": share,
                                "picking_id": move.picking_id.id,
                            }
                        )
                        for lot in lots
                    ]
                }
            )
        else:
            move.quantity = move.edi_announced_qty
        move.picked = True

    def _over_delivered(self, trading_partner, announced):
        """The lines whose goods (received and announced) exceed the ordered
        quantity by more than the trading partner's tolerance."""
        tolerance = trading_partner.over_delivery_tolerance_percent / 100
        over = self.env["purchase.order.line"]
        for line in announced:
            coming = sum(
                move.product_uom._compute_quantity(move.quantity, line.product_uom)
                for move in self._open_moves(line)
            )
            if line.qty_received + coming > line.product_qty * (1 + tolerance) + 1e-6:
                over |= line
        return over

    def _surplus_problems(self, trading_partner, announced, over_delivered):
        """Say what became of each surplus, once the receipts were handled."""
        problems = []
        for line in over_delivered:
            shipped, expected = announced[line]
            receipts = ", ".join(self._open_moves(line).picking_id.mapped("name"))
            values = {
                "product": line.product_id.display_name,
                "quantity": shipped,
                "open": expected,
                "ordered": line.product_qty,
                "tolerance": trading_partner.over_delivery_tolerance_percent,
                "receipts": receipts,
            }
            if trading_partner.receipt_policy == "validate":
                problems.append(
                    _(
                        "%(product)s: %(quantity)s shipped, %(open)s still expected "
                        "of %(ordered)s ordered (tolerance %(tolerance)s %%). "
                        "Receipt %(receipts)s was prefilled with what shipped but "
                        "NOT validated: the warehouse counts it, then validates it "
                        "or returns the surplus.",
                        **values,
                    )
                )
            else:
                problems.append(
                    _(
                        "%(product)s: %(quantity)s shipped, %(open)s still expected "
                        "of %(ordered)s ordered (tolerance %(tolerance)s %%). The "
                        "surplus is on receipt %(receipts)s, not yet validated, "
                        "for the warehouse to check.",
                        **values,
                    )
                )
        return problems

    # -- a ship notice received again ---------------------------------------------

    # What tells one copy of a ship notice from another without changing what
    # it announces: its envelope, and the date the document was written.
    NOTICE_COPY_KEYS = frozenset(
        (
            "control_number",
            "interchange_control_number",
            "group_control_number",
            "test",
            "trading_partner_id",
            "code",
            "date",
        )
    )

    def _earlier_notices(self, message, trading_partner, document, orders):
        """The documents of a shipment applied before: None for a new shipment,
        else a list (empty when only the receipts remember it)."""
        shipment = document.get("shipment_id")
        previous = (
            self.env["edi.document"]
            .sudo()
            .search(
                [
                    ("trading_partner_id", "=", trading_partner.id),
                    ("direction", "=", "inbound"),
                    ("kind", "=", documents.DESPATCH),
                    ("reference", "=", shipment),
                    ("message_id", "!=", message.id),
                    ("message_id.state", "=", "done"),
                ],
                order="id",
            )
        )
        if previous:
            return list(previous)
        if orders.picking_ids.filtered(lambda p: p.edi_shipment_id == shipment):
            return []
        return None

    def _despatch_again(self, message, trading_partner, document, orders, earlier):
        """A shipment already applied: nothing changes; a copy announcing
        something else goes to a person."""
        shipment = document.get("shipment_id")
        pickings = orders.picking_ids.filtered(lambda p: p.edi_shipment_id == shipment)
        first = None
        if earlier:
            try:
                first = json.loads(earlier[0].message_id._get_payload())
            except Exception:  # a purged payload: compare with nothing
                first = None
        differences = (
            self._notice_differences(first, document)
            if first is not None
            else [_("The first notice's content is no longer stored.")]
        )
        if not differences:
            for picking in pickings:
                picking._integration_log_event(
                    body=_(
                        "Ship notice %(shipment)s received again from %(partner)s "
                        "(%(message)s), unchanged: nothing was applied twice.",
                        shipment=shipment,
                        partner=trading_partner.name,
                        message=message.name,
                    )
                )
            return pickings[:1] or orders[:1]
        self._raise(
            message,
            "duplicate",
            _(
                "%(partner)s sent ship notice %(shipment)s again, with different "
                "content",
                partner=trading_partner.name,
                shipment=shipment,
            ),
            _(
                "Nothing of this copy was applied: the receipts still show the first "
                "notice (%(first)s).\n%(differences)s\nCheck with the supplier "
                "which is right and correct the receipt %(receipts)s by hand.",
                first=earlier[0].message_id.name if earlier else "-",
                differences="\n".join(differences),
                receipts=", ".join(pickings.mapped("name")) or "-",
            ),
            assignee=orders[:1].user_id,
        )
        return pickings[:1] or orders[:1]

    def _notice_differences(self, first, again):
        """What ``again`` announces differently from ``first``, line by line."""

        def item_key(item):
            return (
                item.get("order_number") or "",
                item.get("line_id") or "",
                item.get("vendor_code") or "",
                item.get("gtin") or "",
            )

        differences = []
        keys = (set(first) | set(again)) - self.NOTICE_COPY_KEYS - {"items"}
        for key in sorted(keys):
            if (first.get(key) or None) != (again.get(key) or None):
                differences.append(
                    _(
                        "%(field)s: %(first)s, now %(again)s",
                        field=key,
                        first=first.get(key),
                        again=again.get(key),
                    )
                )
        first_items = {item_key(i): i for i in first.get("items") or []}
        again_items = {item_key(i): i for i in again.get("items") or []}
        for key in sorted(set(first_items) | set(again_items)):
            label = "/".join(part for part in key if part)
            before, now = first_items.get(key), again_items.get(key)
            if before is None:
                differences.append(_("Item %s: only in the new copy.", label))
            elif now is None:
                differences.append(_("Item %s: missing from the new copy.", label))
            elif before != now:
                changed = sorted(
                    k for k in set(before) | set(now) if before.get(k) != now.get(k)
                )
                differences.append(
                    _(
                        "Item %(item)s: %(changes)s",
                        item=label,
                        changes=", ".join(
                            f"{k} {before.get(k)} → {now.get(k)}" for k in changed
                        ),
                    )
                )
        return differences

    # -- 810 / INVOIC ---------------------------------------------------------------

    def _apply_invoice(self, message, trading_partner, document):
        order = self._find_order(trading_partner, document["order_number"])
        self._one_at_a_time(order)
        number = document["invoice_number"]
        commercial = trading_partner.partner_id.commercial_partner_id
        existing = self.env["account.move"].search(
            [
                ("move_type", "=", "in_invoice"),
                ("commercial_partner_id", "=", commercial.id),
                ("state", "!=", "cancel"),
                "|",
                ("edi_invoice_number", "=", number),
                ("ref", "=", number),
            ],
            limit=1,
        )
        if existing:
            self._raise(
                message,
                "duplicate",
                _(
                    "%(partner)s sent invoice %(number)s again; it is already %(bill)s",
                    partner=trading_partner.name,
                    number=number,
                    bill=existing.display_name,
                ),
                _(
                    "No second bill was created. If the supplier really bills "
                    "twice, ask for a credit note or a new invoice number."
                ),
                assignee=order.user_id,
            )
            return existing
        lines = []
        unmatched = []
        for line_data in document.get("lines", []):
            purchase_line = self._order_line(order, line_data)
            quantity = _float(line_data.get("quantity"), 0.0)
            price = _float(line_data.get("price"), 0.0)
            if not purchase_line:
                unmatched.append(line_data)
                lines.append(
                    Command.create(
                        {
                            "name": _(
                                "%(code)s (not on %(order)s)",
                                code=line_data.get("vendor_code")
                                or line_data.get("gtin")
                                or line_data.get("line_id"),
                                order=order.name,
                            ),
                            "quantity": quantity,
                            "price_unit": price,
                        }
                    )
                )
                continue
            quantity, price = trading_partner._edi_to_line_unit(
                purchase_line, line_data.get("uom"), quantity, price
            )
            values = purchase_line._prepare_account_move_line()
            values.update(quantity=quantity, price_unit=price)
            lines.append(Command.create(values))
        invoice_date = document.get("date") or fields.Date.context_today(self)
        bill = (
            self.env["account.move"]
            .with_company(order.company_id)
            .with_context(default_move_type="in_invoice")
            .create(
                {
                    "move_type": "in_invoice",
                    "partner_id": order.partner_id.id,
                    "ref": number,
                    "edi_invoice_number": number,
                    "invoice_date": invoice_date,
                    "invoice_origin": order.name,
                    "currency_id": self._currency(document, order).id,
                    "company_id": order.company_id.id,
                    "invoice_line_ids": lines,
                }
            )
        )
        if document.get("total") is not None:
            bill.edi_invoice_total = float(document["total"])
        differences = bill._edi_three_way_match()
        # Goods not received yet are no exception: the bill says it waits.
        if bill.edi_match_state != "mismatch":
            differences = []
        bill._integration_log_event(
            body=_(
                "Created from %(partner)s's EDI invoice %(number)s (%(message)s).",
                partner=trading_partner.name,
                number=number,
                message=message.name,
            )
        )
        if differences:
            self._raise(
                message,
                "business_rule",
                _(
                    "Invoice %(number)s from %(partner)s does not match %(order)s",
                    number=number,
                    partner=trading_partner.name,
                    order=order.name,
                ),
                _(
                    "Bill %(bill)s is a draft and cannot be posted until the "
                    "difference is resolved:\n%(details)s",
                    bill=bill.display_name,
                    details="\n".join(differences),
                ),
                assignee=order.user_id,
            )
        return bill

    def _currency(self, document, order):
        code = document.get("currency")
        if code and code != order.currency_id.name:
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", code)], limit=1)
            )
            if currency:
                return currency
        return order.currency_id


class EdiPollHandler(models.AbstractModel):
    _name = "integration.handler.edi_poll"
    _inherit = "integration.handler"
    _description = "EDI: collect files from folder and SFTP partners"

    def _collect(self, flow, endpoint):
        collected = 0
        trading_partners = (
            self.env["edi.trading.partner"]
            .sudo()
            .search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("transport", "in", ("folder", "sftp")),
                ]
            )
        )
        for trading_partner in trading_partners:
            collected += self._collect_from(trading_partner)
        return collected

    def _collect_from(self, trading_partner):
        """Log every settled file of the partner's inbox as an inbound message.

        A file is claimed (renamed) first; it moves to processed/ only once
        the message is committed, and goes back to its name on a rollback,
        so nothing is lost and nothing is read twice.
        """
        cr = self.env.cr
        exchange = trading_partner._transport()
        try:
            # A poller that crashed between claim and commit left its files
            # claimed: give them back before claiming, so this run takes them.
            exchange.recover_stale(self._stale_claim_seconds())
        except Exception:
            exchange.close()
            raise
        claimed = exchange.claim()
        if not claimed:
            exchange.close()
            return 0
        done, failed = [], []
        try:
            self._log_files(trading_partner, exchange, claimed, done, failed)
        except Exception:
            # The savepoint around the collect step rolls the messages back:
            # put the files back too, for the next run.
            for inbound in claimed:
                exchange.release(inbound)
            exchange.close()
            raise
        count = len(done)

        def finish():
            try:
                for inbound in done:
                    exchange.done(inbound)
                for inbound, reason in failed:
                    exchange.failed(inbound, reason)
            finally:
                exchange.close()

        def give_back():
            try:
                for inbound in claimed:
                    exchange.release(inbound)
            finally:
                exchange.close()

        cr.postcommit.add(finish)
        cr.postrollback.add(give_back)
        return count

    def _stale_claim_seconds(self):
        """How old a claim is before it counts as left by a crashed poller.

        A claim lives for one transaction, which Odoo's time limits end long
        before this.
        """
        minutes = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("distribution_edi.stale_claim_minutes", 15)
        )
        return max(int(minutes), 1) * 60

    def _log_files(self, trading_partner, exchange, claimed, done, failed):
        dispatch = self.env["integration.dispatch"]
        for inbound in claimed:
            try:
                payload = exchange.read(inbound)
            except Exception as exc:  # unreadable: keep it aside for a person
                failed.append((inbound, str(exc)))
                continue
            if not payload.strip():
                failed.append((inbound, "empty file"))
                continue
            dispatch._receive(
                INTERCHANGE_FLOW,
                trading_partner.endpoint_id,
                payload,
                partner=trading_partner.partner_id,
                idempotency_key=f"file:{trading_partner._payload_digest(payload)}",
                content_type=trading_partner._content_type(),
                filename=inbound.name,
                external_ref=inbound.name,
            )
            done.append(inbound)


def _float(value, default):
    if value in (None, ""):
        return default
    return float(value)
