from odoo.tests import tagged

from .common import EdiCase

FLOW_HANDLERS = {
    "flow_edi_ack_in": "integration.handler.edi_ack_in",
    "flow_edi_order_response_in": "integration.handler.edi_order_response_in",
    "flow_edi_change_response_in": "integration.handler.edi_change_response_in",
    "flow_edi_despatch_in": "integration.handler.edi_despatch_in",
    "flow_edi_invoice_in": "integration.handler.edi_invoice_in",
}


@tagged("post_install", "-at_install")
class TestEdiDocumentHandlers(EdiCase):
    def test_each_document_flow_has_its_own_inbound_handler(self):
        for xmlid, handler in FLOW_HANDLERS.items():
            flow = self.env.ref(f"distribution_edi.{xmlid}")
            self.assertEqual(flow.handler, handler)
            self.assertEqual(flow.direction, "inbound")
            self.assertEqual(self.env[handler]._handler_direction, "inbound")
        self.assertEqual(
            self.env.ref("distribution_edi.flow_edi_order_out").handler,
            "integration.handler.edi_send",
        )

    def test_a_document_on_the_flow_of_another_kind_is_refused(self):
        document = {
            "kind": "invoice",
            "code": "810",
            "trading_partner_id": self.trading_partner.id,
            "control_number": "1",
            "invoice_number": "INV-WRONG-FLOW",
            "order_number": "NO-SUCH-ORDER",
        }
        with self.jobs() as trap:
            message = self.dispatch._receive("edi-ack-in", self.endpoint, document)
            self.run_jobs(trap)
        self.assertEqual(message.state, "rejected")
        self.assertEqual(message.error_category, "mapping")
        self.assertIn("applies acknowledgement documents only", message.last_error)
        self.assertFalse(
            self.env["account.move"].search([("ref", "=", "INV-WRONG-FLOW")])
        )
