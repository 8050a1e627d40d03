"""Inventory reconciliation against the repository's sandbox warehouse
(sandbox/warehouse_3pl), started on 127.0.0.1 by the test: its 846s and 947s
collected from its drop folder, its CSV reports from a folder of their own,
through the kernel's collector, dispatch and queue_job."""

import tempfile
import time
from pathlib import Path

from odoo.addons.distribution_integration_base.tests.common import IntegrationTestMixin
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.addons.distribution_integration_base.tests.sftp_peer import (
    SftpPeerUnavailable,
    SftpServer,
)
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.tpl_csv_handler import read_snapshot_csv
from ..models.tpl_reconciliation import report_digest, snapshot_rows
from .common import TplSandboxMixin


@tagged("post_install", "-at_install")
class TestTplReconciliation(
    TplSandboxMixin, IntegrationTestMixin, LoopbackPeersMixin, TransactionCase
):
    job_rounds = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.folder = cls.scratch_folder("tpl-rec-test-")
        cls.start_sandbox(profile="x12")
        env = cls.env
        profile = cls.sandbox_profile("DEPOSITORREC")
        cls.endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL folder (reconciliation)",
                "code": "tpl-rec-folder",
                "kind": "warehouse_3pl",
                "protocol": "folder",
                "outbox_path": str(cls.folder),
                "inbox_path": str(cls.folder),
                "file_settle_seconds": 0,
            }
        )
        cls.csv_endpoint = env["integration.endpoint"].create(
            {
                "name": "3PL CSV reports",
                "code": "tpl-rec-csv",
                "kind": "warehouse_3pl",
                "protocol": "folder",
                "outbox_path": str(cls.folder),
                "inbox_path": str(cls.folder),
                "file_settle_seconds": 0,
            }
        )
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "3PL reconciliation test", "code": "TPLRC"}
        )
        cls.damaged = env["stock.location"].create(
            {
                "name": "Damaged",
                "usage": "internal",
                "location_id": cls.warehouse.view_location_id.id,
            }
        )
        cls.manager = new_test_user(
            env,
            login="tpl_rec_manager",
            groups="stock.group_stock_manager,"
            "distribution_integration_base.group_integration_user",
        )
        # The integration user may read and even write stock (a stock user):
        # what stops it from approving is the segregation of duties itself.
        cls.integration_user = new_test_user(
            env,
            login="tpl_rec_integration",
            groups="stock.group_stock_user,"
            "distribution_integration_base.group_integration_user",
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Sandbox 3PL (reconciliation)",
                "endpoint_id": cls.endpoint.id,
                "warehouse_id": cls.warehouse.id,
                "interchange_profile_id": profile.id,
                "variance_tolerance_qty": 2,
                "variance_tolerance_value": 50,
                "variance_reviewer_id": cls.manager.id,
                "damaged_location_id": cls.damaged.id,
                "snapshot_endpoint_id": cls.csv_endpoint.id,
            }
        )
        cls.collect_flow = env.ref("distribution_3pl.flow_tpl_collect")
        cls.csv_flow = env.ref("distribution_3pl.flow_tpl_csv_collect")
        products = env["product.product"]
        cls.panel = products.create(
            {"name": "Panel A3", "default_code": "PANEL-A3", "is_storable": True,
             "standard_price": 12.0}
        )  # fmt: skip
        cls.bracket = products.create(
            {"name": "Bracket 50", "default_code": "BRKT-050", "is_storable": True,
             "tracking": "lot", "standard_price": 3.0}
        )  # fmt: skip
        # Known to the warehouse under another code: the endpoint's
        # cross-reference maps it.
        cls.bolt = products.create(
            {"name": "Bolt M8", "default_code": "ODOO-BOLT-8", "is_storable": True,
             "tracking": "lot", "standard_price": 0.5}
        )  # fmt: skip
        env["integration.cross.reference"]._set_external(
            cls.endpoint, "product", cls.bolt, "BOLT-M8"
        )
        # Odoo's stock equals the fresh sandbox's (its README).
        stock = cls.warehouse.lot_stock_id
        quants = env["stock.quant"]
        quants._update_available_quantity(cls.panel, stock, 100)
        for product, lot_name, quantity in (
            (cls.bracket, "L2026A", 40),
            (cls.bracket, "L2026B", 20),
            (cls.bolt, "L-BOLT-7", 500),
        ):
            lot = env["stock.lot"].create({"name": lot_name, "product_id": product.id})
            quants._update_available_quantity(product, stock, quantity, lot_id=lot)

    def setUp(self):
        super().setUp()
        self.admin("/_sandbox/reset", {})
        # Folders of this test only (a rolled-back collection keeps its files).
        here = Path(tempfile.mkdtemp(dir=self.folder))
        self.drop, self.csv_drop = here / "drop", here / "csv"
        self.pickup = here / "pickup"
        for folder in (self.drop, self.csv_drop, self.pickup):
            folder.mkdir()
        self.admin(
            "/_sandbox/config",
            {"drop_dir": str(self.drop), "pickup_dir": str(self.pickup)},
        )
        self.endpoint.write(
            {"inbox_path": str(self.drop), "outbox_path": str(self.pickup)}
        )
        self.csv_endpoint.write(
            {"inbox_path": str(self.csv_drop), "outbox_path": str(here)}
        )

    # -- helpers ---------------------------------------------------------------

    def collect(self, flow=None, endpoint=None):
        with trap_jobs() as trap:
            self.env["integration.dispatch"]._run_batch_flows(
                (flow or self.collect_flow).sudo(),
                endpoints=endpoint or self.endpoint,
            )
            for _round in range(5):
                if not trap.enqueued_jobs:
                    break
                trap.perform_enqueued_jobs()

    def reconciliation(self, report_id):
        return self.env["tpl.reconciliation"].search(
            [("account_id", "=", self.account.id), ("report_id", "=", report_id)]
        )

    def stock(self, product, lot_name=None, location=None):
        quants = self.env["stock.quant"].search(
            [
                ("product_id", "=", product.id),
                ("location_id", "=", (location or self.warehouse.lot_stock_id).id),
            ]
        )
        if lot_name:
            quants = quants.filtered(lambda q: q.lot_id.name == lot_name)
        return sum(quants.mapped("quantity"))

    def x12_message(self, report_id):
        return self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-x12-in"), ("external_ref", "=", report_id)]
        )

    # -- tests -----------------------------------------------------------------

    def test_a_snapshot_in_sync_is_accepted_without_differences(self):
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "applied", reconciliation.unknown_items)
        self.assertTrue(reconciliation.auto_accepted)
        self.assertEqual(reconciliation.line_count, 0)
        self.assertEqual(reconciliation.snapshot, "full")
        message = self.x12_message(report["report_id"])
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(reconciliation.message_id, message)
        self.assertEqual(self.account.last_reconciliation_id, reconciliation)
        self.assertEqual(self.account.last_variance_value, 0)

    def test_drift_above_tolerance_waits_for_an_inventory_manager(self):
        self.admin("/_sandbox/behaviours", {"inventory_drift": -7})
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "to_review")
        line = reconciliation.line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual(line.product_id, self.bolt)
        self.assertEqual(line.lot_id.name, "L-BOLT-7")
        self.assertEqual((line.odoo_qty, line.tpl_qty, line.difference), (500, 493, -7))
        self.assertAlmostEqual(line.value, -3.5)
        self.assertEqual(line.cause, "unknown")
        self.assertEqual(reconciliation.variance_value, 3.5)
        self.assertEqual(self.account.reconciliation_review_count, 1)
        action = self.account.action_open_reconciliations_to_review()
        self.assertEqual(
            self.env["tpl.reconciliation"].search(action["domain"]), reconciliation
        )
        self.assertEqual(reconciliation.activity_ids.user_id, self.manager)
        self.assertEqual(self.stock(self.bolt), 500)  # nothing changed yet

        # Segregation of duties: the integration user cannot approve.
        as_integration = reconciliation.with_user(self.integration_user)
        as_integration.check_access("write")  # it may write, not approve
        with self.assertRaises(AccessError):
            as_integration.action_approve()
        with self.assertRaises(AccessError):
            as_integration.action_reject()
        # Nor around the review by writing the decision over RPC.
        for values in ({"state": "approved"}, {"approved_by_id": self.manager.id}):
            with self.assertRaises(AccessError):
                as_integration.write(values)
        self.assertEqual(reconciliation.state, "to_review")
        # Writing is still what the chatter needs of a stock user.
        as_integration.message_post(body="Counted again on Monday.")

        reconciliation.with_user(self.manager).action_approve()
        self.assertEqual(reconciliation.state, "applied")
        self.assertEqual(reconciliation.approved_by_id, self.manager)
        self.assertEqual(self.stock(self.bolt, "L-BOLT-7"), 493)
        move = reconciliation.move_ids
        self.assertEqual(len(move), 1)
        self.assertTrue(move.is_inventory)
        self.assertEqual(move.state, "done")
        self.assertEqual(move.quantity, 7)
        self.assertEqual(move.location_id, self.warehouse.lot_stock_id)
        self.assertIn(reconciliation.name, move.reference)
        self.assertFalse(reconciliation.activity_ids)
        with self.assertRaisesRegex(UserError, "not waiting for review"):
            reconciliation.with_user(self.manager).action_approve()
        # Reopening the applied report by a write would apply it twice.
        with self.assertRaises(AccessError):
            reconciliation.with_user(self.manager).write({"state": "to_review"})
        self.assertEqual(reconciliation.state, "applied")

        # The same 846 again (a resend, another envelope): no second effect.
        payload = self.x12_message(report["report_id"])._get_payload()
        with trap_jobs() as trap:
            again = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.endpoint,
                payload,
                idempotency_key="resent-846",
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(again.state, "done", again.last_error)
        self.assertEqual(self.reconciliation(report["report_id"]), reconciliation)
        self.assertEqual(self.stock(self.bolt, "L-BOLT-7"), 493)

    def test_drift_within_tolerance_is_applied_without_review(self):
        self.admin("/_sandbox/behaviours", {"inventory_drift": 2})
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "applied")
        self.assertTrue(reconciliation.auto_accepted)
        self.assertFalse(reconciliation.approved_by_id)
        self.assertEqual(reconciliation.line_ids.difference, 2)
        self.assertEqual(self.stock(self.bolt, "L-BOLT-7"), 502)
        self.assertEqual(
            reconciliation.move_ids.location_dest_id, self.warehouse.lot_stock_id
        )

    def test_within_tolerance_but_not_applicable_goes_to_review(self):
        # One unit of a lot-tracked item reported without its lot.
        self.admin(
            "/_sandbox/stock",
            {"stock": [{"item": "BRKT-050", "lot": "", "quantity": "1"}]},
        )
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "to_review")
        self.assertFalse(reconciliation.auto_accepted)
        self.assertEqual(reconciliation.line_ids.difference, 1)
        self.assertTrue(
            any(
                "no lot for a tracked product" in (body or "")
                for body in reconciliation.message_ids.mapped("body")
            )
        )
        self.assertFalse(reconciliation.move_ids)

    def test_a_stale_report_is_not_applied(self):
        self.admin("/_sandbox/behaviours", {"inventory_drift": -5})
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "to_review")
        # Odoo's stock moved after the report: applying it would double count.
        lot = reconciliation.line_ids.lot_id
        self.env["stock.quant"]._update_available_quantity(
            self.bolt, self.warehouse.lot_stock_id, -1, lot_id=lot
        )
        with self.assertRaisesRegex(UserError, "changed since the report"):
            reconciliation.with_user(self.manager).action_approve()
        self.assertEqual(self.stock(self.bolt, "L-BOLT-7"), 499)

    def test_a_rejected_reconciliation_leaves_the_stock(self):
        self.admin(
            "/_sandbox/stock",
            {"stock": [{"item": "PANEL-A3", "lot": "", "quantity": "60"}]},
        )
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "to_review")
        self.assertAlmostEqual(reconciliation.variance_value, 480)
        reconciliation.with_user(self.manager).action_reject()
        self.assertEqual(reconciliation.state, "rejected")
        self.assertEqual(self.stock(self.panel), 100)
        self.assertFalse(reconciliation.move_ids)

    def test_statuses_lots_unknown_items_and_what_the_warehouse_lacks(self):
        self.admin(
            "/_sandbox/stock",
            {
                "stock": [
                    # A lot Odoo has never seen, damaged units, an unknown item.
                    {"item": "BRKT-050", "lot": "L2026C", "quantity": "5"},
                    {"item": "BRKT-050", "lot": "L2026A", "status": "damaged",
                     "quantity": "3"},
                    {"item": "NOPE-1", "lot": "", "quantity": "4"},
                    # The warehouse no longer has lot L2026B at all.
                    {"item": "BRKT-050", "lot": "L2026B", "quantity": "0"},
                ]
            },
        )  # fmt: skip
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "to_review")  # unknown item
        self.assertIn("NOPE-1", reconciliation.unknown_items)
        exception = self.env["integration.exception"].search(
            [
                ("res_model", "=", "tpl.reconciliation"),
                ("res_id", "=", reconciliation.id),
            ]
        )
        self.assertEqual(exception.category, "mapping")
        lines = {
            (line.lot_name, line.status): line.difference
            for line in reconciliation.line_ids
        }
        self.assertEqual(
            lines,
            {("L2026C", "available"): 5, ("L2026A", "damaged"): 3,
             ("L2026B", "available"): -20},
        )  # fmt: skip
        damaged = reconciliation.line_ids.filtered(
            lambda line: line.status == "damaged"
        )
        self.assertEqual(damaged.location_id, self.damaged)
        reconciliation.with_user(self.manager).action_approve()
        self.assertEqual(self.stock(self.bracket, "L2026C"), 5)
        self.assertEqual(self.stock(self.bracket, "L2026B"), 0)
        self.assertEqual(self.stock(self.bracket, "L2026A", self.damaged), 3)
        self.assertEqual(self.stock(self.bracket, "L2026A"), 40)
        self.assertEqual(len(reconciliation.move_ids), 3)

    def test_an_unconfirmed_shipment_is_the_probable_cause(self):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.manager.partner_id.id,
                "move_ids": [
                    (0, 0, {
                        "name": "Panel",
                        "product_id": self.panel.id,
                        "product_uom_qty": 5,
                        "product_uom": self.panel.uom_id.id,
                        "location_id": self.warehouse.lot_stock_id.id,
                        "location_dest_id": self.env.ref(
                            "stock.stock_location_customers").id,
                    })
                ],
            }
        )  # fmt: skip
        picking.action_confirm()
        picking.action_assign()
        with trap_jobs() as trap:
            picking.action_tpl_release()
            trap.perform_enqueued_jobs()
        self.assertEqual(picking.tpl_release_state, "released")
        # A receipt of bolts the warehouse booked, not yet validated in Odoo.
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "partner_id": self.manager.partner_id.id,
                "move_ids": [
                    (0, 0, {
                        "name": "Bolts",
                        "product_id": self.bolt.id,
                        "product_uom_qty": 10,
                        "product_uom": self.bolt.uom_id.id,
                        "location_id": self.env.ref(
                            "stock.stock_location_suppliers").id,
                        "location_dest_id": self.warehouse.lot_stock_id.id,
                    })
                ],
            }
        )  # fmt: skip
        receipt.action_confirm()
        self.admin(
            "/_sandbox/stock",
            {"stock": [{"item": "BOLT-M8", "lot": "L-BOLT-7", "quantity": "510"}]},
        )
        for _attempt in range(100):  # the sandbox reads its pickup folder
            if picking.name in self.sandbox.warehouse.orders:
                break
            time.sleep(0.1)
        # The warehouse shipped; its 945 has not been applied in Odoo yet. Its
        # snapshot arrives as the JSON profile's webhook data would.
        self.sandbox.warehouse.ship(picking.name)
        snapshot = self.sandbox.warehouse.snapshot("full", publish=False)
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        reconciliation = self.account._tpl_apply(
            "inventory_advice",
            snapshot,
            message,
            self.env["integration.handler.tpl_x12_in"],
        )
        causes = {
            line.product_id: (line.difference, line.cause)
            for line in reconciliation.line_ids
        }
        self.assertEqual(
            causes,
            {
                self.panel: (-5, "unconfirmed_shipment"),
                self.bolt: (10, "unconfirmed_receipt"),
            },
        )
        self.assertEqual(reconciliation.state, "to_review")

    def test_a_947_adjustment_follows_the_review_rules(self):
        advice = self.admin(
            "/_sandbox/adjust",
            {"item": "BRKT-050", "lot": "L2026B", "quantity": "-3",
             "reason_code": "AU", "note": "fork lift"},
        )  # fmt: skip
        self.collect()
        reconciliation = self.reconciliation(advice["adjustment_number"])
        self.assertEqual(reconciliation.document_kind, "inventory_adjustment")
        self.assertEqual(reconciliation.state, "to_review")  # 3 units > 2
        line = reconciliation.line_ids
        self.assertEqual((line.odoo_qty, line.tpl_qty, line.difference), (20, 17, -3))
        self.assertEqual(line.cause, "adjustment")
        reasons = " ".join(reconciliation.message_ids.mapped("body"))
        self.assertIn("damaged in facility", reasons)
        self.assertIn("fork lift", reasons)
        with self.assertRaises(AccessError):
            reconciliation.with_user(self.integration_user).action_approve()
        reconciliation.with_user(self.manager).action_approve()
        self.assertEqual(self.stock(self.bracket, "L2026B"), 17)
        # The warehouse's changes since: only what the 947 touched, in sync.
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "delta", "profile": "x12"}
        )
        self.assertEqual(len(report["items"]), 1)
        self.collect()
        delta = self.reconciliation(report["report_id"])
        self.assertEqual(delta.snapshot, "delta")
        self.assertEqual(delta.line_count, 0)
        self.assertEqual(delta.state, "applied")
        # A small 947 is applied at once.
        advice = self.admin(
            "/_sandbox/adjust",
            {"item": "PANEL-A3", "quantity": "1", "reason_code": "51"},
        )
        self.collect()
        self.assertEqual(
            self.reconciliation(advice["adjustment_number"]).state, "applied"
        )
        self.assertEqual(self.stock(self.panel), 101)

    def test_a_csv_report_is_collected_from_its_folder(self):
        self.assertIn(self.csv_endpoint, self.csv_flow.endpoint_ids)
        self.admin("/_sandbox/behaviours", {"inventory_drift": -1})
        self.admin("/_sandbox/config", {"drop_dir": str(self.csv_drop)})
        self.admin("/_sandbox/snapshot", {"snapshot": "full", "format": "csv"})
        (name,) = [p.name for p in self.csv_drop.iterdir() if p.suffix == ".csv"]
        # A file that is no report, beside it: refused with the reason.
        (self.csv_drop / "garbage.csv").write_bytes(b"item;qty\nBOLT-M8;3\n")
        self.collect(self.csv_flow, self.csv_endpoint)
        messages = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-csv-in")]
        )
        good = messages.filtered(lambda m: m.external_ref.startswith("INV"))
        bad = messages - good
        self.assertEqual(good.state, "done", good.last_error)
        reconciliation = self.reconciliation(good.external_ref)
        self.assertEqual(name, f"inventory_{good.external_ref}.csv")
        self.assertEqual(reconciliation.line_ids.difference, -1)
        self.assertEqual(reconciliation.state, "applied")  # within tolerance
        self.assertEqual(self.stock(self.bolt, "L-BOLT-7"), 499)
        self.assertEqual(bad.state, "rejected")
        self.assertIn("lacks column", bad.last_error or bad.exception_ids.details or "")

    def test_a_csv_report_is_collected_over_sftp(self):
        try:
            sftp = SftpServer().start()
        except SftpPeerUnavailable as exc:
            self.skipTest(str(exc))
        self.addCleanup(sftp.stop)
        inbox = sftp.path("from-3pl")
        credential = self.env["integration.credential"].create(
            {
                "name": "3PL SFTP key",
                "endpoint_id": self.csv_endpoint.id,
                "kind": "ssh_key",
                "username": sftp.username,
                "private_key": sftp.private_key_pem,
            }
        )
        self.assertTrue(credential)
        self.csv_endpoint.write(
            {
                "protocol": "sftp",
                "sftp_host": sftp.host,
                "sftp_port": sftp.port,
                "sftp_host_key_fingerprint": sftp.host_key_fingerprint,
                "inbox_path": str(inbox),
                "outbox_path": str(sftp.path("to-3pl")),
            }
        )
        self.admin("/_sandbox/behaviours", {"inventory_drift": 1})
        self.admin("/_sandbox/config", {"drop_dir": str(inbox)})
        self.admin("/_sandbox/snapshot", {"snapshot": "full", "format": "csv"})
        self.collect(self.csv_flow, self.csv_endpoint)
        message = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-csv-in")]
        )
        self.assertEqual(message.state, "done", message.last_error)
        reconciliation = self.reconciliation(message.external_ref)
        self.assertEqual(reconciliation.line_ids.difference, 1)
        self.assertEqual(reconciliation.state, "applied")

    def test_a_report_number_again_with_other_content_is_refused(self):
        handler = self.env["integration.handler.tpl_x12_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")

        def apply(kind, document):
            return self.account._tpl_apply(kind, document, message, handler)

        def exceptions(record):
            return self.env["integration.exception"].search(
                [("res_model", "=", record._name), ("res_id", "=", record.id)]
            )

        items = [
            {"item": "PANEL-A3", "quantity": "100"},
            {"item": "BRKT-050", "lot": "L2026A", "quantity": "40"},
        ]
        first = apply(
            "inventory_advice",
            {"report_id": "R-TWICE", "snapshot": "delta", "items": items},
        )
        self.assertEqual(first.state, "applied")
        # A resend: its rows in another order, its numbers written otherwise.
        again = apply(
            "inventory_advice",
            {"report_id": "R-TWICE", "snapshot": "delta",
             "items": [{**items[1], "quantity": "40.000"}, items[0]]},
        )  # fmt: skip
        self.assertEqual(again, first)
        self.assertFalse(exceptions(first))
        # The same number with other counts: refused, not taken for a resend.
        other = apply(
            "inventory_advice",
            {"report_id": "R-TWICE", "snapshot": "delta",
             "items": [items[0], {**items[1], "quantity": "31"}]},
        )  # fmt: skip
        self.assertFalse(other)
        self.assertEqual(self.reconciliation("R-TWICE"), first)
        self.assertIn("other content", exceptions(first).name)
        self.assertEqual(self.stock(self.bracket, "L2026A"), 40)

        # A 947 twice is applied once; its number with another change is refused.
        adjustment = {
            "adjustment_number": "ADJ-TWICE",
            "adjustments": [{"item": "PANEL-A3", "quantity": "-1"}],
        }
        applied = apply("inventory_adjustment", adjustment)
        self.assertEqual(applied.state, "applied")
        self.assertEqual(apply("inventory_adjustment", dict(adjustment)), applied)
        self.assertEqual(self.stock(self.panel), 99)
        changed = {
            **adjustment,
            "adjustments": [{"item": "PANEL-A3", "quantity": "-2"}],
        }
        self.assertFalse(apply("inventory_adjustment", changed))
        self.assertEqual(self.stock(self.panel), 99)
        self.assertIn("other content", exceptions(applied).name)

    def test_bad_reports_never_reconcile_half(self):
        for data, why in (
            (b"\xff\xfe", "UTF-8"),
            (b"report_id,date,snapshot,item,lot,status,quantity\n", "no rows"),
            (
                b"report_id,date,snapshot,item,lot,status,quantity\n"
                b"R1,2026-01-01,full,A,,available,1\nR2,2026-01-01,full,B,,available,1\n",
                "one report per file",
            ),
            (
                b"report_id,date,snapshot,item,lot,status,quantity\nR1,x,full,A\n",
                "line 2",
            ),
        ):
            with self.subTest(why=why), self.assertRaisesRegex(ValueError, why):
                read_snapshot_csv(data)
        handler = self.env["integration.handler.tpl_x12_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        for items, why in (
            ([{"item": "PANEL-A3", "quantity": "ten"}], "no quantity"),
            ([{"item": "PANEL-A3", "quantity": "-1"}], "no quantity"),
            ([{"item": "PANEL-A3", "status": "lost", "quantity": "1"}], "status"),
            ([{"quantity": "1"}], "names no item"),
            ("not a list", "no list of items"),
        ):
            report = f"BAD-{why}"
            result = self.account._tpl_apply(
                "inventory_advice",
                {"report_id": report, "snapshot": "full", "items": items},
                message,
                handler,
            )
            self.assertFalse(result)
            self.assertFalse(self.reconciliation(report))
            exception = self.env["integration.exception"].search(
                [("problem_key", "=", f"inventory_advice-{self.account.id}-{report}")]
            )
            self.assertIn(why, exception.details)

    def test_other_companies_do_not_see_the_reconciliations(self):
        self.admin("/_sandbox/behaviours", {"inventory_drift": -7})
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        other = self.env["res.company"].create({"name": "Other 3PL customer"})
        outsider = new_test_user(
            self.env,
            login="tpl_rec_outsider",
            groups="stock.group_stock_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        Reconciliation = self.env["tpl.reconciliation"].with_user(outsider)
        self.assertFalse(Reconciliation.search([("id", "=", reconciliation.id)]))
        self.assertFalse(
            self.env["tpl.reconciliation.line"]
            .with_user(outsider)
            .search([("reconciliation_id", "=", reconciliation.id)])
        )
        with self.assertRaises(AccessError):
            reconciliation.with_user(outsider).action_approve()
        self.assertEqual(reconciliation.state, "to_review")

    def test_reports_without_number_or_date_are_refused(self):
        handler = self.env["integration.handler.tpl_x12_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        apply = self.account._tpl_apply
        self.assertFalse(apply("inventory_advice", ["no", "dict"], message, handler))
        self.assertFalse(apply("inventory_adjustment", {}, message, handler))
        self.assertFalse(
            apply(
                "inventory_advice",
                {"report_id": "BAD-DATE", "date": "29/11/2026", "items": []},
                message,
                handler,
            )
        )
        self.assertFalse(self.reconciliation("BAD-DATE"))
        titles = (
            self.env["integration.exception"]
            .search([("problem_key", "like", f"-{self.account.id}-")])
            .mapped("name")
        )
        self.assertTrue(any("without a report number" in t for t in titles), titles)
        self.assertTrue(any("is no date" in t for t in titles), titles)

    # -- units of measure --------------------------------------------------------

    def sand(self, kilograms):
        """A product stocked in kilograms, with ``kilograms`` of it in Odoo."""
        kilogram = self.env.ref("uom.product_uom_kgm")
        sand = self.env["product.product"].create(
            {"name": "Sand", "default_code": "SAND-KG", "is_storable": True,
             "uom_id": kilogram.id, "uom_po_id": kilogram.id, "standard_price": 2.0}
        )  # fmt: skip
        self.env["stock.quant"]._update_available_quantity(
            sand, self.warehouse.lot_stock_id, kilograms
        )
        return sand

    def test_stock_reports_count_in_each_products_stock_unit(self):
        sand = self.sand(250)
        # The warehouse keeps the sand in the unit its receipts named (KG):
        # its 846 and 947 say so, and Odoo reads them in its stock unit.
        self.admin("/_sandbox/stock", {"stock": [
            {"item": "SAND-KG", "quantity": "250", "uom": "KG"}]})  # fmt: skip
        report = self.admin(
            "/_sandbox/snapshot", {"snapshot": "full", "profile": "x12"}
        )
        self.assertIn(
            ("SAND-KG", "KG"), [(i["item"], i["uom"]) for i in report["items"]]
        )
        self.collect()
        reconciliation = self.reconciliation(report["report_id"])
        self.assertEqual(reconciliation.state, "applied", reconciliation.unknown_items)
        self.assertEqual(reconciliation.line_count, 0)
        advice = self.admin(
            "/_sandbox/adjust",
            {"item": "SAND-KG", "quantity": "-1.5", "reason_code": "AU"},
        )
        self.assertEqual(advice["adjustments"][0]["uom"], "KG")
        self.collect()
        adjustment = self.reconciliation(advice["adjustment_number"])
        self.assertEqual(adjustment.state, "applied")
        self.assertEqual(adjustment.line_ids.difference, -1.5)
        self.assertEqual(self.stock(sand), 248.5)

    def test_a_stock_report_in_another_unit_is_converted(self):
        sand = self.sand(250)
        gram = self.env.ref("uom.product_uom_gram")
        # Grams have no standard X12 code here: this warehouse's is "GR".
        self.env["integration.cross.reference"]._set_external(
            self.endpoint, "uom", gram, "GR", code_list="X12"
        )
        handler = self.env["integration.handler.tpl_x12_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        items = [
            # 8 dozens and 4 units of the panels: Odoo's 100 units.
            {"item": "PANEL-A3", "quantity": "8", "uom": "DZ"},
            {"item": "PANEL-A3", "quantity": "4", "uom": "ea"},
            {"item": "SAND-KG", "quantity": "249000", "uom": "GR"},
        ]
        reconciliation = self.account._tpl_apply(
            "inventory_advice",
            {"report_id": "R-UNITS", "snapshot": "delta", "items": items},
            message,
            handler,
        )
        line = reconciliation.line_ids
        self.assertEqual(line.product_id, sand)  # the panels are in sync
        self.assertEqual((line.odoo_qty, line.tpl_qty, line.difference), (250, 249, -1))
        self.assertEqual(reconciliation.state, "applied")  # within 2 units
        self.assertEqual(self.stock(sand), 249)
        self.assertEqual(self.stock(self.panel), 100)

    def test_a_stock_report_in_units_odoo_cannot_convert_is_refused(self):
        self.sand(250)
        handler = self.env["integration.handler.tpl_x12_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        items = [
            {"item": "PANEL-A3", "quantity": "90"},
            # Sand is weighed: "EA" is no weight; "ZZ" maps nothing.
            {"item": "SAND-KG", "quantity": "250", "uom": "EA"},
            {"item": "BRKT-050", "lot": "L2026A", "quantity": "4", "uom": "ZZ"},
        ]
        result = self.account._tpl_apply(
            "inventory_advice",
            {"report_id": "R-BAD-UNITS", "snapshot": "full", "items": items},
            message,
            handler,
        )
        self.assertFalse(result)
        self.assertFalse(self.reconciliation("R-BAD-UNITS"))
        exception = self.env["integration.exception"].search(
            [("problem_key", "=", f"inventory_advice-{self.account.id}-R-BAD-UNITS")]
        )
        self.assertIn("nothing was reconciled", exception.name)
        self.assertIn("SAND-KG (EA)", exception.details)
        self.assertIn("BRKT-050 (ZZ)", exception.details)
        self.assertNotIn("PANEL-A3", exception.details)
        # Nothing half-read: the panels' 90 changed nothing either.
        self.assertEqual(self.stock(self.panel), 100)

    def test_a_csv_report_may_name_its_units(self):
        header = b"report_id,date,snapshot,item,lot,status,quantity"
        plain = read_snapshot_csv(header + b"\nR-CSV,,delta,PANEL-A3,,available,9\n")
        self.assertEqual(plain["items"][0]["uom"], "")  # the stock unit
        with self.assertRaisesRegex(ValueError, "line 2: 8 columns expected"):
            read_snapshot_csv(header + b",uom\nR-CSV,,delta,PANEL-A3,,available,9\n")
        snapshot = read_snapshot_csv(
            header + b",uom\n"
            b"R-CSV-UNITS,,delta,PANEL-A3,,available,8,DZ\n"
            b"R-CSV-UNITS,,delta,PANEL-A3,,available,3,\n"
        )
        self.assertEqual([i["uom"] for i in snapshot["items"]], ["DZ", ""])
        handler = self.env["integration.handler.tpl_csv_in"]
        message = self.env["integration.message"].search([], limit=1, order="id desc")
        reconciliation = self.account._tpl_apply(
            "inventory_advice", snapshot, message, handler
        )
        line = reconciliation.line_ids
        # 8 dozens and 3 units: 99 panels, not 11.
        self.assertEqual((line.odoo_qty, line.tpl_qty, line.difference), (100, 99, -1))

    def test_a_report_in_eaches_keeps_its_fingerprint_and_a_unit_changes_it(self):
        def digest(unit):
            line = {"item": "PANEL-A3", "quantity": "5", "uom": unit}
            return report_digest("full", snapshot_rows({"items": [line]}))

        # Reports read before units counted: "EA" and no unit hash alike, so
        # a resend is not taken for other content.
        self.assertEqual(digest("EA"), digest(""))
        self.assertEqual(digest("ea"), digest(None))
        self.assertNotEqual(digest("DZ"), digest("EA"))
