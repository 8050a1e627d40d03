"""The 3PL channel's JSON API profile end to end against the sandbox warehouse
(sandbox/warehouse_3pl) started on 127.0.0.1 by the test: orders over REST, the
warehouse's confirmations as signed webhooks through the kernel's inbound
gateway (this Odoo's HTTP server) and pulled from its events, through the
kernel's dispatch and queue_job."""

import json
import time

import requests

from odoo.addons.distribution_edi.edi import warehouse as warehouse_kinds
from odoo.addons.distribution_integration_base.kernel import signatures
from odoo.addons.distribution_integration_base.tests.common import (
    IntegrationTestMixin,
)
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import SANDBOX_API_KEY, TplSandboxMixin

SECRET = "tpl-json-webhook-secret"
GATEWAY_LOG = "odoo.addons.distribution_integration_base.controllers.gateway"


@tagged("post_install", "-at_install")
class TestTplJson(TplSandboxMixin, IntegrationTestMixin, LoopbackPeersMixin, HttpCase):
    job_rounds = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.start_sandbox(profile="json", secret=SECRET, signature_style="timestamped")
        env = cls.env
        cls.endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL JSON API",
                "code": "tpl-test-json",
                "kind": "warehouse_3pl",
                "protocol": "rest",
                "base_url": cls.sandbox.url,
                "connect_timeout": 2.0,
                "read_timeout": 5.0,
                "inbound_auth": "hmac",
            }
        )
        credentials = env["integration.credential"]
        api_key = credentials.create(
            {
                "name": "Warehouse API key",
                "endpoint_id": cls.endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": f"Bearer {SANDBOX_API_KEY}",
            }
        )
        cls.endpoint.inbound_credential_id = credentials.create(
            {
                "name": "Warehouse webhook secret",
                "endpoint_id": cls.endpoint.id,
                "kind": "hmac_secret",
                "secret": SECRET,
            }
        )
        # Notified in Odoo: an e-mail would need a mail server to leave.
        cls.reviewer = env["res.users"].create(
            {
                "name": "3PL reviewer",
                "login": "tpl-json-reviewer",
                "notification_type": "inbox",
                "groups_id": [(4, env.ref("stock.group_stock_user").id)],
            }
        )
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "3PL JSON test", "code": "3PLJ"}
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL (JSON)",
                "endpoint_id": cls.endpoint.id,
                "credential_id": api_key.id,
                "warehouse_id": cls.warehouse.id,
                "profile": "json",
                "confirmation_hours": 6,
                "reviewer_id": cls.reviewer.id,
            }
        )
        cls.events_flow = env.ref("distribution_3pl.flow_tpl_json_events")
        cls.customer = env["res.partner"].create(
            {"name": "Customer of the 3PL", "street": "1 Dock Rd", "city": "Austin",
             "zip": "73301", "country_id": env.ref("base.us").id}
        )  # fmt: skip
        cls.panel = env["product.product"].create(
            {"name": "Panel A3", "default_code": "PANEL-A3", "is_storable": True}
        )
        cls.bracket = env["product.product"].create(
            {"name": "Bracket 50", "default_code": "BRKT-050", "is_storable": True,
             "tracking": "lot"}
        )  # fmt: skip
        quants = env["stock.quant"]
        stock = cls.warehouse.lot_stock_id
        quants._update_available_quantity(cls.panel, stock, 100)
        for lot_name, quantity in (("L2026A", 40), ("L2026B", 20)):
            lot = env["stock.lot"].create(
                {"name": lot_name, "product_id": cls.bracket.id}
            )
            quants._update_available_quantity(cls.bracket, stock, quantity, lot_id=lot)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.sandbox.config["callback_url"] = self.webhook_url()

    # -- helpers ---------------------------------------------------------------

    def webhook_url(self):
        return f"{self.base_url()}/integration/inbound/{self.endpoint.code}/tpl-json-in"

    def delivery(self, product, quantity, uom=None):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "origin": "SO-3PL-JSON",
                "move_ids": [
                    (0, 0, {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "product_uom": (uom or product.uom_id).id,
                        "location_id": self.warehouse.lot_stock_id.id,
                        "location_dest_id": self.env.ref(
                            "stock.stock_location_customers").id,
                    })
                ],
            }
        )  # fmt: skip
        picking.action_confirm()
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        return picking

    def release(self, picking):
        with self.jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
        message = self.messages(picking)
        self.assertEqual(message.state, "sent", message.last_error)
        self.assertEqual(picking.tpl_release_state, "released")
        return message

    def messages(self, picking, code="tpl-940-out"):
        return self.env["integration.message"].search(
            [
                ("flow_id.code", "=", code),
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
            ],
            order="id",
        )

    def events_in(self):
        return self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-json-in"),
             ("endpoint_id", "=", self.endpoint.id)],
            order="id",
        )  # fmt: skip

    def ship(self, number):
        """Ship at the warehouse; its webhooks reach this Odoo's gateway (the
        request's jobs are trapped, then run here as the runner would)."""
        self.env.flush_all()
        with self.jobs() as trap:
            shipments = self.sandbox.warehouse.ship(number)
            self.env.invalidate_all()
            self.run_jobs(trap)
        return shipments

    def pull(self):
        with self.jobs() as trap:
            self.env["integration.dispatch"]._run_batch_flows(
                self.events_flow.sudo(), endpoints=self.endpoint
            )
            self.run_jobs(trap)

    # -- tests -----------------------------------------------------------------

    def test_release_then_partial_shipment_by_webhook_makes_a_backorder(self):
        self.sandbox.warehouse.behaviours["short_pick"] = 2
        picking = self.delivery(self.panel, 10)
        release = self.release(picking)
        order = self.sandbox.warehouse.orders[picking.name]
        self.assertEqual(order["profile"], "json")
        self.assertEqual(order["lines"][0]["item"], "PANEL-A3")
        self.assertEqual(order["lines"][0]["line_id"], str(picking.move_ids.id))
        self.assertEqual(release.external_ref, f"{picking.name}@r1")
        self.assertIn(b'"status": "open"', release.response_attachment_id.raw)
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(expectation.state, "open")
        shipments = self.ship(picking.name)
        self.assertEqual([d.get("status") for d in self.sandbox.deliveries], [202])
        advice = self.events_in()
        self.assertEqual(len(advice), 1)
        self.assertEqual(advice.state, "done", advice.last_error)
        self.assertEqual(advice.idempotency_key, self.sandbox.events[0]["id"])
        self.assertEqual(advice.external_ref, shipments[0]["shipment_id"])
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.move_ids.quantity, 8)
        self.assertEqual(picking.tpl_shipment_id, shipments[0]["shipment_id"])
        self.assertEqual(
            picking.carrier_tracking_ref,
            shipments[0]["packages"][0]["tracking_number"],
        )
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        self.assertEqual(expectation.state, "met")

    def test_an_order_in_dozens_is_sent_and_confirmed_in_units(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self.sandbox.warehouse.behaviours["short_pick"] = 6
        picking = self.delivery(self.panel, 2, dozen)
        self.release(picking)
        (line,) = self.sandbox.warehouse.orders[picking.name]["lines"]
        self.assertEqual((line["quantity"], line["uom"]), (24, "EA"))
        # A warehouse that gives no unit counts in the product's stock unit.
        line["uom"] = ""
        self.ship(picking.name)
        self.assertEqual(self.events_in().state, "done")
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 1.5)  # 18 units
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom, dozen)
        self.assertEqual(backorder.move_ids.product_uom_qty, 0.5)

    def test_a_duplicate_event_has_no_second_effect(self):
        self.sandbox.warehouse.behaviours["duplicate_confirmations"] = True
        picking = self.delivery(self.bracket, 5)
        self.release(picking)
        self.ship(picking.name)
        # The second delivery of the event carries the same key: the gateway
        # answers with the first message.
        self.assertEqual([d.get("status") for d in self.sandbox.deliveries], [202, 200])
        self.assertEqual(len(self.events_in()), 1)
        self.assertEqual(picking.state, "done")
        # Pulled as well: the same events, the same messages.
        self.account.pull_outbox = True
        self.pull()
        self.assertEqual(len(self.events_in()), 1)
        self.assertEqual(self.account.json_event_cursor, 2)
        # Resent without the key (freshly signed): stored, but applied once.
        body = self.sandbox.webhook_body(self.sandbox.events[0])
        with self.jobs() as trap:
            answer = requests.post(
                self.webhook_url(),
                data=body,
                headers={"Content-Type": "application/json",
                         **signatures.sign(SECRET, body, now=time.time() + 1)},
                timeout=20,
            )  # fmt: skip
            self.assertEqual(answer.status_code, 202, answer.text)
            self.env.invalidate_all()
            self.run_jobs(trap)
        again = self.events_in()[1:]
        self.assertEqual(again.state, "done", again.last_error)
        self.assertFalse(again.exception_ids)
        self.assertFalse(picking.backorder_ids)
        self.assertEqual(picking.move_ids.quantity, 5)
        self.assertEqual(picking.move_line_ids.lot_id.name, "L2026A")

    def test_events_are_pulled_on_schedule_after_the_cursor(self):
        self.sandbox.config["callback_url"] = ""  # no webhooks: pull only
        self.assertNotIn(self.endpoint, self.events_flow.endpoint_ids)
        self.account.pull_outbox = True
        self.assertIn(self.endpoint, self.events_flow.endpoint_ids)
        self.assertNotIn(
            self.endpoint,
            self.env.ref("distribution_3pl.flow_tpl_outbox_poll").endpoint_ids,
        )
        first, second = self.delivery(self.panel, 3), self.delivery(self.panel, 4)
        self.release(first)
        self.release(second)
        self.ship(first.name)
        self.pull()
        self.assertEqual(first.state, "done")
        self.assertEqual(self.account.json_event_cursor, 1)
        self.ship(second.name)
        self.pull()
        self.pull()  # nothing new
        received = self.events_in()
        self.assertEqual(len(received), 2)
        self.assertEqual(received.mapped("state"), ["done", "done"])
        self.assertEqual(second.state, "done")
        self.assertEqual(self.account.json_event_cursor, 2)

    def test_a_warehouse_numbering_its_events_anew_is_read_from_its_first(self):
        self.sandbox.config["callback_url"] = ""  # no webhooks: pull only
        self.account.pull_outbox = True
        first, second, third = (self.delivery(self.panel, n) for n in (1, 2, 3))
        for picking in (first, second, third):
            self.release(picking)
        self.ship(first.name)
        self.ship(second.name)
        self.pull()
        self.assertEqual(self.account.json_event_cursor, 2)
        # Restored from a backup without its event log: it counts from 1 again.
        with self.sandbox.lock:
            self.sandbox.events.clear()
        self.ship(third.name)
        self.pull()
        self.assertEqual(third.state, "done")
        self.assertEqual(self.account.json_event_cursor, 1)
        notes = self.account.message_ids.filtered(
            lambda m: "numbering started again" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.pull()  # nothing new: no second note
        self.assertEqual(self.account.json_event_cursor, 1)
        self.assertEqual(
            len(
                self.account.message_ids.filtered(
                    lambda m: "numbering started again" in (m.body or "")
                )
            ),
            1,
        )
        self.assertEqual(self.events_in().mapped("state"), ["done"] * 3)

    def test_a_change_is_a_replacement_and_a_cancel_after_shipping_is_refused(self):
        picking = self.delivery(self.panel, 4)
        self.release(picking)
        with self.jobs() as trap:
            picking.tpl_revision += 1
            picking.sudo()._tpl_send_order("replace")
            self.run_jobs(trap)
        replace = self.messages(picking)[-1]
        self.assertEqual(replace.state, "sent", replace.last_error)
        self.assertEqual(self.sandbox.warehouse.orders[picking.name]["revision"], 2)
        self.sandbox.config["callback_url"] = ""  # Odoo does not know yet
        self.sandbox.warehouse.ship(picking.name)
        with self.jobs() as trap:
            picking.action_tpl_cancel_release()
            self.run_jobs(trap)
        cancel = self.messages(picking)[-1]
        self.assertIn("cancel", cancel.idempotency_key)
        self.assertEqual(cancel.state, "dead")
        exception = cancel.exception_ids
        self.assertEqual(exception.category, "business_rule")
        self.assertIn("already shipped", exception.name)
        self.assertEqual(cancel.attempt_count, 1)  # not retried

    def test_receipts_are_announced_over_rest(self):
        # Without a credential of its own the account calls with the
        # endpoint's API key, never with its webhook secret.
        self.account.credential_id = False
        transfer = {
            "number": "WH/IN/JSON1",
            "po_number": "P0001",
            "lines": [{"line_id": "1", "item": "BOLT-M8", "quantity": "12"}],
        }
        reference, answer, content_type = self.account._tpl_send(
            warehouse_kinds.STOCK_TRANSFER, transfer, self.env["integration.message"]
        )
        self.assertEqual(reference, "WH/IN/JSON1")
        self.assertEqual(content_type, "application/json")
        self.assertEqual(json.loads(answer)["status"], "announced")

    @mute_logger(GATEWAY_LOG)
    def test_unsigned_and_unreadable_events(self):
        body = json.dumps(
            {"id": "evt_x", "type": "shipment.confirmed", "data": {}}
        ).encode()
        headers = {"Content-Type": "application/json"}
        with self.jobs() as trap:
            refused = requests.post(
                self.webhook_url(),
                data=body,
                headers={**headers, **signatures.sign("not-the-secret", body)},
                timeout=20,
            )
            self.assertEqual(refused.status_code, 401, refused.text)
            self.assertFalse(self.events_in())
            for payload, key in (
                (body, "evt_x"),  # no order number
                (b'{"id": "evt_y", "type": "pallet.lost", "data": {}}', "evt_y"),
                (
                    json.dumps(
                        {
                            "id": "evt_z",
                            "type": "shipment.confirmed",
                            "data": {
                                "order_number": "WH/OUT/NOPE",
                                "shipment_id": "SHP9",
                                "packages": [],
                            },
                        }
                    ).encode(),
                    "evt_z",
                ),  # fmt: skip
            ):
                answer = requests.post(
                    self.webhook_url(),
                    data=payload,
                    headers={**headers, "Idempotency-Key": key,
                             **signatures.sign(SECRET, payload)},
                    timeout=20,
                )  # fmt: skip
                self.assertEqual(answer.status_code, 202, answer.text)
            self.env.invalidate_all()
            self.run_jobs(trap)
        unreadable, unknown_type, unknown_order = self.events_in()
        self.assertEqual(unreadable.state, "done")
        self.assertIn("order number", unreadable.exception_ids.name)
        self.assertEqual(unreadable.exception_ids.user_id, self.reviewer)
        self.assertEqual(unreadable.exception_ids.category, "validation")
        self.assertEqual(unknown_type.state, "rejected")
        self.assertIn("unknown type", unknown_type.last_error)
        self.assertEqual(unknown_order.exception_ids.category, "mapping")
        self.assertIn("WH/OUT/NOPE", unknown_order.exception_ids.name)

    def test_the_json_profile_needs_an_http_endpoint(self):
        self.assertTrue(
            self.account.json_webhook_url.endswith(
                f"/integration/inbound/{self.endpoint.code}/tpl-json-in"
            )
        )
        folder = self.env["integration.endpoint"].create(
            {"name": "3PL folder", "code": "tpl-test-json-folder",
             "kind": "warehouse_3pl", "protocol": "folder",
             "outbox_path": "/tmp", "inbox_path": "/tmp"}
        )  # fmt: skip
        with self.assertRaisesRegex(ValidationError, "speaks HTTP"):
            self.env["tpl.warehouse.account"].create(
                {"name": "JSON over a folder", "endpoint_id": folder.id,
                 "warehouse_id": self.env["stock.warehouse"].create(
                     {"name": "3PL JSON folder", "code": "3PLK"}).id,
                 "profile": "json"}
            )  # fmt: skip
        # X12 still needs its interchange profile; JSON does not.
        with self.assertRaisesRegex(ValidationError, "interchange profile"):
            self.account.profile = "x12"

    def test_untrusted_events_go_to_the_exception_queue_not_a_crash(self):
        picking = self.delivery(self.panel, 2)
        self.release(picking)
        json_in = self.env.ref("distribution_3pl.flow_tpl_json_in")
        shipped = {
            "order_number": picking.name,
            "shipment_id": "SHP-ODD",
            "packages": [{"contents": [{"line_id": "1", "item": "PANEL-A3",
                                        "quantity": 2}]}],
        }  # fmt: skip
        nested = b"[" * 100000 + b"]" * 100000
        cases = {
            "nul-order": {**shipped, "order_number": picking.name + "\x00"},
            "nul-shipment": {**shipped, "shipment_id": "SHP\x00X"},
            "number-order": {**shipped, "order_number": 12345},
            "text-quantity": {**shipped, "packages": [{"contents": [
                {"line_id": "1", "item": "PANEL-A3", "quantity": "two"}]}]},
            "packages-text": {**shipped, "packages": "all of them"},
            "nested-data": {**shipped, "warehouse": {"a": [[[[[["x"]]]]]]}},
            "receipt-nul": {"receipt_number": "R\x00", "order_number": "X\x00"},
            "snapshot-nul": {"report_id": "S\x001", "items": [
                {"item": "PANEL-A3\x00", "quantity": 1}]},
            "adjust-odd": {"adjustment_number": "A1", "adjustments": [
                {"item": "PANEL-A3", "quantity": "1e400"}]},
            "huge-shipped": {**shipped, "packages": [{"contents": [
                {"line_id": "1", "item": "PANEL-A3", "quantity": "1e400"}]}]},
        }  # fmt: skip
        kinds = {
            "receipt-nul": "receipt.confirmed",
            "snapshot-nul": "inventory.snapshot",
            "adjust-odd": "inventory.adjusted",
        }
        payloads = {
            key: json.dumps(
                {"id": f"evt-{key}", "type": kinds.get(key, "shipment.confirmed"),
                 "data": data}
            ).encode()
            for key, data in cases.items()
        }  # fmt: skip
        payloads["deep"] = nested
        payloads["nul-id"] = json.dumps(
            {"id": "evt\x00", "type": "shipment.confirmed", "data": shipped}
        ).encode()
        payloads["latin1"] = (
            '{"id": "evt-l1", "type": "shipment.confirmed", "data": '
            '{"order_number": "Ré"}}'
        ).encode("latin-1")
        messages = {}
        with self.jobs() as trap:
            for key, payload in payloads.items():
                messages[key] = self.env["integration.dispatch"]._receive(
                    json_in,
                    self.endpoint,
                    payload,
                    idempotency_key=f"odd-{key}",
                    content_type="application/json",
                )
            self.run_jobs(trap)
        for key, message in messages.items():
            with self.subTest(key):
                # Read and refused: an exception to follow, or a clean
                # rejection naming what is wrong, never a traceback.
                self.assertIn(message.state, ("done", "rejected"), message.last_error)
                self.assertTrue(message.exception_ids, key)
                self.assertFalse(message.exception_ids.filtered("traceback"), key)
                for exception in message.exception_ids:
                    self.assertNotRegex(exception.name, r"^\w+(Error|Exception):")
        self.assertEqual(picking.state, "assigned")
