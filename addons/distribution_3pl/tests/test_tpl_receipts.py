"""Inbound receipts and customer returns of the 3PL channel against the
repository's sandbox warehouse (sandbox/warehouse_3pl), started on 127.0.0.1 by
the test: 943s through its pickup folder and over HTTP, its 944s collected from
its drop folder or its outbox, through the kernel's dispatch and queue_job."""

import datetime
import json
import tempfile
import time
from pathlib import Path

from odoo.addons.distribution_edi.tests.common import EdiCase
from odoo.addons.distribution_integration_base.tests.common import IntegrationTestMixin
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from .common import SANDBOX_API_KEY, TplSandboxMixin


@tagged("post_install", "-at_install")
class TestTplReceipts(
    TplSandboxMixin, IntegrationTestMixin, LoopbackPeersMixin, TransactionCase
):
    job_rounds = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.folder = cls.scratch_folder("tpl-receipts-")
        cls.start_sandbox(profile="x12")
        env = cls.env
        profile = cls.sandbox_profile()
        cls.folder_endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL folder (receipts)",
                "code": "tpl-receipts-folder",
                "kind": "warehouse_3pl",
                "protocol": "folder",
                "outbox_path": str(cls.folder),
                "inbox_path": str(cls.folder),
                "file_settle_seconds": 0,
            }
        )
        cls.http_endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL HTTP (receipts)",
                "code": "tpl-receipts-http",
                "kind": "warehouse_3pl",
                "protocol": "edi_http",
                "base_url": cls.sandbox.url,
                "connect_timeout": 2.0,
                "read_timeout": 5.0,
            }
        )
        credential = env["integration.credential"].create(
            {
                "name": "Sandbox key (receipts)",
                "endpoint_id": cls.http_endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": f"Bearer {SANDBOX_API_KEY}",
            }
        )
        cls.reviewer = env.ref("base.user_admin")
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "3PL receipts folder", "code": "3PRF"}
        )
        cls.http_warehouse = env["stock.warehouse"].create(
            {"name": "3PL receipts http", "code": "3PRH"}
        )
        cls.damaged = env["stock.location"].create(
            {
                "name": "Damaged",
                "usage": "internal",
                "location_id": cls.warehouse.view_location_id.id,
            }
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL receipts (folder)",
                "endpoint_id": cls.folder_endpoint.id,
                "warehouse_id": cls.warehouse.id,
                "interchange_profile_id": profile.id,
                "announce_receipts": True,
                "receipt_hours": 12,
                "damaged_location_id": cls.damaged.id,
                "reviewer_id": cls.reviewer.id,
            }
        )
        cls.http_account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL receipts (HTTP)",
                "endpoint_id": cls.http_endpoint.id,
                "credential_id": credential.id,
                "warehouse_id": cls.http_warehouse.id,
                "interchange_profile_id": profile.id,
                "announce_receipts": True,
                "pull_outbox": True,
            }
        )
        cls.collect_flow = env.ref("distribution_3pl.flow_tpl_collect")
        cls.outbox_flow = env.ref("distribution_3pl.flow_tpl_outbox_poll")
        cls.supplier = env["res.partner"].create(
            {"name": "Supplier of the 3PL", "city": "Reno", "zip": "89501",
             "country_id": env.ref("base.us").id}
        )  # fmt: skip
        cls.customer = env["res.partner"].create(
            {"name": "Customer returning goods", "city": "Austin", "zip": "73301",
             "country_id": env.ref("base.us").id}
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
        cls.scanner = env["product.product"].create(
            {
                "name": "Scanner S1",
                "default_code": "SCAN-S1",
                "is_storable": True,
                "tracking": "serial",
            }
        )
        env["stock.quant"]._update_available_quantity(
            cls.panel, cls.http_warehouse.lot_stock_id, 20
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

    def receipt(self, lines, warehouse=None):
        """A purchase-like receipt from the supplier into the 3PL warehouse."""
        warehouse = warehouse or self.warehouse
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.in_type_id.id,
                "partner_id": self.supplier.id,
                "origin": "PO-3PL-1",
                "move_ids": [
                    (0, 0, {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "product_uom": product.uom_id.id,
                        "location_id": self.env.ref(
                            "stock.stock_location_suppliers").id,
                        "location_dest_id": warehouse.lot_stock_id.id,
                    })
                    for product, quantity in lines
                ],
            }
        )  # fmt: skip
        picking.action_confirm()
        self.assertEqual(picking.state, "assigned")
        return picking

    def messages(self, picking, code="tpl-943-out"):
        return self.env["integration.message"].search(
            [
                ("flow_id.code", "=", code),
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
            ]
        )

    def wait_for_receipt(self, number):
        """The sandbox reads its pickup folder on its own clock: wait for it."""
        for _attempt in range(100):
            receipt = self.sandbox.warehouse.receipts.get(number)
            if receipt:
                return receipt
            time.sleep(0.1)
        self.fail(f"the sandbox never had receipt {number}")

    def collect(self, trap, endpoint=None):
        endpoint = endpoint or self.folder_endpoint
        flow = (
            self.collect_flow
            if endpoint == self.folder_endpoint
            else (self.outbox_flow)
        )
        self.env["integration.dispatch"]._run_batch_flows(
            flow.sudo(), endpoints=endpoint
        )
        self.run_jobs(trap)

    def announce_and_receive(self, trap, picking, endpoint=None):
        picking.action_tpl_announce()
        self.run_jobs(trap)
        announcement = self.messages(picking)
        self.assertEqual(announcement.state, "sent", announcement.last_error)
        self.assertEqual(picking.tpl_receipt_state, "announced")
        self.wait_for_receipt(picking.name)
        confirmation = self.sandbox.warehouse.receive(picking.name)
        self.collect(trap, endpoint)
        return confirmation

    @staticmethod
    def is_944(message):
        return b"ST*944*" in message._get_payload()

    def quantity_at(self, product, location):
        return sum(
            self.env["stock.quant"]
            .search(
                [("product_id", "=", product.id), ("location_id", "=", location.id)]
            )
            .mapped("quantity")
        )

    def exception_of(self, picking):
        return self.env["integration.exception"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )

    def announced_receipt(self, product, quantity):
        """A receipt of ``quantity`` ``product``, announced: the receipt, its
        943 message and an advice line naming its move."""
        picking = self.receipt([(product, quantity)])
        with trap_jobs() as trap:
            picking.action_tpl_announce()
            self.run_jobs(trap)
        line = {"line_id": str(picking.move_ids.id), "item": product.default_code}
        return picking, self.messages(picking), line

    def apply_receipt_advice(self, advice, message):
        return self.account._tpl_apply(
            "receipt_advice",
            advice,
            message,
            self.env["integration.handler.tpl_x12_in"],
        )

    # -- tests -----------------------------------------------------------------

    def test_announce_then_receive_with_damaged_units(self):
        self.admin("/_sandbox/behaviours", {"damaged_on_receipt": 2})
        picking = self.receipt([(self.panel, 10)])
        self.assertEqual(picking.tpl_receipt_account_id, self.account)
        with trap_jobs() as trap:
            picking.action_tpl_announce()
            self.run_jobs(trap)
            # The same revision announced again is the same message.
            picking.tpl_receipt_state = "none"
            picking._tpl_announce()
            self.run_jobs(trap)
            announcement = self.messages(picking)
            self.assertEqual(len(announcement), 1)
            self.assertEqual(announcement.state, "sent", announcement.last_error)
            self.assertIn(
                f"W06*F*{picking.name}*".encode(),
                announcement.response_attachment_id.raw,
            )
            expectation = self.env["integration.expectation"].search(
                [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
            )
            self.assertEqual(expectation.kind, "tpl_944")
            self.assertEqual(expectation.state, "open")
            self.assertAlmostEqual(
                (expectation.due_at - announcement.create_date).total_seconds(),
                12 * 3600,
                delta=60,
            )
            announced = self.wait_for_receipt(picking.name)
            self.assertEqual(announced["lines"][0]["item"], "PANEL-A3")
            self.assertFalse(announced["return"])
            self.assertEqual(self.account.receipt_announced_count, 1)
            action = self.account.action_open_receipts_announced()
            self.assertEqual(
                self.env["stock.picking"].search(action["domain"]), picking
            )
            confirmation = self.sandbox.warehouse.receive(picking.name)
            self.collect(trap)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_receipt_state, "received")
        self.assertEqual(picking.tpl_receipt_id, confirmation["receipt_number"])
        self.assertEqual(picking.tpl_receipt_condition, "partly_damaged")
        self.assertEqual(expectation.state, "met")
        self.assertEqual(self.account.receipt_announced_count, 0)
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 8)
        self.assertEqual(self.quantity_at(self.panel, self.damaged), 2)
        self.assertFalse(picking.backorder_ids)
        advice = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-x12-in"),
             ("endpoint_id", "=", self.folder_endpoint.id)]
        ).filtered(self.is_944)  # fmt: skip
        self.assertEqual(advice.state, "done", advice.last_error)
        ack = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-997-out"), ("parent_id", "=", advice.id)]
        )
        self.assertIn(b"AK1*RE*", ack._get_payload())  # 944 group: RE

    def test_damaged_units_are_scrapped_without_a_damaged_location(self):
        self.account.damaged_location_id = False
        self.admin("/_sandbox/behaviours", {"damaged_on_receipt": 1})
        picking = self.receipt([(self.panel, 4)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
        self.assertEqual(picking.state, "done")
        scrap = self.env["stock.scrap"].search([("picking_id", "=", picking.id)])
        self.assertEqual(scrap.scrap_qty, 1)
        self.assertEqual(scrap.state, "done")
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 3)

    def test_a_short_receipt_beyond_tolerance_goes_to_the_exception_queue(self):
        self.account.receipt_tolerance_percent = 10
        self.admin("/_sandbox/behaviours", {"short_receipt": 2})
        picking = self.receipt([(self.panel, 10)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
        self.assertEqual(picking.state, "assigned")  # nothing validated
        self.assertEqual(picking.tpl_receipt_state, "exception")
        self.assertFalse(picking.tpl_receipt_id)
        exception = self.exception_of(picking)
        self.assertEqual(exception.category, "business_rule")
        self.assertIn("short by 2", exception.details)
        self.assertEqual(exception.user_id, self.reviewer)
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 0)

    def test_a_short_receipt_within_tolerance_is_validated(self):
        self.account.receipt_tolerance_percent = 20
        self.admin("/_sandbox/behaviours", {"short_receipt": 2})
        picking = self.receipt([(self.panel, 10)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 8)
        # The warehouse closed the receipt: nothing more under this announcement.
        self.assertFalse(picking.backorder_ids)
        self.assertFalse(self.exception_of(picking))

    def test_refused_units_are_not_received(self):
        self.admin("/_sandbox/behaviours", {"refused_on_receipt": 3})
        picking = self.receipt([(self.panel, 10)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
        # Refused units are accounted for: no difference, no exception.
        self.assertFalse(self.exception_of(picking))
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 7)
        self.assertFalse(picking.backorder_ids)
        self.assertTrue(
            any("3.0 refused" in body for body in picking.message_ids.mapped("body"))
        )

    def test_a_repeated_receipt_advice_has_no_second_effect(self):
        self.admin("/_sandbox/behaviours", {"duplicate_confirmations": True})
        picking = self.receipt([(self.panel, 6)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
            self.assertEqual(picking.state, "done")
            advices = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id)]
            )  # fmt: skip
            self.assertEqual(
                len(advices.filtered(self.is_944)), 1
            )  # the same file twice: one message
            # The same receipt in another envelope (a resend): no second effect.
            again = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                advices.filtered(self.is_944)._get_payload(),
                idempotency_key="resent-944",
            )
            self.run_jobs(trap)
        self.assertEqual(again.state, "done", again.last_error)
        self.assertFalse(again.exception_ids)
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 6)
        self.assertEqual(picking.move_ids.quantity, 6)

    def test_a_receipt_advice_for_an_unknown_receipt_is_refused(self):
        picking = self.receipt([(self.panel, 2)])
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id)]
            ).filtered(self.is_944)._get_payload()  # fmt: skip
            unknown = payload.replace(picking.name.encode(), b"WH/IN/NOPE")
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                unknown,
                idempotency_key="unknown-944",
            )
            self.run_jobs(trap)
        self.assertEqual(message.exception_ids.category, "mapping")
        self.assertIn("WH/IN/NOPE", message.exception_ids.name)
        # The same warehouse receipt for another receipt: refused, and the
        # first one stays received.
        other = self.receipt([(self.panel, 2)])
        with trap_jobs() as trap:
            other.action_tpl_announce()
            self.run_jobs(trap)
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                payload.replace(picking.name.encode(), other.name.encode()),
                idempotency_key="reused-944",
            )
            self.run_jobs(trap)
        self.assertIn(f"already validated {picking.name}", message.exception_ids.name)
        self.assertEqual(other.state, "assigned")
        self.assertEqual(picking.tpl_receipt_state, "received")

    def test_a_tracked_item_is_announced_with_the_ship_notice_lots(self):
        picking = self.receipt([(self.bracket, 5)])
        # What the EDI addon's 856 leaves on the receipt: its shipment and lots.
        picking.edi_shipment_id = "ASN-77"
        picking.move_ids.move_line_ids.write({"lot_name": "LOT-NEW-1", "quantity": 5})
        with trap_jobs() as trap:
            confirmation = self.announce_and_receive(trap, picking)
        announced = self.sandbox.warehouse.receipts[picking.name]
        self.assertEqual(announced["shipment_id"], "ASN-77")
        self.assertEqual(announced["lines"][0]["lots"], ["LOT-NEW-1"])
        self.assertEqual(confirmation["shipment_id"], "ASN-77")
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_line_ids.lot_id.name, "LOT-NEW-1")

    def with_serials(self, picking, serials):
        """What the EDI addon's 856 leaves on a receipt of serial-tracked
        units: one move line per number."""
        move = picking.move_ids
        move.move_line_ids.unlink()
        move.write(
            {
                "move_line_ids": [
                    (0, 0, {
                        "product_id": move.product_id.id,
                        "product_uom_id": move.product_uom.id,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                        "picking_id": picking.id,
                        "lot_name": serial,
                        "quantity": 1,
                    })
                    for serial in serials
                ]
            }
        )  # fmt: skip

    def test_serial_tracked_units_are_announced_and_received_by_number(self):
        picking = self.receipt([(self.scanner, 3)])
        self.with_serials(picking, ["SN-1", "SN-2", "SN-3"])
        with trap_jobs() as trap:
            confirmation = self.announce_and_receive(trap, picking)
        announced = self.sandbox.warehouse.receipts[picking.name]
        self.assertEqual(announced["lines"][0]["serials"], ["SN-1", "SN-2", "SN-3"])
        self.assertEqual(announced["lines"][0]["lots"], [])
        self.assertEqual(confirmation["lines"][0]["serials"], ["SN-1", "SN-2", "SN-3"])
        self.assertEqual(picking.state, "done", self.exception_of(picking).name)
        self.assertEqual(
            sorted(picking.move_line_ids.mapped("lot_id.name")),
            ["SN-1", "SN-2", "SN-3"],
        )
        self.assertEqual(set(picking.move_line_ids.mapped("quantity")), {1.0})
        self.assertEqual(self.quantity_at(self.scanner, self.warehouse.lot_stock_id), 3)

    def test_serial_numbers_may_come_one_line_per_unit(self):
        picking, message, line = self.announced_receipt(self.scanner, 2)
        advice = {
            "receipt_number": "RCV-SN-LINES",
            "order_number": picking.name,
            "lines": [dict(line, quantity="1", lot=lot) for lot in ("S-7", "S-8")],
        }
        applied = self.apply_receipt_advice(advice, message)
        self.assertEqual(applied, picking, self.exception_of(picking).details)
        self.assertEqual(picking.state, "done")
        self.assertEqual(
            sorted(picking.move_line_ids.lot_id.mapped("name")), ["S-7", "S-8"]
        )

    def test_serial_numbers_that_do_not_add_up_refuse_the_receipt(self):
        picking, message, line = self.announced_receipt(self.scanner, 3)
        for index, (lines, problem) in enumerate((
            ([dict(line, quantity="3", serials=["A", "B"])], "2 serial numbers"),
            ([dict(line, quantity="2", serials=["A", "A"])], "reported twice"),
            (
                # One line per unit, as some warehouses send serials.
                [dict(line, quantity="1", lot=lot) for lot in ("A", "B", "A")],
                "reported twice",
            ),
            ([dict(line, quantity="3", lot="A")], "1 serial numbers"),
            ([dict(line, quantity="3")], "0 serial numbers"),
            ([dict(line, quantity="1", serials="A")], "unreadable serial"),
            (
                [
                    dict(
                        line,
                        quantity="3",
                        serials=["A", "B", "C"],
                        exceptions=[{"quantity": "1", "condition": "01"}],
                    )
                ],
                "without their serial numbers",
            ),
        )):  # fmt: skip
            receipt = f"RCV-SN-{index}"
            advice = {"receipt_number": receipt, "order_number": picking.name}
            applied = self.apply_receipt_advice(dict(advice, lines=lines), message)
            self.assertFalse(applied, lines)
            self.assertEqual(picking.state, "assigned")
            exception = self.exception_of(picking).filtered(
                lambda e, r=receipt: e.problem_key == f"944-{picking.name}-{r}"
            )
            self.assertIn(problem, exception.details or "", lines)
        lots = self.env["stock.lot"].search([("product_id", "=", self.scanner.id)])
        self.assertFalse(lots)

    def test_an_unreadable_receipt_advice_goes_to_the_exception_queue(self):
        picking, message, line = self.announced_receipt(self.panel, 5)
        for lines in (
            "garbage",
            [dict(line, quantity="NaN")],
            [dict(line, quantity="5", exceptions=[{"quantity": "-1", "damaged": 1}])],
            [
                dict(
                    line,
                    quantity="5",
                    exceptions=[{"quantity": "x", "condition": "08"}],
                )
            ],
        ):
            advice = {"receipt_number": "RCV-BAD", "order_number": picking.name}
            applied = self.apply_receipt_advice(dict(advice, lines=lines), message)
            self.assertFalse(applied, lines)
            self.assertEqual(picking.state, "assigned")
            self.assertEqual(picking.tpl_receipt_state, "exception")
        exception = self.exception_of(picking)
        self.assertTrue(exception)
        self.assertEqual(set(exception.mapped("category")), {"business_rule"})
        # The warehouse answered: no late 944 on top of the exception.
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(expectation.state, "met")

    def test_the_webhook_shape_of_a_receipt_is_applied_the_same(self):
        # What the sandbox's "receipt.confirmed" event carries as its data is
        # the dict its 944 is written from: the JSON profile's input.
        self.admin("/_sandbox/behaviours", {"damaged_on_receipt": 1})
        picking = self.receipt([(self.panel, 3)])
        with trap_jobs() as trap:
            picking.action_tpl_announce()
            self.run_jobs(trap)
        self.wait_for_receipt(picking.name)
        data = json.loads(json.dumps(self.sandbox.warehouse.receive(picking.name)))
        message = self.messages(picking)
        handler = self.env["integration.handler.tpl_x12_in"]
        applied = self.account._tpl_apply("receipt_advice", data, message, handler)
        self.assertEqual(applied, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.quantity_at(self.panel, self.damaged), 1)
        # The same event again: no second effect.
        self.account._tpl_apply("receipt_advice", data, message, handler)
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 2)

    def test_a_late_warehouse_raises_an_exception(self):
        picking = self.receipt([(self.panel, 2)])
        with trap_jobs() as trap:
            picking.action_tpl_announce()
            self.run_jobs(trap)
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.env["integration.expectation"]._cron_raise_late(
            now=expectation.due_at + datetime.timedelta(minutes=1)
        )
        self.assertEqual(expectation.state, "late")
        self.assertTrue(expectation.exception_id)

    def test_a_customer_return_is_announced_and_confirmed_with_its_condition(self):
        # Over HTTP: the 943 is POSTed, the 944 read from the warehouse's outbox.
        self.admin("/_sandbox/behaviours", {"damaged_on_receipt": 1})
        warehouse = self.http_warehouse
        delivery = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "move_ids": [
                    (0, 0, {
                        "name": self.panel.name,
                        "product_id": self.panel.id,
                        "product_uom_qty": 3,
                        "product_uom": self.panel.uom_id.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": self.env.ref(
                            "stock.stock_location_customers").id,
                    })
                ],
            }
        )  # fmt: skip
        delivery.action_confirm()
        delivery.action_assign()
        delivery.move_ids.picked = True
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=delivery.id, active_model="stock.picking"
            )
        ).save()
        wizard.product_return_moves.quantity = 3
        returned = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        self.assertEqual(returned.return_id, delivery)
        self.assertEqual(returned.state, "assigned")
        self.assertEqual(returned.tpl_receipt_account_id, self.http_account)
        with trap_jobs() as trap:
            confirmation = self.announce_and_receive(
                trap, returned, endpoint=self.http_endpoint
            )
        # The sandbox reads W0601 C with its own X12 code.
        self.assertTrue(self.sandbox.warehouse.receipts[returned.name]["return"])
        self.assertTrue(confirmation["return"])
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.tpl_receipt_state, "received")
        self.assertEqual(returned.tpl_receipt_condition, "partly_damaged")
        # No damaged location on this account: the damaged unit is scrapped.
        scrap = self.env["stock.scrap"].search([("picking_id", "=", returned.id)])
        self.assertEqual(scrap.scrap_qty, 1)
        self.assertEqual(self.quantity_at(self.panel, warehouse.lot_stock_id), 19)
        self.assertTrue(
            any("Return receipt" in b for b in returned.message_ids.mapped("body"))
        )

    def test_a_return_reported_as_a_plain_receipt_is_refused(self):
        picking = self.receipt([(self.panel, 2)])
        with trap_jobs() as trap:
            confirmation = self.announce_and_receive(trap, picking)
            payload = self.env["integration.message"].search(
                [("flow_id.code", "=", "tpl-x12-in"),
                 ("endpoint_id", "=", self.folder_endpoint.id)]
            ).filtered(self.is_944)._get_payload()  # fmt: skip
        self.assertIn(b"W17*F*", payload)
        # Another warehouse receipt (W1703), reported as a customer return.
        payload = payload.replace(confirmation["receipt_number"].encode(), b"RCV-OTHER")
        other = self.receipt([(self.panel, 2)])
        with trap_jobs() as trap:
            other.action_tpl_announce()
            self.run_jobs(trap)
            message = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                payload.replace(picking.name.encode(), other.name.encode()).replace(
                    b"W17*F*", b"W17*C*"
                ),
                idempotency_key="return-944",
            )
            self.run_jobs(trap)
        self.assertEqual(other.state, "assigned")
        self.assertEqual(other.tpl_receipt_state, "exception")
        self.assertIn("customer return", message.exception_ids.name)

    def test_ready_receipts_are_announced_in_waves(self):
        self.account.wave_size = 1
        first = self.receipt([(self.panel, 1)])
        second = self.receipt([(self.panel, 1)])
        with trap_jobs():
            self.env["tpl.warehouse.account"]._cron_announce_receipts()
            self.assertEqual(
                (first | second).mapped("tpl_receipt_state"), ["queued", "none"]
            )
            self.env["tpl.warehouse.account"]._cron_announce_receipts()
        self.assertEqual((first | second).mapped("tpl_receipt_state"), ["queued"] * 2)

    def test_an_archived_endpoint_keeps_no_other_announcement_waiting(self):
        # Created first: the archived account's receipt comes first in the run.
        waiting = self.receipt([(self.panel, 1)], self.http_warehouse)
        ready = self.receipt([(self.panel, 1)])
        self.http_account.endpoint_id.active = False
        with trap_jobs():
            self.env["tpl.warehouse.account"]._cron_announce_receipts()
        self.assertEqual(ready.tpl_receipt_state, "queued")
        self.assertEqual(waiting.tpl_receipt_state, "none")

    def test_the_overview_counts_receipts_announced(self):
        overview = self.env.ref(
            "distribution_3pl.tpl_warehouse_account_overview_receipts",
            raise_if_not_found=False,
        )
        if not overview:
            self.skipTest("the 3PL overview (branch release) is not installed")
        kanban = self.env.ref("distribution_3pl.tpl_warehouse_account_overview")
        views = self.env["tpl.warehouse.account"].get_views([(kanban.id, "kanban")])
        arch = views["views"]["kanban"]["arch"]
        self.assertIn('name="action_open_receipts_announced"', arch)
        picking = self.receipt([(self.panel, 1)])
        with trap_jobs():
            picking.action_tpl_announce()
        self.assertEqual(picking.tpl_receipt_state, "queued")
        clerk = new_test_user(
            self.env, "tpl_overview_clerk", groups="stock.group_stock_user"
        )
        account = self.account.with_user(clerk)
        action = account.action_open_receipts_announced()
        opened = self.env["stock.picking"].with_user(clerk).search(action["domain"])
        self.assertEqual(opened, picking)
        self.assertEqual(account.receipt_announced_count, len(opened))
        # Cancelled in Odoo: no longer waiting for the warehouse's confirmation.
        picking.action_cancel()
        account.invalidate_recordset(["receipt_announced_count"])
        self.assertFalse(self.env["stock.picking"].search(action["domain"]))
        self.assertEqual(account.receipt_announced_count, 0)
        # Who may not open receipts is shown no count of them.
        picking = self.receipt([(self.panel, 1)])
        with trap_jobs():
            picking.action_tpl_announce()
        watcher = new_test_user(
            self.env,
            "tpl_overview_watcher",
            groups="distribution_integration_base.group_integration_user",
        )
        self.assertFalse(watcher.has_group("stock.group_stock_user"))
        self.assertEqual(self.account.with_user(watcher).receipt_announced_count, 0)
        self.assertEqual(self.account.receipt_announced_count, 1)

    def test_announcing_is_for_stock_users_of_ready_receipts(self):
        picking = self.receipt([(self.panel, 1)])
        outsider = new_test_user(self.env, "tpl_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            picking.with_user(outsider).action_tpl_announce()
        clerk = new_test_user(self.env, "tpl_clerk", groups="stock.group_stock_user")
        picking.with_user(clerk).action_cancel()
        with self.assertRaisesRegex(UserError, "Only ready receipts"):
            picking.with_user(clerk).action_tpl_announce()
        self.assertEqual(picking.tpl_receipt_state, "none")


@tagged("post_install", "-at_install")
class TestTplReceiptsFedByShipNotice(TplSandboxMixin, EdiCase):
    """The supplier's ship notice (856, from a real mock-edi) feeds the 943."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox(profile="x12")
        env = cls.env
        profile = cls.sandbox_profile()
        endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL HTTP (ship notices)",
                "code": "tpl-receipts-asn",
                "kind": "warehouse_3pl",
                "protocol": "edi_http",
                "base_url": cls.sandbox.url,
                "connect_timeout": 2.0,
                "read_timeout": 5.0,
            }
        )
        credential = env["integration.credential"].create(
            {
                "name": "Sandbox key (ship notices)",
                "endpoint_id": endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": f"Bearer {SANDBOX_API_KEY}",
            }
        )
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "3PL fed by ship notices", "code": "3PSN"}
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL (ship notices)",
                "endpoint_id": endpoint.id,
                "credential_id": credential.id,
                "warehouse_id": cls.warehouse.id,
                "interchange_profile_id": profile.id,
                "announce_receipts": True,
                "pull_outbox": True,
            }
        )
        # The 3PL counts the goods: the ship notice only prefills the receipt.
        cls.trading_partner.receipt_policy = "prepare"

    def test_the_ship_notice_feeds_the_announcement(self):
        self.use_partner(self.trading_partner)
        with trap_jobs() as trap:
            order, receipt = self.ordered_receipt(trap, 7)
            self.assertEqual(receipt.tpl_receipt_account_id, self.account)
            # The supplier sends ship notices: the schedule waits for this one.
            self.env["tpl.warehouse.account"]._cron_announce_receipts()
            self.assertEqual(receipt.tpl_receipt_state, "none")
            self.deliver_answers(trap, "ACME")
            self.assertTrue(receipt.edi_shipment_id)
            self.assertEqual(receipt.state, "assigned")  # prefilled, not validated
            self.run_jobs(trap)
            self.assertEqual(receipt.tpl_receipt_state, "announced")
            announced = self.sandbox.warehouse.receipts[receipt.name]
            self.assertEqual(announced["shipment_id"], receipt.edi_shipment_id)
            self.assertEqual(float(announced["lines"][0]["quantity"]), 7)
            self.assertEqual(receipt.move_ids.tpl_announced_qty, 7)
            self.received_at_the_warehouse(trap, receipt)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(receipt.tpl_receipt_state, "received")
        self.assertEqual(order.order_line.qty_received, 7)

    def announcements(self, receipt):
        return self.env["integration.message"].search(
            [
                ("flow_id.code", "=", "tpl-943-out"),
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", receipt.id),
            ],
            order="id",
        )

    def received_at_the_warehouse(self, trap, receipt):
        """The warehouse receives ``receipt``; its 944 is pulled and applied."""
        self.sandbox.warehouse.receive(receipt.name)
        self.env["integration.dispatch"]._run_batch_flows(
            self.env.ref("distribution_3pl.flow_tpl_outbox_poll").sudo(),
            endpoints=self.account.endpoint_id,
        )
        self.run_jobs(trap)

    def ordered_receipt(self, trap, quantity):
        order = self.create_order([("PANEL-A3", quantity)], confirm=False)
        order.picking_type_id = self.warehouse.in_type_id
        order.button_confirm()
        self.env.cr.precommit.run()  # what the commit would do: queue the 850
        self.run_jobs(trap)
        return order, order.picking_ids

    def test_a_ship_notice_after_the_announcement_sends_a_revision(self):
        self.use_partner(self.trading_partner)
        with trap_jobs() as trap:
            order, receipt = self.ordered_receipt(trap, 6)
            # Announced by hand before the supplier's ship notice came.
            receipt.action_tpl_announce()
            self.run_jobs(trap)
            first = self.announcements(receipt)
            self.assertEqual(first.state, "sent", first.last_error)
            self.assertEqual(
                self.sandbox.warehouse.receipts[receipt.name]["revision"], 1
            )
            self.assertFalse(
                self.sandbox.warehouse.receipts[receipt.name]["shipment_id"]
            )
            self.deliver_answers(trap, "ACME")
            self.run_jobs(trap)
            revised = self.announcements(receipt) - first
            self.assertEqual(len(revised), 1)
            self.assertEqual(revised.state, "sent", revised.last_error)
            self.assertEqual(receipt.tpl_revision, 2)
            self.assertEqual(revised.idempotency_key, f"943-{receipt.id}-r2")
            expected = self.sandbox.warehouse.receipts[receipt.name]
            self.assertEqual(expected["revision"], 2)
            self.assertEqual(expected["shipment_id"], receipt.edi_shipment_id)
            self.assertIn("revision 2", "".join(receipt.message_ids.mapped("body")))
            # The same ship notice applied again changes nothing there.
            receipt._tpl_announce_revision()
            self.run_jobs(trap)
            self.assertEqual(len(self.announcements(receipt)), 2)
            self.received_at_the_warehouse(trap, receipt)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(order.order_line.qty_received, 6)

    def test_a_revision_withdraws_an_announcement_not_sent_yet(self):
        self.use_partner(self.trading_partner)
        with trap_jobs() as trap:
            _order, receipt = self.ordered_receipt(trap, 4)
            receipt.action_tpl_announce()
            first = self.announcements(receipt)
            self.assertEqual(first.state, "queued")
            # What applying a ship notice leaves: its shipment on the receipt.
            receipt.edi_shipment_id = "ASN-LATE-1"
            receipt._tpl_announce_revision()
            self.assertEqual(first.state, "cancelled")
            self.run_jobs(trap)
        revised = self.announcements(receipt) - first
        self.assertEqual(revised.state, "sent", revised.last_error)
        expected = self.sandbox.warehouse.receipts[receipt.name]
        # The warehouse only ever had the revised content.
        self.assertEqual(expected["revision"], 1)
        self.assertEqual(expected["shipment_id"], "ASN-LATE-1")
        self.assertEqual(receipt.tpl_receipt_state, "announced")
