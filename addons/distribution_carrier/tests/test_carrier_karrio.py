import json
import time
from datetime import datetime, timedelta, timezone

import requests

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import KarrioCase

GATEWAY_LOGGER = "odoo.addons.distribution_integration_base.controllers.gateway"
MAIL_LOGGER = "odoo.addons.mail.models.mail_mail"


def scan(code, description, status, hours, location="Chicago, IL"):
    """A carrier scan ``hours`` after now, as Karrio takes it (minutes, no zone).

    Karrio's tracker starts with its own event at the shipment's time (now):
    the carrier's scans follow it, whatever today's date is.
    """
    moment = datetime.now(timezone.utc) + timedelta(hours=hours)
    return {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M"),
        "code": code,
        "description": description,
        "location": location,
        "status": status,
    }


def scan_moment(event):
    """The naive UTC datetime Odoo stores for ``event``."""
    return fields.Datetime.to_datetime(f"{event['date']} {event['time']}:00")


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
                [scan("PU", "Picked up", "in_transit", 1, "Newark, NJ")],
            )
            self.run_jobs(trap)
        self.assertEqual(picking.delivery_state, "in_transit")
        # Karrio's tracker starts with its own CREATED event, then our scan.
        self.assertEqual(
            set(picking.carrier_tracking_event_ids.mapped("code")), {"CREATED", "PU"}
        )

        # The delivery note is emailed to followers at once; this test server has
        # no outgoing mail configured, which mail_mail logs as an error.
        delivered = scan("DL", "Delivered, front desk", "delivered", 2)
        with self.jobs() as trap, mute_logger(MAIL_LOGGER):
            self.karrio.set_proof_of_delivery(tracker["id"], "J. DOE")
            self.karrio.inject_events(
                tracker["id"], "delivered", [delivered], delivered=True
            )
            self.run_jobs(trap)
        self.assertEqual(picking.delivery_state, "customer_delivered")
        self.assertEqual(picking.carrier_tracking_status, "delivered")
        self.assertEqual(picking.date_delivered, scan_moment(delivered))
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

    def test_one_shipment_status_and_automatic_notes_by_odoobot(self):
        """A warehouse clerk validates; the delivery shows one status from the
        booking to the delivery, and what the jobs wrote reads as OdooBot's."""
        clerk = new_test_user(
            self.env,
            "karrio_clerk",
            groups="stock.group_stock_user,sales_team.group_sale_salesman",
        )
        odoobot = self.env.ref("base.partner_root")
        order = self.sell(self.method)
        picking = order.picking_ids.with_user(clerk)
        self.assertFalse(picking.carrier_shipment_status)
        with self.jobs() as trap:
            self.pack_and_validate(picking)
            self.assertEqual(picking.carrier_shipment_status, "booking")
            self.assertEqual(trap.enqueued_jobs[0].env.uid, clerk.id)
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_shipment_status, "booked")

        def note(text):
            return picking.sudo().message_ids.filtered(lambda m: text in m.body)

        # The clerk's own action stays the clerk's; the job's result is OdooBot's.
        self.assertEqual(note("queued").author_id, clerk.partner_id)
        self.assertEqual(note("Shipment booked with").author_id, odoobot)

        # "Update tracking state" before Karrio tracks the shipment: Karrio
        # answers 404; the button says so instead of raising.
        action = picking.tracking_state_update()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(
            action["params"]["message"].splitlines(),
            [
                f"{picking.name}: the carrier could not be asked (Karrio refused "
                "the tracking (HTTP 404): Tracking not found)",
                f"{picking.name}: Booked, awaiting pickup (last scan none yet)",
            ],
        )

        picked_up = scan("PU", "Picked up", "in_transit", 1, "Newark, NJ")
        with self.jobs() as trap:
            tracker = self.karrio.create_tracker(picking.carrier_shipment_ref)
            self.karrio.inject_events(tracker["id"], "in_transit", [picked_up])
            self.run_jobs(trap)
        picking.invalidate_recordset()
        self.assertEqual(picking.carrier_shipment_status, "in_transit")
        # The button asks Karrio now, as the clerk, and reports what it found.
        with self.jobs() as trap:
            action = picking.tracking_state_update()
            self.run_jobs(trap)
        self.assertEqual(action["params"]["title"], "Tracking updated")
        # Karrio tracks the master number only; the second package's number is
        # still unknown to it, which the notification reports beside the status.
        self.assertEqual(
            action["params"]["message"].splitlines()[-1],
            f"{picking.name}: In transit (last scan "
            f"{fields.Datetime.to_string(scan_moment(picked_up))})",
        )
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

        delivered = scan("DL", "Delivered, front desk", "delivered", 2)
        with self.jobs() as trap, mute_logger(MAIL_LOGGER):
            self.karrio.inject_events(
                tracker["id"], "delivered", [delivered], delivered=True
            )
            self.run_jobs(trap)
        picking.invalidate_recordset()
        self.assertEqual(picking.carrier_shipment_status, "delivered")
        self.assertEqual(note("Delivered on").author_id, odoobot)

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
        # Karrio was down: it refused nothing.
        self.assertIn("Karrio was unavailable for the shipment lookup", exception.name)
        self.assertNotIn("refused", exception.name)
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

    # -- tracking as Karrio sends it: repeated, late, out of order ----------------

    def inbound_messages(self):
        return self.env["integration.message"].search(
            [("endpoint_id", "=", self.endpoint.id), ("direction", "=", "inbound")],
            order="id",
        )

    def delivered_notices(self, picking):
        comment = self.env.ref("mail.mt_comment")
        messages = picking.message_ids
        return (
            messages.filtered(
                lambda m: m.subtype_id == comment and "Delivered on" in (m.body or "")
            ),
            messages.filtered(lambda m: "has been delivered" in (m.body or "")),
        )

    def test_tracking_stream_out_of_order_and_repeated_never_goes_back(self):
        self.company.write(
            {
                "delivery_state_delivered_email_validation": True,
                "delivery_state_delivered_mail_template_id": self.env.ref(
                    "delivery_state.delivery_state_delivered_notification"
                ).id,
            }
        )
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
        picked_up = scan("PU", "Picked up", "in_transit", 1, "Newark, NJ")
        out = scan("OD", "Out for delivery", "out_for_delivery", 2)
        delivered = scan("DL", "Delivered, front desk", "delivered", 3)
        before = self.inbound_messages()
        with self.jobs() as trap, mute_logger(MAIL_LOGGER):
            tracker = self.karrio.create_tracker(picking.carrier_shipment_ref)
            self.karrio.inject_events(tracker["id"], "in_transit", [picked_up])
            self.karrio.set_proof_of_delivery(tracker["id"], "J. DOE")
            self.karrio.inject_events(
                tracker["id"], "delivered", [delivered], delivered=True
            )
            # The driver's out-for-delivery scan reaches Karrio after the delivery.
            self.karrio.inject_events(tracker["id"], "out_for_delivery", [out])
            webhooks = self.inbound_messages() - before
            self.assertGreaterEqual(len(webhooks), 3)
            # The workers take them newest first; then Karrio sends them again.
            trap.enqueued_jobs.reverse()
            self.run_jobs(trap)
            self.assertEqual(picking.delivery_state, "customer_delivered")
            for webhook in webhooks.sorted("id", reverse=True):
                response = self.post_webhook(
                    json.loads(webhook._get_payload()), self.webhook_secret
                )
                self.assertEqual(response.status_code, 202)
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_tracking_status, "delivered")
        self.assertEqual(picking.delivery_state, "customer_delivered")
        self.assertEqual(picking.date_delivered, scan_moment(delivered))
        self.assertEqual(picking.carrier_last_event_at, scan_moment(delivered))
        self.assertEqual(picking.carrier_signed_by, "J. DOE")
        events = picking.carrier_tracking_event_ids
        self.assertEqual(sorted(events.mapped("code")), ["CREATED", "DL", "OD", "PU"])
        comments, emails = self.delivered_notices(picking)
        self.assertEqual((len(comments), len(emails)), (1, 1))

        # Only a later scan leaves "delivered": the parcel comes back.
        returned = scan("RS", "Returned to sender", "return_to_sender", 4)
        with self.jobs() as trap, mute_logger(MAIL_LOGGER):
            self.karrio.inject_events(tracker["id"], "return_to_sender", [returned])
            self.run_jobs(trap)
            self.assertEqual(picking.carrier_tracking_status, "returned")
            self.assertEqual(picking.delivery_state, "warehouse_delivered")
            # The delivery's webhook again, late: the return stands.
            delivered_webhook = webhooks.filtered(
                lambda m: json.loads(m._get_payload())["data"]["status"] == "delivered"
            )
            self.assertEqual(len(delivered_webhook), 1)
            self.post_webhook(
                json.loads(delivered_webhook._get_payload()), self.webhook_secret
            )
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_tracking_status, "returned")
        self.assertEqual(picking.delivery_state, "warehouse_delivered")
        self.assertEqual(picking.date_delivered, scan_moment(delivered))
        comments, emails = self.delivered_notices(picking)
        self.assertEqual((len(comments), len(emails)), (1, 1))
        self.assertEqual(set(self.inbound_messages().mapped("state")), {"done"})

    # -- limits before booking ------------------------------------------------------

    def validate_refused(self, picking, reason, packages=0, package_type=None):
        """Validation fails with ``reason``; nothing is queued, booked, labelled."""
        picking.action_assign()
        package = self.env["stock.quant.package"]
        if packages:
            package = package.create(
                {
                    "name": f"{picking.name.replace('/', '')}-HEAVY",
                    "package_type_id": package_type.id if package_type else False,
                }
            )
        for line in picking.move_line_ids:
            line.write(
                {
                    "quantity": line.move_id.product_uom_qty,
                    "picked": True,
                    "result_package_id": package.id,
                }
            )
        with self.jobs() as trap:
            # assertRaises (not ...Regex) rolls the failed validation back.
            with self.assertRaises(UserError) as caught:
                picking.button_validate()
            self.assertRegex(str(caught.exception), reason)
            self.assertFalse(trap.enqueued_jobs)
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(picking.carrier_booking_state, "none")
        self.assertFalse(picking.carrier_booking_message_id)
        self.assertFalse(self.labels(picking))
        self.assertFalse(self.karrio_shipments(picking))

    def test_package_type_limit_refuses_before_booking(self):
        box = self.env["stock.package.type"].create(
            {
                "name": "Small box",
                "max_weight": 2.0,
                "packaging_length": 30,
                "width": 20,
                "height": 10,
            }
        )
        picking = self.sell(self.method).picking_ids
        # 2.5 kg + 1 kg in a box for 2 kg.
        self.validate_refused(
            picking,
            r"weighs 3\.5 kg, over the maximum of its package type Small box "
            r"\(2\.0 kg\)",
            packages=1,
            package_type=box,
        )

    def test_service_limit_refuses_before_booking(self):
        # A 30,000 kg parcel: far over what a parcel service takes (70 kg).
        self.products[0].weight = 30000
        picking = self.sell(self.method).picking_ids
        self.validate_refused(
            picking, "30001 kg exceeds the service maximum of 70 kg per parcel"
        )
        # The delivery method's own limit replaces the carrier's usual one.
        self.products[0].weight = 2.5
        self.method.carrier_max_weight_kg = 3.0
        picking = self.sell(self.method).picking_ids
        self.validate_refused(
            picking, r"3\.5 kg exceeds the service maximum of 3 kg per parcel"
        )
        self.method.carrier_max_weight_kg = 0.0
        with self.jobs() as trap:
            self.pack_and_validate(picking, packages=0)
            self.run_jobs(trap)
        self.assertEqual(picking.carrier_booking_state, "booked")

    # -- tracking links -------------------------------------------------------------

    def test_every_package_gets_a_working_tracking_link(self):
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
        packages = picking.carrier_package_ids
        pairs = [[p.tracking_number, p.tracking_url] for p in packages]
        # The generic carrier has no public page: Karrio's tracker link.
        self.assertEqual(
            [url for _number, url in pairs],
            [f"{self.proxy.url}/v1/trackers/dis_test/{n}" for n, _url in pairs],
        )
        self.assertEqual(json.loads(self.method.get_tracking_link(picking)), pairs)
        self.assertEqual(picking.carrier_tracking_url, json.dumps(pairs))
        self.karrio.create_tracker(picking.carrier_shipment_ref)
        number, url = pairs[0]
        response = requests.get(
            url, headers={"Authorization": f"Token {self.karrio.api_key}"}, timeout=10
        )
        self.assertIn(response.status_code, (200, 202), response.text)
        self.assertEqual(response.json()["tracking_number"], number)

        # The account's template wins over any default.
        self.account.tracking_url_template = "https://track.example/<tracking>"
        with self.jobs() as trap:
            _order, picking = self.book()
            self.run_jobs(trap)
        self.assertEqual(
            picking.carrier_package_ids.mapped("tracking_url"),
            [
                f"https://track.example/{n}"
                for n in picking.carrier_package_ids.mapped("tracking_number")
            ],
        )
