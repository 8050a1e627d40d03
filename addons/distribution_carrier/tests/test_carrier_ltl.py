import requests

from odoo import Command
from odoo.tests import tagged

from ..carrier.sandbox_ltl import (
    REJECTED_POSTAL_CODE,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    SandboxLtlServer,
)
from .common import CarrierCase


@tagged("post_install", "-at_install")
class TestLtlCycle(CarrierCase):
    """Pallets booked with the SANDBOX LTL SOAP service, tracked by polling."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxLtlServer().start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.endpoint = cls.make_endpoint(
            "ltl-test", cls.sandbox.service_url, protocol="soap"
        )
        credential = cls.env["integration.credential"].create(
            {
                "name": "LTL sandbox login",
                "endpoint_id": cls.endpoint.id,
                "kind": "basic_auth",
                "username": SANDBOX_USERNAME,
                "secret": SANDBOX_PASSWORD,
            }
        )
        cls.account = cls.env["carrier.account"].create(
            {
                "name": "LTL sandbox",
                "adapter": "ltl_soap",
                "endpoint_id": cls.endpoint.id,
                "credential_id": credential.id,
                "tracking_by_webhook": False,
            }
        )
        cls.method = cls.make_delivery_method(
            "LTL standard", "ltl_soap", cls.account, "STD"
        )
        cls.poll_flow = cls.env.ref("distribution_carrier.flow_carrier_tracking_poll")
        cls.poll_flow.endpoint_ids = [Command.link(cls.endpoint.id)]

    def setUp(self):
        super().setUp()
        requests.post(self.sandbox.url + "/_sandbox/reset", timeout=5)

    def poll(self):
        with self.jobs() as trap:
            self.env["integration.dispatch"]._run_batch_flows(self.poll_flow)
            self.run_jobs(trap)

    def test_book_with_bol_then_poll_to_delivered_with_pod(self):
        order = self.sell(self.method)
        delivery_line = order.order_line.filtered("is_delivery")
        self.assertGreater(delivery_line.price_unit, 0)
        picking = order.picking_ids
        with self.jobs() as trap:
            self.pack_and_validate(picking)
            self.run_jobs(trap)
        message = picking.carrier_booking_message_id
        self.assertEqual(message.state, "sent", message.last_error)
        pro = picking.carrier_shipment_ref
        self.assertTrue(pro)
        self.assertEqual(
            set(picking.carrier_package_ids.mapped("tracking_number")), {pro}
        )
        self.assertEqual(picking.carrier_tracking_ref, pro)
        self.assertGreater(picking.carrier_price, 0)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        bol = attachments.filtered(lambda a: a.name.startswith("ShippingDoc-ltl_soap-"))
        self.assertEqual(len(bol), 1, attachments.mapped("name"))
        self.assertTrue(bol.raw.startswith(b"%PDF"))
        self.assertEqual(len(self.labels(picking)), 2)
        # The SOAP exchange is in the message log, password masked.
        response = message.response_attachment_id.raw.decode()
        self.assertIn("BookShipment", response)
        self.assertNotIn(SANDBOX_PASSWORD, response)

        self.poll()
        self.assertEqual(picking.delivery_state, "shipping_recorded_in_carrier")
        requests.post(
            f"{self.sandbox.url}/_sandbox/advance/{pro}",
            json={"to": "delivered", "signed_by": "R. RECEIVER"},
            timeout=5,
        ).raise_for_status()
        self.poll()
        self.assertEqual(picking.delivery_state, "customer_delivered")
        self.assertEqual(picking.carrier_signed_by, "R. RECEIVER")
        self.assertTrue(picking.date_delivered)
        self.assertIn("D1", picking.carrier_tracking_event_ids.mapped("code"))
        pod = attachments.search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("name", "=like", "POD-%"),
            ]
        )
        self.assertEqual(len(pod), 1)
        self.assertTrue(picking.pod_file)
        events = len(picking.carrier_tracking_event_ids)
        messages = self.env["integration.message"].search_count(
            [("flow_id", "=", self.poll_flow.id)]
        )
        self.poll()  # delivered: no longer polled
        self.assertEqual(len(picking.carrier_tracking_event_ids), events)
        self.assertEqual(
            self.env["integration.message"].search_count(
                [("flow_id", "=", self.poll_flow.id)]
            ),
            messages,
        )

    def test_rejected_address_lands_in_exception_queue(self):
        order = self.sell(self.method)
        picking = order.picking_ids
        picking.partner_id = self.customer.copy({"zip": REJECTED_POSTAL_CODE})
        with self.jobs() as trap:
            self.pack_and_validate(picking)
            self.run_jobs(trap)
        message = picking.carrier_booking_message_id
        self.assertEqual(message.state, "dead")
        self.assertIn("refused BookShipment", message.exception_ids.name)
        self.assertIn("<", message.exception_ids.details)  # the SOAP exchange
