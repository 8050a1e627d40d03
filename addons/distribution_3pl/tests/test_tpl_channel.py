"""The 3PL channel end to end against the repository's sandbox warehouse
(sandbox/warehouse_3pl), started on 127.0.0.1 by the test: 940s over HTTP and
through its pickup folder, its 945s and 997s collected from its drop folder by
the kernel's collector, through the kernel's dispatch and queue_job."""

import datetime
import re
import tempfile
import time
from pathlib import Path

import requests

from odoo.addons.distribution_edi.edi import warehouse as warehouse_sets
from odoo.addons.distribution_edi.edi.writer import write_x12
from odoo.addons.distribution_integration_base.tests.common import IntegrationTestMixin
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.addons.distribution_integration_base.tests.sftp_peer import (
    SftpPeerUnavailable,
    SftpServer,
)
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..models import tpl_warehouse_account
from .common import SANDBOX_API_KEY, TplSandboxMixin


@tagged("post_install", "-at_install")
class TestTplChannel(
    TplSandboxMixin, IntegrationTestMixin, LoopbackPeersMixin, TransactionCase
):
    job_rounds = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.folder = cls.scratch_folder("tpl-test-")
        cls.pickup = cls.folder / "pickup"  # the warehouse reads our 940s here
        cls.drop = cls.folder / "drop"  # and writes its 945s and 997s here
        cls.pickup.mkdir()
        cls.drop.mkdir()
        cls.start_sandbox(
            profile="x12", drop_dir=str(cls.drop), pickup_dir=str(cls.pickup)
        )
        env = cls.env
        cls.profile = cls.sandbox_profile()
        cls.folder_endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL folder",
                "code": "tpl-test-folder",
                "kind": "warehouse_3pl",
                "protocol": "folder",
                "outbox_path": str(cls.pickup),
                "inbox_path": str(cls.drop),
                "file_settle_seconds": 0,
            }
        )
        cls.http_endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL HTTP",
                "code": "tpl-test-http",
                "kind": "warehouse_3pl",
                "protocol": "edi_http",
                "base_url": cls.sandbox.url,
                "connect_timeout": 2.0,
                "read_timeout": 5.0,
            }
        )
        credential = env["integration.credential"].create(
            {
                "name": "Sandbox key",
                "endpoint_id": cls.http_endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": f"Bearer {SANDBOX_API_KEY}",
            }
        )
        cls.reviewer = env.ref("base.user_admin")
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "3PL folder test", "code": "3PLF"}
        )
        cls.http_warehouse = env["stock.warehouse"].create(
            {"name": "3PL http test", "code": "3PLH"}
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL (folder)",
                "endpoint_id": cls.folder_endpoint.id,
                "warehouse_id": cls.warehouse.id,
                "interchange_profile_id": cls.profile.id,
                "confirmation_hours": 6,
                "reviewer_id": cls.reviewer.id,
            }
        )
        cls.http_account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL (HTTP)",
                "endpoint_id": cls.http_endpoint.id,
                "credential_id": credential.id,
                "warehouse_id": cls.http_warehouse.id,
                "interchange_profile_id": cls.profile.id,
            }
        )
        cls.collect_flow = env.ref("distribution_3pl.flow_tpl_collect")
        cls.customer = env["res.partner"].create(
            {"name": "Customer of the 3PL", "street": "1 Dock Rd", "city": "Austin",
             "zip": "73301", "country_id": env.ref("base.us").id}
        )  # fmt: skip
        cls.panel = env["product.product"].create(
            {"name": "Panel A3", "default_code": "PANEL-A3", "is_storable": True}
        )
        cls.bracket = env["product.product"].create(
            {
                "name": "Bracket 50",
                "default_code": "BRKT-050",
                "is_storable": True,
                "tracking": "lot",
            }
        )
        quants = env["stock.quant"]
        for warehouse in (cls.warehouse, cls.http_warehouse):
            stock = warehouse.lot_stock_id
            quants._update_available_quantity(cls.panel, stock, 100)
            for lot_name, quantity in (("L2026A", 40), ("L2026B", 20)):
                lot = env["stock.lot"].search(
                    [("name", "=", lot_name), ("product_id", "=", cls.bracket.id)]
                ) or env["stock.lot"].create(
                    {"name": lot_name, "product_id": cls.bracket.id}
                )
                quants._update_available_quantity(
                    cls.bracket, stock, quantity, lot_id=lot
                )

    def setUp(self):
        super().setUp()
        self.admin("/_sandbox/reset", {})
        # Folders of this test only: a rolled-back collection gives its files
        # back, and the next test must not read them.
        here = Path(tempfile.mkdtemp(dir=self.folder))
        self.pickup, self.drop = here / "pickup", here / "drop"
        self.pickup.mkdir()
        self.drop.mkdir()
        self.admin(
            "/_sandbox/config",
            {"pickup_dir": str(self.pickup), "drop_dir": str(self.drop)},
        )
        self.folder_endpoint.write(
            {"outbox_path": str(self.pickup), "inbox_path": str(self.drop)}
        )

    # -- helpers ---------------------------------------------------------------

    def delivery(self, product, quantity, warehouse=None):
        warehouse = warehouse or self.warehouse
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "origin": "SO-3PL",
                "move_ids": [
                    (0, 0, {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "product_uom": product.uom_id.id,
                        "location_id": warehouse.lot_stock_id.id,
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

    def messages(self, picking, code="tpl-940-out"):
        return self.env["integration.message"].search(
            [
                ("flow_id.code", "=", code),
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
            ]
        )

    def ship(self, number):
        """What the admin call /_sandbox/ship/<order> does; called in process
        because the sandbox's admin paths cannot carry Odoo's "WH/OUT/..."."""
        return self.sandbox.warehouse.ship(number)

    def wait_for_order(self, number, status="open"):
        """The sandbox reads its pickup folder on its own clock: wait for it."""
        for _attempt in range(100):
            order = self.sandbox.warehouse.orders.get(number)
            if order and order["status"] == status:
                return order
            time.sleep(0.1)
        self.fail(f"the sandbox never had order {number} {status}")

    def collect(self, trap):
        self.env["integration.dispatch"]._run_batch_flows(
            self.collect_flow.sudo(), endpoints=self.folder_endpoint
        )
        self.run_jobs(trap)

    def release_and_ship(self, trap, picking):
        picking.action_tpl_release()
        self.run_jobs(trap)
        self.assertEqual(picking.tpl_release_state, "released")
        self.wait_for_order(picking.name)
        self.ship(picking.name)
        self.collect(trap)

    # -- tests -----------------------------------------------------------------

    def test_release_then_short_shipment_makes_a_backorder(self):
        self.admin("/_sandbox/behaviours", {"short_pick": 2})
        picking = self.delivery(self.panel, 10)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            # The same revision released again is the same message.
            picking.sudo()._tpl_send_order("original")
            self.run_jobs(trap)
            release = self.messages(picking)
            self.assertEqual(len(release), 1)
            self.assertEqual(release.state, "sent", release.last_error)
            self.assertEqual(picking.tpl_release_state, "released")
            expectation = self.env["integration.expectation"].search(
                [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
            )
            self.assertEqual(expectation.state, "open")
            self.assertAlmostEqual(
                (expectation.due_at - picking.tpl_released_at).total_seconds(),
                6 * 3600,
                delta=2,
            )
            self.assertEqual(picking.integration_expectation_count, 1)
            order = self.wait_for_order(picking.name)
            self.assertEqual(order["lines"][0]["item"], "PANEL-A3")
            shipments = self.ship(picking.name)
            self.collect(trap)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.move_ids.quantity, 8)
        tracking = shipments[0]["packages"][0]["tracking_number"]
        self.assertEqual(picking.carrier_tracking_ref, tracking)
        self.assertEqual(picking.tpl_shipment_id, shipments[0]["shipment_id"])
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        self.assertEqual(backorder.tpl_release_state, "none")
        self.assertEqual(expectation.state, "met")
        advice = self.env["integration.message"].search(
            [
                ("flow_id.code", "=", "tpl-x12-in"),
                ("endpoint_id", "=", self.folder_endpoint.id),
                ("external_ref", "=", picking.tpl_shipment_id),
            ]
        )
        self.assertEqual(advice.state, "done", advice.last_error)
        ack = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-997-out"), ("parent_id", "=", advice.id)]
        )
        self.assertEqual(ack.state, "sent", ack.last_error)
        self.assertIn(b"AK1*SW*", ack._get_payload())
        self.assertIn(b"AK9*A*1*1*1", ack._get_payload())
        # The warehouse read our 997 (it lists the groups acknowledged).
        for _attempt in range(100):
            if self.sandbox.acknowledged:
                break
            time.sleep(0.1)
        self.assertTrue(self.sandbox.acknowledged)
        # Shipped: the warehouse can no longer cancel it.
        with self.assertRaisesRegex(UserError, "already shipped"):
            picking.action_tpl_cancel_release()

    def test_a_repeated_confirmation_has_no_second_effect(self):
        self.admin("/_sandbox/behaviours", {"duplicate_confirmations": True})
        picking = self.delivery(self.bracket, 5)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
            self.assertEqual(picking.state, "done")
            advices = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id),
                 ("external_ref", "=", picking.tpl_shipment_id)]
            )  # fmt: skip
            self.assertEqual(len(advices), 1)  # the same file twice: one message
            # The same shipment in another envelope (a resend): no second effect.
            again = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                advices._get_payload(),
                idempotency_key="resent-945",
            )
            self.run_jobs(trap)
        self.assertEqual(again.state, "done", again.last_error)
        self.assertFalse(again.exception_ids)
        self.assertFalse(picking.backorder_ids)
        self.assertEqual(picking.move_ids.quantity, 5)
        moves = self.env["stock.move"].search([("picking_id", "=", picking.id)])
        self.assertEqual(moves.mapped("state"), ["done"])
        self.assertEqual(picking.move_line_ids.lot_id.name, "L2026A")

    def test_a_lot_substitution_goes_to_the_exception_queue(self):
        self.admin("/_sandbox/behaviours", {"lot_substitution": True})
        picking = self.delivery(self.bracket, 5)
        self.assertEqual(picking.move_line_ids.lot_id.name, "L2026A")
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
        self.assertEqual(picking.state, "assigned")  # nothing validated
        self.assertEqual(
            picking.tpl_release_state,
            "exception",
            self.env["integration.message"]
            .search([("flow_id.code", "=", "tpl-x12-in")])
            .mapped(lambda m: (m.state, m.last_error, m.exception_ids.mapped("name"))),
        )
        exception = self.env["integration.exception"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(exception.category, "business_rule")
        self.assertIn("lot substitution", exception.details)
        self.assertEqual(exception.user_id, self.reviewer)
        self.assertEqual(picking.integration_exception_count, 1)
        # The warehouse answered in time: no late 945 on top of the exception.
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(expectation.state, "met")

    def test_an_over_shipment_goes_to_the_exception_queue(self):
        picking = self.delivery(self.panel, 5)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            # Odoo's demand went down after the release; the warehouse ships 5.
            picking.move_ids.product_uom_qty = 3
            self.ship(picking.name)
            self.collect(trap)
        self.assertNotEqual(picking.state, "done")  # nothing validated
        exception = self.env["integration.exception"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertIn("over-shipment", exception.details)
        self.assertEqual(picking.tpl_release_state, "exception")

    def test_a_confirmation_for_a_cancelled_order_is_refused(self):
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            # Cancelled in Odoo while the warehouse shipped it: the cancel 940
            # is still queued when the 945 arrives.
            picking.action_cancel()
            self.assertEqual(picking.tpl_release_state, "cancel_queued")
            self.ship(picking.name)
            cancel = self.messages(picking).filtered(
                lambda m: "cancel" in m.idempotency_key
            )
            self.assertEqual(len(cancel), 1)
            self.collect(trap)
        exception = self.env["integration.exception"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(picking.state, "cancel")
        self.assertIn("cancelled in Odoo", exception.name)
        self.assertNotEqual(picking.tpl_release_state, "exception")

    def test_another_shipment_for_a_shipped_order_moves_no_state_back(self):
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
            self.assertEqual(picking.tpl_release_state, "shipped")
            shipment = picking.tpl_shipment_id
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id),
                 ("external_ref", "=", shipment)]
            )._get_payload()  # fmt: skip
            # A second, different shipment of the same order (a late duplicate
            # under a new number): refused, and the delivery stays shipped.
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                payload.replace(shipment.encode(), b"SHP-AGAIN"),
                idempotency_key="second-945",
            )
            self.run_jobs(trap)
        self.assertIn("already shipped", message.exception_ids.name)
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.tpl_shipment_id, shipment)

    def test_a_confirmation_for_a_delivery_never_released_is_refused(self):
        shipped = self.delivery(self.panel, 3)
        held = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, shipped)
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id),
                 ("external_ref", "=", shipped.tpl_shipment_id)]
            )._get_payload()  # fmt: skip
            # Held by the release policy (until paid, say), never sent: a 945
            # naming it must not ship it.
            held.write({"tpl_release_state": "held", "tpl_hold_reason": "unpaid"})
            # Its lines as the 945 quotes them: only the release state differs.
            held.move_ids.tpl_line_id = shipped.move_ids.tpl_line_id or str(
                shipped.move_ids.id
            )
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                payload.replace(shipped.name.encode(), held.name.encode()).replace(
                    shipped.tpl_shipment_id.encode(), b"SHP-HELD"
                ),
                idempotency_key="held-945",
            )
            self.run_jobs(trap)
        self.assertEqual(held.state, "assigned")  # nothing validated
        self.assertEqual(message.state, "done", message.last_error)
        self.assertIn("never released", message.exception_ids.name)
        self.assertEqual(held.tpl_release_state, "held")
        self.assertFalse(held.tpl_shipment_id)

    def test_a_945_refused_by_syntax_is_in_the_exception_queue(self):
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id),
                 ("external_ref", "=", picking.tpl_shipment_id)]
            )._get_payload()  # fmt: skip
            # Its mandatory shipment advice header (W06) lost on the way.
            broken = re.sub(rb"W06\*[^~\n]*~?\n?", b"", payload, count=1)
            self.assertNotEqual(broken, payload)
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                broken,
                idempotency_key="broken-945",
            )
            self.run_jobs(trap)
        ack = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-997-out"), ("parent_id", "=", message.id)]
        )
        self.assertIn(b"AK5*R", ack._get_payload())
        self.assertTrue(message.exception_ids, "no one learns of the refusal")
        self.assertIn("refused by syntax", message.exception_ids.name)
        self.assertEqual(message.exception_ids.user_id, self.reviewer)

    def test_another_companys_warehouse_is_released_and_confirmed(self):
        other = self.env["res.company"].create({"name": "Second 3PL company"})
        env = self.env(context=dict(self.env.context, allowed_company_ids=other.ids))
        warehouse = env["stock.warehouse"].create(
            {"name": "3PL second company", "code": "3PLB", "company_id": other.id}
        )
        endpoint = self.folder_endpoint.copy(
            {"code": "tpl-test-folder-b", "company_id": other.id}
        )
        profile = self.profile.copy({"company_id": other.id})
        env["tpl.warehouse.account"].create(
            {"name": "Sandbox 3PL (second company)", "endpoint_id": endpoint.id,
             "warehouse_id": warehouse.id, "interchange_profile_id": profile.id,
             "company_id": other.id}
        )  # fmt: skip
        env["stock.quant"]._update_available_quantity(
            self.panel, warehouse.lot_stock_id, 10
        )
        picking = env["stock.picking"].create(
            {"picking_type_id": warehouse.out_type_id.id,
             "partner_id": self.customer.id,
             "move_ids": [(0, 0, {
                 "name": "Panel", "product_id": self.panel.id, "product_uom_qty": 4,
                 "product_uom": self.panel.uom_id.id,
                 "location_id": warehouse.lot_stock_id.id,
                 "location_dest_id": self.env.ref("stock.stock_location_customers").id,
             })]}
        )  # fmt: skip
        picking.action_confirm()
        picking.action_assign()
        self.assertEqual(picking.company_id, other)
        # The jobs run in the main company's environment, as the runner's would.
        picking = picking.with_env(self.env)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.assertEqual(picking.tpl_release_state, "released")
            self.wait_for_order(picking.name)
            self.ship(picking.name)
            self.env["integration.dispatch"]._run_batch_flows(
                self.collect_flow.sudo(), endpoints=endpoint
            )
            self.run_jobs(trap)
        advice = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-x12-in"), ("endpoint_id", "=", endpoint.id)]
        )
        self.assertEqual(
            advice.mapped("state"),
            ["done"] * len(advice),
            advice.mapped(lambda m: (m.last_error, m.exception_ids.mapped("name"))),
        )
        self.assertFalse(advice.exception_ids.mapped("name"))
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.move_ids.company_id, other)

    def test_a_confirmation_in_cases_is_not_booked_as_units(self):
        picking = self.delivery(self.panel, 4)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            self.ship(picking.name)
            # The warehouse's 945 as it would count 4 cases, not 4 eaches.
            for path in self.drop.iterdir():
                path.write_bytes(path.read_bytes().replace(b"*EA*", b"*CA*"))
            self.collect(trap)
        self.assertEqual(picking.state, "assigned")  # nothing validated
        exception = self.env["integration.exception"].search(
            [("message_id.flow_id.code", "=", "tpl-x12-in"),
             ("message_id.endpoint_id", "=", self.folder_endpoint.id)]
        )  # fmt: skip
        self.assertIn("'CA'", str(exception.mapped("details")))

    def test_a_confirmation_for_an_unknown_order_is_refused(self):
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id),
                 ("external_ref", "=", picking.tpl_shipment_id)]
            )._get_payload()  # fmt: skip
            unknown = payload.replace(picking.name.encode(), b"WH/OUT/NOPE")
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                unknown,
                idempotency_key="unknown-945",
            )
            self.run_jobs(trap)
        self.assertEqual(message.exception_ids.category, "mapping")
        self.assertIn("WH/OUT/NOPE", message.exception_ids.name)

    def test_release_and_confirmation_over_http(self):
        outbox_flow = self.env.ref("distribution_3pl.flow_tpl_outbox_poll")
        self.assertNotIn(self.http_endpoint, outbox_flow.endpoint_ids)
        self.http_account.pull_outbox = True
        self.assertIn(self.http_endpoint, outbox_flow.endpoint_ids)
        picking = self.delivery(self.bracket, 4, self.http_warehouse)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            shipments = self.ship(picking.name)
            dispatch = self.env["integration.dispatch"]
            for _run in range(2):  # read twice: one message
                dispatch._run_batch_flows(
                    outbox_flow.sudo(), endpoints=self.http_endpoint
                )
                self.run_jobs(trap)
        advice = self.env["integration.message"].search(
            [
                ("flow_id.code", "=", "tpl-x12-in"),
                ("endpoint_id", "=", self.http_endpoint.id),
            ]
        )
        self.assertEqual(len(advice), 1)
        self.assertEqual(advice.state, "done", advice.last_error)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_shipment_id, shipments[0]["shipment_id"])
        self.assertEqual(picking.move_line_ids.lot_id.name, "L2026A")
        ack = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-997-out"), ("parent_id", "=", advice.id)]
        )
        self.assertEqual(ack.state, "sent", ack.last_error)
        self.assertTrue(self.sandbox.acknowledged)  # POSTed: read at once

    def test_cancel_before_shipping_over_http(self):
        picking = self.delivery(self.panel, 4, self.http_warehouse)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            release = self.messages(picking)
            self.assertEqual(release.state, "sent", release.last_error)
            # The warehouse answered the POST with its 997.
            self.assertIn(b"AK5*A", release.response_attachment_id.raw)
            self.assertEqual(
                self.sandbox.warehouse.orders[picking.name]["status"], "open"
            )
            picking.action_cancel()
            self.run_jobs(trap)
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(picking.tpl_release_state, "cancelled")
        self.assertEqual(
            self.sandbox.warehouse.orders[picking.name]["status"], "cancelled"
        )
        expectations = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(expectations.state, "cancelled")

    def test_the_warehouse_997_rejecting_a_940_is_read(self):
        picking = self.delivery(self.panel, 1, self.http_warehouse)
        order = picking._tpl_order(self.http_account, "original")
        profile = self.http_account.interchange_profile_id
        data = write_x12(
            profile._envelope(test=True),
            [warehouse_sets.shipping_order_set(order, "0042")],
        )
        # A set whose SE count is wrong: the warehouse answers AK5*R.
        broken = re.sub(rb"SE\*(\d+)\*", b"SE*99*", data)
        answer = requests.post(
            f"{self.sandbox.url}/x12",
            data=broken,
            headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
            timeout=5,
        )
        self.assertEqual(answer.status_code, 200)
        self.assertTrue(tpl_warehouse_account.rejected_sets(answer.content))
        self.assertFalse(tpl_warehouse_account.rejected_sets(b"not x12"))
        self.assertNotIn(picking.name, self.sandbox.warehouse.orders)

    def test_a_late_warehouse_raises_an_exception(self):
        self.admin("/_sandbox/behaviours", {"late_confirmations": True})
        picking = self.delivery(self.panel, 2)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.env["integration.expectation"]._cron_raise_late(
            now=expectation.due_at + datetime.timedelta(minutes=1)
        )
        self.assertEqual(expectation.state, "late")
        self.assertTrue(expectation.exception_id)

    def test_ready_deliveries_are_released_in_waves(self):
        self.account.wave_size = 1
        first = self.delivery(self.panel, 1)
        second = self.delivery(self.panel, 1)
        with trap_jobs():
            self.env["tpl.warehouse.account"]._cron_release_waves()
            self.assertEqual(
                (first | second).mapped("tpl_release_state"), ["queued", "none"]
            )
            self.env["tpl.warehouse.account"]._cron_release_waves()
        self.assertEqual((first | second).mapped("tpl_release_state"), ["queued"] * 2)

    def test_an_archived_endpoint_keeps_no_other_wave_waiting(self):
        waiting = self.delivery(self.panel, 1, self.http_warehouse)
        ready = self.delivery(self.panel, 1)
        self.http_account.endpoint_id.active = False
        with trap_jobs():
            self.env["tpl.warehouse.account"]._cron_release_waves()
        self.assertEqual(ready.tpl_release_state, "queued")
        self.assertEqual(waiting.tpl_release_state, "none")

    def test_release_and_confirmation_over_sftp(self):
        try:
            sftp = SftpServer().start()
        except SftpPeerUnavailable as exc:
            self.skipTest(str(exc))
        self.addCleanup(sftp.stop)
        # The warehouse's sshd serves the folders the sandbox works in.
        pickup, drop = sftp.path("to-3pl"), sftp.path("from-3pl")
        self.admin(
            "/_sandbox/config", {"pickup_dir": str(pickup), "drop_dir": str(drop)}
        )
        self.folder_endpoint.write(
            {
                "protocol": "sftp",
                "sftp_host": sftp.host,
                "sftp_port": sftp.port,
                "sftp_host_key_fingerprint": sftp.host_key_fingerprint,
                "outbox_path": str(pickup),
                "inbox_path": str(drop),
            }
        )
        self.env["integration.credential"].create(
            {
                "name": "3PL SFTP key",
                "endpoint_id": self.folder_endpoint.id,
                "kind": "ssh_key",
                "username": sftp.username,
                "private_key": sftp.private_key_pem,
            }
        )
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.move_ids.quantity, 3)
        sent = self.messages(picking)
        self.assertEqual(sent.state, "sent", sent.last_error)
