"""Flow handlers of the 3PL channel: flow code → handler → client call.

flow         handler                              client call / effect
tpl-940-out  integration.handler.tpl_release      account._tpl_send(shipping_order)
tpl-997-out  integration.handler.tpl_ack_out      deliver() a 997
tpl-x12-in   integration.handler.tpl_x12_in       account._tpl_apply(kind of each set)
tpl-collect  integration.handler.collect (kernel) the endpoint's inbox → tpl-x12-in
tpl-outbox-poll integration.handler.tpl_outbox    outbox()/fetch() → tpl-x12-in
"""

import hashlib

import requests

from odoo import _, models
from odoo.addons.distribution_edi.edi import ack, reader, warehouse
from odoo.addons.distribution_edi.edi.documents import DocumentError
from odoo.addons.distribution_edi.edi.errors import EdiError
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.inbound import EDI_TYPES
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..tpl.client import X12_CONTENT_TYPE
from ..tpl.guard import document_problem

ACK_FLOW = "distribution_3pl.flow_tpl_997_out"
X12_IN_FLOW = "distribution_3pl.flow_tpl_x12_in"


class TplReleaseHandler(models.AbstractModel):
    _name = "integration.handler.tpl_release"
    _inherit = "integration.handler.outbound"
    _description = "3PL: release a delivery (940)"

    def _send(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        picking = self._related_record(message, "stock.picking")
        order = self._payload_json(message)
        reference, answer, content_type = account._tpl_send(
            warehouse.SHIPPING_ORDER, order, message
        )
        picking._tpl_released(message, order["purpose"], account)
        return HandlerResult(
            external_ref=reference,
            response_payload=answer,
            response_content_type=content_type,
            record=picking,
        )


class TplAckOutHandler(models.AbstractModel):
    _name = "integration.handler.tpl_ack_out"
    _inherit = "integration.handler.outbound"
    _description = "3PL: acknowledge the warehouse's interchange (997)"

    def _send(self, message):
        account = self.env["tpl.warehouse.account"]._for_endpoint(message.endpoint_id)
        client = account._client()
        try:
            reference, _answer = client.deliver(
                message.payload_attachment_id.name or f"997_{message.id}.x12",
                message._get_payload(),
            )
        finally:
            client.close()
        return HandlerResult(external_ref=str(reference))


class TplX12InHandler(models.AbstractModel):
    _name = "integration.handler.tpl_x12_in"
    _inherit = "integration.handler.inbound"
    _description = "3PL: read the warehouse's X12 (945, 997)"
    # The warehouse may push its interchanges to the inbound gateway
    # (/integration/inbound/<endpoint>/tpl-x12-in) as well as drop them.
    _inbound_content_types = EDI_TYPES

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
        touched = []
        references = []
        for interchange in interchanges:
            answered = False
            for transaction_set in interchange.transaction_sets:
                if transaction_set.code == "997":
                    continue  # its acknowledgement of our 940s: nothing to apply
                answered = True
                if not transaction_set.result.accepted:
                    # The 997 tells the warehouse what was wrong; the reviewer
                    # learns that a document of the 3PL was not applied.
                    findings = "; ".join(str(f) for f in transaction_set.findings[:5])
                    self._raise_exception(
                        message,
                        "validation",
                        _("A %(set)s from the 3PL was refused by syntax (rejected "
                          "in the 997): %(findings)s", set=transaction_set.code,
                          findings=findings),
                        assignee=account.reviewer_id,
                    )  # fmt: skip
                    continue
                kind = warehouse.KIND_BY_CODE.get(
                    transaction_set.code, transaction_set.code
                )
                if not account._tpl_handles(kind):
                    account._tpl_apply(kind, None, message, self)  # refused, queued
                    continue
                try:
                    document = warehouse.read_warehouse_document(transaction_set)
                except DocumentError as exc:
                    self._raise_exception(
                        message,
                        "validation",
                        _("A %(set)s from the 3PL cannot be read: %(error)s",
                          set=transaction_set.code, error=exc),
                        assignee=account.reviewer_id,
                    )  # fmt: skip
                    continue
                records = account._tpl_apply(kind, document, message, self)
                if not document_problem(document):  # a NUL names nothing
                    references.append(
                        document.get("shipment_id") or document.get("report_id") or ""
                    )
                if records:
                    touched.append(records)
            if answered:
                self._acknowledge(account, interchange, message)
        return HandlerResult(
            external_ref=",".join(filter(None, references)) or None,
            record=touched[0][:1] if touched else None,
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
