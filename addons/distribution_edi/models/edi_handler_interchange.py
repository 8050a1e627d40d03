"""Inbound EDI interchanges: ``integration.handler.edi_interchange`` reads a
received interchange, answers it with a 997 / CONTRL and splits it into one
business message per transaction set, each received into its document's flow
(see ``edi_handler_documents``)."""

from odoo import _, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.inbound import EDI_TYPES
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..edi import EdiReader, ack, documents
from ..edi.reader import REJECTED

ACK_FLOW = "edi-ack-out"
DOCUMENT_FLOWS = {
    documents.ACKNOWLEDGEMENT: "edi-ack-in",
    documents.ORDER_RESPONSE: "edi-order-response-in",
    documents.CHANGE_RESPONSE: "edi-change-response-in",
    documents.DESPATCH: "edi-despatch-in",
    documents.INVOICE: "edi-invoice-in",
}
ACK_CODES = {"997", "CONTRL"}


class EdiInterchangeHandler(models.AbstractModel):
    _name = "integration.handler.edi_interchange"
    _inherit = "integration.handler.inbound"
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
            self._raise_exception(
                message,
                "validation",
                _(
                    "%(ref)s: %(count)s document(s) of the interchange were not "
                    "applied",
                    ref=message.name,
                    count=len(problems),
                ),
                "\n".join(problems),
                severity="high",
            )
        return HandlerResult(
            external_ref=", ".join(
                i.header.control_number for i in reader.interchanges
            ),
            partner=partner or None,
        )

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
