from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..carrier.sandbox_ltl import (
    REJECTED_POSTAL_CODE,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    SandboxLtlServer,
)
from .common import CarrierCase

# Failed attempts are logged on purpose while the carrier is down.
NOISY_LOGGERS = (
    "odoo.addons.distribution_integration_base",
    "odoo.addons.distribution_carrier",
    "odoo.addons.queue_job",
)


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
                "endpoint_id": cls.endpoint.id,
                "credential_id": credential.id,
                "tracking_by_webhook": False,
            }
        )
        cls.method = cls.make_delivery_method(
            "LTL standard", "ltl_soap", cls.account, "STD"
        )
        # The account polls: saving it linked its endpoint to the polling flow.
        cls.poll_flow = cls.env.ref("distribution_carrier.flow_carrier_tracking_poll")

    def setUp(self):
        super().setUp()
        requests.post(self.sandbox.url + "/_sandbox/reset", timeout=5)

    def poll(self):
        with self.jobs() as trap:
            self.env["integration.dispatch"]._run_batch_flows(self.poll_flow)
            self.run_jobs(trap)

    def test_service_code_is_a_dated_cross_reference_of_the_endpoint(self):
        references = self.env["integration.cross.reference"]
        mapping = references.search(
            [("domain", "=", "carrier_service"), ("res_id", "=", self.method.id)]
        )
        self.assertEqual(mapping.endpoint_id, self.endpoint)
        self.assertEqual(mapping.code, "STD")
        self.method.carrier_service_code = "EXP"
        self.assertEqual(mapping.code, "EXP")
        # From today on the carrier calls the service ECO: the old code ends
        # yesterday (relative to whatever day the test runs).
        today = fields.Date.context_today(self.method)
        mapping.date_to = today - timedelta(days=1)
        references.create(
            {
                "endpoint_id": self.endpoint.id,
                "domain": "carrier_service",
                "res_id": self.method.id,
                "code": "ECO",
                "date_from": today,
            }
        )
        self.method.invalidate_recordset(["carrier_service_code"])
        self.assertEqual(self.method.carrier_service_code, "ECO")
        self.assertEqual(
            references._to_external(
                self.endpoint, "carrier_service", self.method, on_date=mapping.date_to
            ),
            "EXP",
        )
        # Another account on another endpoint: the service code goes with it.
        other_endpoint = self.make_endpoint(
            "ltl-other", self.sandbox.service_url, protocol="soap"
        )
        other_account = self.account.copy(
            {
                "name": "LTL other",
                "endpoint_id": other_endpoint.id,
                "credential_id": False,
            }
        )
        self.method.carrier_account_id = other_account
        self.assertEqual(self.method.carrier_service_code, "ECO")
        self.assertEqual(
            references._to_internal(other_endpoint, "carrier_service", "ECO"),
            self.method,
        )

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

    # -- carrier down ------------------------------------------------------------

    def sandbox_mode(self, **mode):
        requests.post(
            self.sandbox.url + "/_sandbox/mode", json=mode, timeout=5
        ).raise_for_status()

    def sandbox_shipments(self):
        state = requests.get(self.sandbox.url + "/_sandbox/state", timeout=5).json()
        return state["shipments"]

    def test_carrier_down_retries_then_exception_closes_after_recovery(self):
        order = self.sell(self.method)
        picking = order.picking_ids
        self.sandbox_mode(down=True)
        with self.jobs() as trap, mute_logger(*NOISY_LOGGERS):
            self.pack_and_validate(picking)
            message = picking.carrier_booking_message_id
            trap.perform_enqueued_jobs()
            # HTTP 503: transient, retried later, nothing in the queue yet.
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.error_category, "transport")
            self.assertIn("HTTP 503", message.last_error)
            self.assertFalse(message.exception_ids)
            self.run_jobs(trap, rounds=10)
        self.assertEqual(message.state, "dead")
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "transport")
        self.assertIn("Gave up after", exception.name)
        self.assertEqual(picking.carrier_booking_state, "queued")
        self.assertFalse(picking.carrier_package_ids)
        self.assertEqual(self.sandbox_shipments(), {})

        self.sandbox_mode(down=False)
        with self.jobs() as trap:
            message.action_retry()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent", message.last_error)
        self.assertEqual(picking.carrier_booking_state, "booked")
        self.assertEqual(exception.state, "resolved")
        shipments = self.sandbox_shipments()
        self.assertEqual(list(shipments), [picking.carrier_shipment_ref])
        self.assertEqual(
            set(picking.carrier_package_ids.mapped("tracking_number")),
            {picking.carrier_shipment_ref},
        )

    def test_carrier_fault_unavailable_next_attempt_books_once(self):
        order = self.sell(self.method)
        picking = order.picking_ids
        self.sandbox_mode(down=True, down_style="fault")
        with self.jobs() as trap, mute_logger(*NOISY_LOGGERS):
            self.pack_and_validate(picking)
            message = picking.carrier_booking_message_id
            trap.perform_enqueued_jobs()
            self.assertEqual(message.state, "retrying")
            # The cause in one line; the SOAP fault in full for managers.
            self.assertIn("temporarily unavailable", message.last_error)
            self.assertIn("ServiceUnavailable", message.last_error_details)
            self.sandbox_mode(down=False)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent", message.last_error)
        self.assertEqual(message.attempt_count, 2)
        self.assertFalse(message.exception_ids)
        self.assertEqual(len(self.sandbox_shipments()), 1)
        self.assertEqual(picking.carrier_booking_state, "booked")

    # -- scan SLA ----------------------------------------------------------------

    def book_picking(self):
        picking = self.sell(self.method).picking_ids
        with self.jobs() as trap:
            self.pack_and_validate(picking, packages=1)
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_booking_state, "booked")
        return picking

    def scan_window(self, picking, states=("open", "late")):
        return self.env["integration.expectation"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("kind", "=", "carrier_scan"),
                ("state", "in", states),
            ]
        )

    def monitor(self, picking, hours):
        """Run the kernel's monitor ``hours`` after ``picking``'s booking (or
        last scan): the time is told, not waited for."""
        window = self.scan_window(picking)
        since = window.due_at - timedelta(hours=self.account.scan_sla_hours)
        return self.env["integration.expectation"]._cron_raise_late(
            now=since + timedelta(hours=hours)
        )

    def scan_exceptions(self, picking):
        return picking.carrier_booking_message_id.exception_ids.filtered(
            lambda e: e.category == "sla"
        )

    def test_scan_sla_raises_one_exception_per_silent_shipment(self):
        self.assertEqual(self.account.scan_sla_hours, 48)
        silent = self.book_picking()
        recent = self.book_picking()
        cancelled = self.book_picking()
        delivered = self.book_picking()
        window = self.scan_window(silent)
        self.assertEqual(window.state, "open")
        self.assertEqual(window.message_id, silent.carrier_booking_message_id)
        self.assertAlmostEqual(
            window.due_at,
            silent.carrier_booking_message_id.processed_at + timedelta(hours=48),
            delta=timedelta(minutes=1),
        )
        with self.jobs() as trap:
            cancelled.cancel_shipment()
            self.run_jobs(trap)
        self.assertEqual(cancelled.carrier_booking_state, "cancelled")
        self.assertFalse(self.scan_window(cancelled))
        self.assertTrue(self.scan_window(cancelled, ("cancelled",)))
        requests.post(
            f"{self.sandbox.url}/_sandbox/advance/{delivered.carrier_shipment_ref}",
            json={"to": "delivered"},
            timeout=5,
        ).raise_for_status()
        self.poll()
        self.assertEqual(delivered.delivery_state, "customer_delivered")
        self.assertFalse(self.scan_window(delivered))
        self.assertTrue(self.scan_window(delivered, ("met",)))

        # Polling stored the carrier's first events of the other shipments: their
        # windows run from those.
        window = self.scan_window(silent)
        # 47 hours on, nothing is late; at 49 the silent shipment is.
        self.assertNotIn(self.scan_window(recent), self.monitor(recent, 47))
        raised = self.monitor(silent, 49)
        self.assertIn(window, raised)
        exception = self.scan_exceptions(silent)
        self.assertEqual(len(exception), 1)
        self.assertEqual(window.exception_id, exception)
        self.assertEqual(window.state, "late")
        self.assertEqual(exception.severity, "high")
        self.assertIn(silent.name, exception.name)
        self.assertIn("no carrier scan for 48 hours", exception.name)
        self.assertIn(silent.carrier_shipment_ref, exception.name)
        self.assertEqual(silent.integration_expectation_count, 1)
        self.assertEqual(silent.integration_exception_count, 1)
        for picking in (cancelled, delivered):
            self.assertFalse(self.scan_exceptions(picking), picking.name)

        # The next run (an hour later) adds nothing.
        self.assertFalse(self.monitor(silent, 50))
        self.assertEqual(self.scan_exceptions(silent), exception)
        self.assertEqual(exception.occurrence_count, 1)
        self.assertEqual(exception.state, "new")
        # Polling the same (old) scans again neither closes nor re-opens it.
        self.poll()
        self.assertEqual(window.state, "late")
        self.assertEqual(exception.state, "new")

        # The carrier scans it at last: the exception closes itself, and the
        # next scan is expected from this one.
        requests.post(
            f"{self.sandbox.url}/_sandbox/advance/{silent.carrier_shipment_ref}",
            timeout=5,
        ).raise_for_status()
        self.poll()
        self.assertEqual(silent.delivery_state, "in_transit")
        self.assertEqual(window.state, "met")
        self.assertTrue(window.closed_by_message_id)
        self.assertEqual(exception.state, "resolved")
        following = self.scan_window(silent)
        self.assertEqual(following.state, "open")
        self.assertNotEqual(following, window)
        self.assertEqual(self.scan_exceptions(silent), exception)

    def test_scan_sla_exception_stays_apart_from_the_message_sla(self):
        picking = self.book_picking()
        message = picking.carrier_booking_message_id
        late = self.env["integration.dispatch"]._raise_exception(
            message, "sla", "The booking message missed its SLA"
        )
        self.monitor(picking, 49)
        scan = self.scan_window(picking).exception_id
        self.assertTrue(scan)
        self.assertNotEqual(scan, late)
        self.assertIn("no carrier scan", scan.name)
        self.assertEqual(late.name, "The booking message missed its SLA")

    def test_scan_sla_zero_means_never(self):
        self.account.scan_sla_hours = 0
        picking = self.book_picking()
        self.assertFalse(self.scan_window(picking))
        self.assertFalse(self.scan_exceptions(picking))

    # -- return labels -----------------------------------------------------------

    def return_of(self, picking):
        """Odoo's Return wizard on a delivered transfer, everything sent back."""
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        action = wizard.action_create_returns()
        return self.env["stock.picking"].browse(action["res_id"])

    def return_labels(self, picking):
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("name", "=like", "LabelReturn-%"),
            ],
            order="name",
        )

    def test_return_label_on_the_return_transfer(self):
        self.assertTrue(self.method.can_generate_return)
        delivery = self.book_picking()
        outbound_pro = delivery.carrier_shipment_ref
        returned = self.return_of(delivery)
        # stock_delivery drops the carrier of returns; ours keeps it.
        self.assertEqual(returned.carrier_id, self.method)
        self.assertEqual(returned.carrier_price, 0.0)
        self.assertTrue(returned.is_return_picking)
        self.assertEqual(returned.picking_type_code, "incoming")
        with self.jobs() as trap:
            returned.print_return_label()  # the form's "Print Return Label"
            self.run_jobs(trap)
        message = self.env["integration.message"].search(
            [("flow_id.code", "=", "carrier-return"), ("res_id", "=", returned.id)]
        )
        self.assertEqual(message.state, "sent", message.last_error)
        package = returned.carrier_package_ids
        self.assertEqual(set(package.mapped("state")), {"return"})
        return_pro = package[:1].carrier_shipment_id
        self.assertNotEqual(return_pro, outbound_pro)
        # The two handling units come back in their packages.
        self.assertEqual(len(package), 2)
        labels = self.return_labels(returned)
        self.assertEqual(
            labels.mapped("name"),
            [
                f"LabelReturn-ltl_soap-{return_pro}-1.pdf",
                f"LabelReturn-ltl_soap-{return_pro}-2.pdf",
                f"LabelReturn-ltl_soap-Return bill of lading RBOL{return_pro}.pdf",
            ],
        )
        self.assertTrue(all(label.raw.startswith(b"%PDF") for label in labels))
        returned.invalidate_recordset(["return_label_ids"])  # no dependencies
        self.assertEqual(returned.return_label_ids, labels)
        shipment = self.sandbox_shipments()[return_pro]
        self.assertTrue(shipment["is_return"])
        self.assertEqual(shipment["original_pro"], outbound_pro)
        # The customer ships, the warehouse receives.
        response = message.response_attachment_id.raw.decode()
        self.assertIn("ReturnShipment", response)
        self.assertNotIn(SANDBOX_PASSWORD, response)
        # Asking again buys nothing more.
        with self.jobs() as trap:
            returned.print_return_label()
            self.run_jobs(trap)
        self.assertEqual(self.return_labels(returned), labels)
        self.assertEqual(len(self.sandbox_shipments()), 2)

    def test_return_label_generated_with_the_delivery(self):
        self.method.return_label_on_delivery = True
        self.account.tracking_url_template = "https://ltl.example/track/<tracking>"
        delivery = self.book_picking()  # two handling units
        pro = delivery.carrier_shipment_ref
        returns = delivery.carrier_package_ids.filtered(lambda p: p.state == "return")
        self.assertEqual(len(returns), 2)
        return_pro = returns[0].carrier_shipment_id
        self.assertNotEqual(return_pro, pro)
        labels = self.return_labels(delivery)
        self.assertEqual(
            labels.mapped("name"),
            [
                f"LabelReturn-ltl_soap-{return_pro}-1.pdf",
                f"LabelReturn-ltl_soap-{return_pro}-2.pdf",
                f"LabelReturn-ltl_soap-Return bill of lading RBOL{return_pro}.pdf",
            ],
        )
        # return_label_ids is computed without dependencies: read it afresh.
        delivery.invalidate_recordset(["return_label_ids"])
        self.assertEqual(delivery.return_label_ids, labels)
        # The outbound shipment keeps its own tracking and link.
        self.assertEqual(delivery.carrier_tracking_ref, pro)
        self.assertEqual(
            delivery.carrier_id._carrier_get_tracking_link(delivery),
            f"https://ltl.example/track/{pro}",
        )
        self.assertEqual(self.sandbox_shipments()[return_pro]["original_pro"], pro)

    def test_booked_pallets_link_to_the_carriers_tracking_page(self):
        delivery = self.book_picking()
        pro = delivery.carrier_shipment_ref
        url = f"{self.sandbox.url}/track/{pro}"
        self.assertEqual(
            set(delivery.carrier_package_ids.mapped("tracking_url")), {url}
        )
        # One PRO for every handling unit: one link.
        self.assertEqual(self.method.get_tracking_link(delivery), url)
        self.assertEqual(delivery.carrier_tracking_url, url)
        response = requests.get(url, timeout=5)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"PRO {pro}: BOOKED", response.text)

    def test_overweight_freight_is_refused_before_booking(self):
        picking = self.sell(self.method).picking_ids
        # 20,000 kg is a full trailer: 2 × 10,001 kg is more than one shipment.
        self.products.write({"weight": 10001})
        self.method.carrier_max_weight_kg = 25000  # pallets of any weight here
        picking.action_assign()
        for line in picking.move_line_ids:
            line.write({"quantity": line.move_id.product_uom_qty, "picked": True})
        with self.jobs() as trap:
            with self.assertRaises(UserError) as caught:
                picking.button_validate()
            self.assertIn(
                "exceed the service maximum of 20000 kg per shipment",
                str(caught.exception),
            )
            self.assertFalse(trap.enqueued_jobs)
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(picking.carrier_booking_state, "none")
        self.assertFalse(picking.carrier_booking_message_id)
        self.assertEqual(self.sandbox_shipments(), {})
