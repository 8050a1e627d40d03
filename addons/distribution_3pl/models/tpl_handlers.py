"""Flow handlers of the 3PL channel: flow code → handler → client call.

flow         handler                              client call / effect
tpl-940-out  integration.handler.tpl_release      deliver() a 940
tpl-997-out  integration.handler.tpl_ack_out      deliver() a 997
tpl-x12-in   integration.handler.tpl_x12_in       picking._tpl_apply_shipping_advice
tpl-collect  integration.handler.collect (kernel) the endpoint's inbox → tpl-x12-in
tpl-outbox-poll integration.handler.tpl_outbox    outbox()/fetch() → tpl-x12-in
"""

import hashlib
import re

import requests

from odoo import _, models
from odoo.addons.distribution_edi.edi import ack, reader, warehouse
from odoo.addons.distribution_edi.edi.documents import DocumentError
from odoo.addons.distribution_edi.edi.errors import EdiError
from odoo.addons.distribution_edi.edi.writer import write_x12
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..tpl.client import X12_CONTENT_TYPE

ACK_FLOW = "distribution_3pl.flow_tpl_997_out"
X12_IN_FLOW = "distribution_3pl.flow_tpl_x12_in"


def x12_interchange(account, outbound_set):
    """``outbound_set`` in our envelope of ``account``'s interchange profile."""
    profile = account.interchange_profile_id.sudo()
    envelope = profile._envelope(test=profile._test_indicator(account.endpoint_id))
    return write_x12(envelope, [outbound_set], newline=profile.write_newlines)


def deliver(account, name, data):
    """Hand ``data`` to the account's client; ``(reference, answer)``."""
    client = account._client()
    try:
        return client.deliver(name, data)
    finally:
        client.close()


def rejected_sets(answer):
    """What a 997 answered over HTTP rejects (``AK5``/``AK9`` ``R``), read with
    the codec; an answer that is no X12 rejects nothing."""
    if not answer or not answer.lstrip().startswith(b"ISA"):
        return []
    try:
        interchanges = reader.read(answer)
    except EdiError:
        return []
    refused = []
    for interchange in interchanges:
        for transaction_set in interchange.transaction_sets:
            if transaction_set.code != "997":
                continue
            for segment in transaction_set.body:
                tag = segment.values[0]
                if tag in ("AK5", "AK9") and segment.get(1) == "R":
                    refused.append("*".join(str(v) for v in segment.values if v))
    return refused


class TplReleaseHandler(models.AbstractModel):
    _name = "integration.handler.tpl_release"
    _inherit = "integration.handler.outbound"
    _description = "3PL: release a delivery (940)"

    def _send(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        picking = self._related_record(message, "stock.picking")
        order = self._payload_json(message)
        profile = account.interchange_profile_id.sudo()
        try:
            data = x12_interchange(
                account,
                warehouse.shipping_order_set(order, profile._next_set_control_number()),
            )
        except (DocumentError, EdiError) as exc:
            raise errors.PermanentError(
                _("Shipping order %(order)s cannot be written: %(error)s",
                  order=order.get("number"), error=exc),
                category="validation",
            ) from exc  # fmt: skip
        name = re.sub(r"[^A-Za-z0-9_-]", "_", order["number"])
        reference, answer = deliver(account, f"940_{name}_{message.id}.x12", data)
        refused = rejected_sets(answer)
        if refused:
            raise errors.PermanentError(
                _("The warehouse's 997 rejects shipping order %(order)s: %(why)s",
                  order=order["number"], why="; ".join(refused)),
                category="validation",
            )  # fmt: skip
        picking._tpl_released(message, order["purpose"])
        return HandlerResult(
            external_ref=str(reference),
            response_payload=answer or data,
            response_content_type=X12_CONTENT_TYPE,
            record=picking,
        )


class TplAckOutHandler(models.AbstractModel):
    _name = "integration.handler.tpl_ack_out"
    _inherit = "integration.handler.outbound"
    _description = "3PL: acknowledge the warehouse's interchange (997)"

    def _send(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        reference, _answer = deliver(
            account,
            message.payload_attachment_id.name or f"997_{message.id}.x12",
            message._get_payload(),
        )
        return HandlerResult(external_ref=str(reference))


class TplX12InHandler(models.AbstractModel):
    _name = "integration.handler.tpl_x12_in"
    _inherit = "integration.handler.inbound"
    _description = "3PL: read the warehouse's X12 (945, 997)"

    def _process(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        try:
            interchanges = reader.read(message._get_payload())
        except EdiError as exc:
            raise errors.PermanentError(
                _("The warehouse's file is no X12 interchange: %s", exc),
                category="validation",
            ) from exc
        if not interchanges:
            raise errors.PermanentError(
                _("The warehouse's file holds no interchange."), category="validation"
            )
        pickings = self.env["stock.picking"]
        references = []
        for interchange in interchanges:
            answered = False
            for transaction_set in interchange.transaction_sets:
                if transaction_set.code == "997":
                    continue  # its acknowledgement of our 940s: nothing to apply
                answered = True
                if not transaction_set.result.accepted:
                    continue  # the 997 tells the warehouse what was wrong
                if transaction_set.code != "945" or not account.confirm_shipments:
                    self._raise_exception(
                        message,
                        "mapping",
                        _("A %s from the 3PL is not handled by this warehouse "
                          "account.", transaction_set.code),
                        assignee=account.reviewer_id,
                    )  # fmt: skip
                    continue
                try:
                    advice = warehouse.read_warehouse_document(transaction_set)
                except DocumentError as exc:
                    self._raise_exception(
                        message,
                        "validation",
                        _("A shipping advice cannot be read: %s", exc),
                        assignee=account.reviewer_id,
                    )
                    continue
                references.append(advice.get("shipment_id") or "")
                pickings |= self.env["stock.picking"]._tpl_apply_shipping_advice(
                    account, advice, message, self
                )
            if answered:
                self._acknowledge(account, interchange, message)
        return HandlerResult(
            external_ref=",".join(filter(None, references)) or None,
            record=pickings[:1] or None,
        )

    def _acknowledge(self, account, interchange, message):
        profile = account.interchange_profile_id.sudo()
        envelope = profile._envelope(test=profile._test_indicator(account.endpoint_id))
        data = ack.build_997(
            interchange,
            envelope,
            first_control_number=int(profile._next_set_control_number()),
            newline=profile.write_newlines,
        )
        control = interchange.header.control_number if interchange.header else ""
        self.env["integration.dispatch"]._send(
            self.env.ref(ACK_FLOW),
            account.endpoint_id,
            data,
            parent=message,
            content_type=X12_CONTENT_TYPE,
            filename=f"997_{control or 0}_{message.id}.x12",
            # One 997 per interchange the warehouse sent, however often it came.
            idempotency_key=f"997-{message.id}-{control}",
        )


class TplOutboxHandler(models.AbstractModel):
    _name = "integration.handler.tpl_outbox"
    _inherit = "integration.handler.collector"
    _description = "3PL: collect the warehouse's documents over HTTP"

    def _collect(self, flow, endpoint):
        account = self.env["tpl.warehouse.account"]._for_endpoint(endpoint)
        if endpoint.protocol not in ("edi_http", "rest"):
            return 0  # folder warehouses are collected by tpl-collect
        client = account._client()
        received = []
        try:
            for document_id in client.outbox():
                data = client.fetch(document_id)
                self.env["integration.dispatch"]._receive(
                    self.env.ref(X12_IN_FLOW),
                    endpoint,
                    data,
                    # The same bytes read twice (or delivered twice by the
                    # warehouse) are one message, as for collected files.
                    idempotency_key=f"file:{hashlib.sha256(data).hexdigest()}",
                    content_type=X12_CONTENT_TYPE,
                    external_ref=document_id,
                )
                received.append(document_id)
        except requests.RequestException as exc:
            client.close()
            raise errors.classify_exception(exc) from exc
        except Exception:
            client.close()
            raise

        def picked_up():
            # Only once the messages are committed: a rollback leaves the
            # documents waiting at the warehouse for the next run.
            try:
                for document_id in received:
                    client.picked_up(document_id)
            except (requests.RequestException, errors.IntegrationError):
                pass  # still listed next run: the same bytes, the same message
            finally:
                client.close()

        self.env.cr.postcommit.add(picked_up)
        self.env.cr.postrollback.add(client.close)
        return len(received)
