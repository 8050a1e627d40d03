import json
import time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import KarrioCase

GATEWAY_LOGGER = "odoo.addons.distribution_integration_base.controllers.gateway"


@tagged("post_install", "-at_install")
class TestKarrioCycle(KarrioCase):
    """Sale order to proof of delivery against a real Karrio server."""

    def book(self, partner=None, down=False):
        order = self.sell(self.method)
        picking = order.picking_ids
        if partner:
            picking.partner_id = partner
        self.proxy.down = down
        self.pack_and_validate(picking)
        return order, picking

    def booking_of(self, picking):
        return picking.carrier_booking_message_id

    def karrio_shipments(self, picking):
        key = picking._carrier_idempotency_key()
        return self.karrio.shipments(
            metadata_key="idempotency_key", metadata_value=key
        )["results"]

    def test_full_cycle_rate_book_labels_track_deliver(self):
        with self.jobs() as trap:
            order, picking = self.book()
            # Validation finished without calling the carrier: a message waits.
            self.assertEqual(picking.carrier_booking_state, "queued")
            self.assertFalse(picking.carrier_package_ids)
            self.assertEqual(self.booking_of(picking).flow_id.code, "carrier-book")
            picking.send_to_shipper()  # a second click queues nothing more
            self.assertEqual(len(trap.enqueued_jobs), 1)
            self.run_jobs(trap)
        self.assertEqual(self.booking_of(picking).state, "sent")
        self.assertTrue(order.order_line.filtered("is_delivery"))
        packages = picking.carrier_package_ids
        self.assertEqual(len(packages), 2)
        numbers = packages.mapped("tracking_number")
        self.assertEqual(len(set(numbers)), 2, numbers)
        self.assertEqual(picking.carrier_tracking_ref, ",".join(numbers))
        self.assertEqual(packages.package_id, picking.move_line_ids.result_package_id)
        labels = self.labels(picking)
        self.assertEqual(
            sorted(labels.mapped("name")),
            sorted(f"LabelShipping-karrio-{n}.pdf" for n in numbers),
        )
        self.assertTrue(all(label.raw.startswith(b"%PDF") for label in labels))
        self.assertEqual(picking.delivery_state, "shipping_recorded_in_carrier")
        shipments = self.karrio_shipments(picking)
        self.assertEqual(len(shipments), 1)

        # Karrio plays the carrier's scans; its webhooks reach our gateway.
        with self.jobs() as trap:
            tracker = self.karrio.create_tracker(picking.carrier_shipment_ref)
            self.karrio.inject_events(
                tracker["id"],
                "in_transit",
                [
                    {
                        "date": "2026-01-05",
                        "time": "09:15",
                        "code": "PU",
                        "description": "Picked up",
                        "location": "Newark, NJ",
                        "status": "in_transit",
                    }
                ],
            )
            self.run_jobs(trap)
        self.assertEqual(picking.delivery_state, "in_transit")
        # Karrio's tracker starts with its own CREATED event, then our scan.
        self.assertEqual(
            set(picking.carrier_tracking_event_ids.mapped("code")), {"CREATED", "PU"}
        )

        # The delivery note is emailed to followers at once; this test server has
        # no outgoing mail configured, which mail_mail logs as an error.
        with self.jobs() as trap, mute_logger("odoo.addons.mail.models.mail_mail"):
            self.karrio.set_proof_of_delivery(tracker["id"], "J. DOE")
            self.karrio.inject_events(
                tracker["id"],
                "delivered",
                [
                    {
                        "date": "2026-01-06",
                        "time": "14:02",
                        "code": "DL",
                        "description": "Delivered, front desk",
                        "location": "Chicago, IL",
                        "status": "delivered",
                    }
                ],
                delivered=True,
            )
            self.run_jobs(trap)
        self.assertEqual(picking.delivery_state, "customer_delivered")
        self.assertEqual(picking.carrier_tracking_status, "delivered")
        self.assertEqual(str(picking.date_delivered), "2026-01-06 14:02:00")
        self.assertEqual(picking.carrier_signed_by, "J. DOE")
        self.assertIn("DL", picking.carrier_tracking_event_ids.mapped("code"))
        self.assertIn(
            "Signed by J. DOE",
            picking.message_ids.filtered(
                lambda m: m.subtype_id == self.env.ref("mail.mt_comment")
            )[:1].body,
        )
        inbound = self.env["integration.message"].search(
            [("endpoint_id", "=", self.endpoint.id), ("direction", "=", "inbound")]
        )
        self.assertTrue(inbound)
        self.assertEqual(set(inbound.mapped("state")), {"done"})

    def test_retry_after_timeout_books_one_shipment(self):
        self.endpoint.read_timeout = 2.0
        # Karrio buys the shipment, but its answer arrives after our timeout.
        self.proxy.slow_after[("POST", "/v1/shipments")] = 4
        with self.jobs() as trap:
            _order, picking = self.book()
            trap.perform_enqueued_jobs()
            message = self.booking_of(picking)
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.error_category, "timeout")
            time.sleep(2.5)  # let the held answer go
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempt_count, 2)
        self.assertEqual(len(self.karrio_shipments(picking)), 1)
        self.assertEqual(len(picking.carrier_package_ids), 2)

    def test_carrier_down_exception_then_recovery(self):
        with self.jobs() as trap:
            _order, picking = self.book(down=True)
            message = self.booking_of(picking)
            with mute_logger("odoo.addons.distribution_integration_base"):
                self.run_jobs(trap, rounds=10)
        self.assertEqual(message.state, "dead")
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertIn("HTTP 503", exception.name)
        self.assertEqual(picking.carrier_booking_state, "queued")
        self.proxy.down = False
        with self.jobs() as trap:
            message.action_retry()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(picking.carrier_booking_state, "booked")
        self.assertEqual(exception.state, "resolved")

    def test_invalid_address_goes_to_exception_queue_with_karrio_message(self):
        bad = self.customer.copy({"zip": "ABCDE"})
        with self.jobs() as trap:
            _order, picking = self.book(partner=bad)
            self.run_jobs(trap)
        message = self.booking_of(picking)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.attempt_count, 1)
        self.assertEqual(message.exception_ids.category, "validation")
        self.assertIn("postal_code", message.exception_ids.name)
        self.assertIn("American postal code", message.exception_ids.name)

    def test_cancel_voids_the_shipment(self):
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
            shipment_id = picking.carrier_shipment_ref
            picking.cancel_shipment()
            self.assertEqual(picking.carrier_booking_state, "cancelling")
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_booking_state, "cancelled")
        self.assertEqual(picking.delivery_state, "canceled_shipment")
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(
            set(picking.carrier_package_ids.mapped("state")), {"cancelled"}
        )
        shipment = self.karrio.api("GET", f"/v1/shipments/{shipment_id}")
        self.assertEqual(shipment["status"], "cancelled")

    def test_return_label_not_supported_is_a_clear_exception(self):
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
            self.method.get_return_label(picking)
            self.run_jobs(trap)
        message = self.env["integration.message"].search(
            [("flow_id.code", "=", "carrier-return"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(message.state, "dead")
        self.assertIn("does not support", message.exception_ids.name)

    def test_rate_when_karrio_down_or_slow_is_a_clear_message(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.products[0].id})],
            }
        )
        self.proxy.down = True
        wizard = self.add_shipping(order, self.method)
        with self.assertRaisesRegex(UserError, "cannot give a price right now"):
            wizard.update_price()
        self.proxy.down = False
        self.proxy.slow_after[("POST", "/v1/proxy/rates")] = 5
        started = time.monotonic()
        with self.assertRaisesRegex(UserError, "did not answer in time"):
            wizard.update_price()
        self.assertLess(time.monotonic() - started, 4.5)

    # -- the webhook gateway ---------------------------------------------------------

    def post_webhook(self, body, secret):
        return self.opener.post(
            self.webhook_url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Event-Id": secret},
            timeout=15,
        )

    def tracker_body(self, number):
        return {
            "event": "tracker_updated",
            "data": {
                "tracking_number": number,
                "status": "out_for_delivery",
                "delivered": False,
                "events": [
                    {
                        "date": "2026-01-06",
                        "time": "08:00",
                        "code": "OD",
                        "description": "Out for delivery",
                        "location": "Chicago, IL",
                        "status": "out_for_delivery",
                    },
                    {
                        "date": "2026-01-05",
                        "time": "09:15",
                        "code": "PU",
                        "description": "Picked up",
                        "location": "Newark, NJ",
                        "status": "in_transit",
                    },
                ],
            },
        }

    def test_duplicate_webhook_stores_events_once(self):
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
            body = self.tracker_body(picking.carrier_package_ids[0].tracking_number)
            first = self.post_webhook(body, self.webhook_secret)
            second = self.post_webhook(body, self.webhook_secret)
            self.assertEqual((first.status_code, second.status_code), (202, 202))
            self.run_jobs(trap)
        self.assertEqual(len(picking.carrier_tracking_event_ids), 2)
        self.assertEqual(picking.carrier_tracking_status, "out_for_delivery")
        self.assertEqual(picking.delivery_state, "in_transit")

    def test_webhook_with_wrong_secret_is_refused_and_stores_nothing(self):
        messages = self.env["integration.message"]
        before = messages.search_count([("endpoint_id", "=", self.endpoint.id)])
        with self.jobs() as trap, mute_logger(GATEWAY_LOGGER):
            response = self.post_webhook(self.tracker_body("X1"), "not-the-secret")
            self.assertFalse(trap.enqueued_jobs)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "credential_mismatch")
        self.assertEqual(
            messages.search_count([("endpoint_id", "=", self.endpoint.id)]), before
        )
