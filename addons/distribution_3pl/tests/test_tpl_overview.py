"""The 3PL overview: each count equals what its button opens, and a click on
a count in the browser opens the deliveries it counts."""

import datetime
import shutil
import tempfile
from pathlib import Path

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import HttpCase, new_test_user, tagged

from .test_tpl_release import TplSandboxCase

COUNTS = {
    "release_waiting_count": "action_open_releases_waiting",
    "release_late_count": "action_open_releases_late",
    "release_held_count": "action_open_releases_held",
}


def opened(account, method):
    """The records the action of ``method`` opens, searched as its caller."""
    action = getattr(account, method)()
    return account.env[action["res_model"]].search(action["domain"])


@tagged("post_install", "-at_install")
class TestTplOverview(TplSandboxCase):
    def test_each_count_is_what_its_button_opens(self):
        account = self.http_account
        account.release_hold = "credit"
        self.env.company.account_use_credit_limit = True
        late = self.delivery(self.panel, 1, self.http_warehouse)
        shipped = self.delivery(self.bracket, 1, self.http_warehouse)
        with trap_jobs() as trap:
            (late | shipped).action_tpl_release()
            self.run_jobs(trap)
            self.ship(shipped.name)
            account.pull_outbox = True
            self.env["integration.dispatch"]._run_batch_flows(
                self.env.ref("distribution_3pl.flow_tpl_outbox_poll").sudo(),
                endpoints=self.http_endpoint,
            )
            self.run_jobs(trap)
        self.assertEqual(shipped.state, "done")
        expectation = self.env["integration.expectation"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", late.id)]
        )
        self.env["integration.expectation"]._cron_raise_late(
            now=expectation.due_at + datetime.timedelta(minutes=1)
        )
        self.assertEqual(expectation.state, "late")
        in_time = self.delivery(self.panel, 1, self.http_warehouse)
        with trap_jobs() as trap:
            in_time.action_tpl_release()
            self.run_jobs(trap)
        self.assertEqual(in_time.tpl_release_state, "released")
        held = self.hold(account)
        account.invalidate_recordset()
        self.assertEqual(account.release_waiting_count, 2)
        self.assertEqual(
            opened(account, COUNTS["release_waiting_count"]), in_time | late
        )
        self.assertEqual(account.release_late_count, 1)
        self.assertEqual(opened(account, COUNTS["release_late_count"]), late)
        self.assertEqual(account.release_held_count, 1)
        self.assertEqual(opened(account, COUNTS["release_held_count"]), held)
        # The other account's card counts only its own warehouse.
        for field, method in COUNTS.items():
            self.assertEqual(self.account[field], 0)
            self.assertFalse(opened(self.account, method))
        # A stock user sees the same counts and opens the same records.
        user = new_test_user(
            self.env, login="tpl-overview-stock", groups="stock.group_stock_user"
        )
        as_user = account.with_user(user)
        for field, method in COUNTS.items():
            self.assertEqual(as_user[field], len(opened(as_user, method)), field)
            self.assertEqual(as_user[field], account[field], field)

    def hold(self, account):
        """A delivery the credit check holds: its customer owes an order."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": self.http_warehouse.id,
                "order_line": [(0, 0, {"product_id": self.panel.id, "price_unit": 9})],
            }
        )
        order.action_confirm()
        self.customer.with_company(self.env.company).credit_limit = 1.0
        account._release_wave()
        picking = order.picking_ids
        self.assertEqual(picking.tpl_release_state, "held")
        return picking


@tagged("post_install", "-at_install")
class TestTplOverviewTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        folder = Path(tempfile.mkdtemp(prefix="tpl-tour-"))
        cls.addClassCleanup(shutil.rmtree, folder, ignore_errors=True)
        (folder / "out").mkdir()
        (folder / "in").mkdir()
        profile = env["edi.interchange.profile"].create(
            {
                "dialect": "X12",
                "x12_version": "004010",
                "our_qualifier": "ZZ",
                "our_interchange_id": "DEPOSITORTOUR",
                "partner_qualifier": "ZZ",
                "partner_interchange_id": "TOUR3PL",
            }
        )
        endpoint = env["integration.endpoint"].create(
            {
                "name": "Tour 3PL folder",
                "code": "tpl-tour-folder",
                "kind": "warehouse_3pl",
                "protocol": "folder",
                "outbox_path": str(folder / "out"),
                "inbox_path": str(folder / "in"),
            }
        )
        cls.warehouse = env["stock.warehouse"].create(
            {"name": "Tour 3PL warehouse", "code": "3PLT"}
        )
        cls.account = env["tpl.warehouse.account"].create(
            {
                "name": "Tour 3PL",
                "endpoint_id": endpoint.id,
                "warehouse_id": cls.warehouse.id,
                "interchange_profile_id": profile.id,
            }
        )
        product = env["product.product"].create(
            {"name": "Tour panel", "default_code": "TOUR-P", "is_storable": True}
        )
        env["stock.quant"]._update_available_quantity(
            product, cls.warehouse.lot_stock_id, 10
        )
        cls.picking = env["stock.picking"].create(
            {
                "name": "TOUR-3PL-ORDER",
                "picking_type_id": cls.warehouse.out_type_id.id,
                "partner_id": env.ref("base.res_partner_2").id,
                "move_ids": [
                    (0, 0, {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom_qty": 2,
                        "product_uom": product.uom_id.id,
                        "location_id": cls.warehouse.lot_stock_id.id,
                        "location_dest_id": env.ref(
                            "stock.stock_location_customers").id,
                    })
                ],
            }
        )  # fmt: skip
        cls.picking.action_confirm()
        cls.picking.action_assign()
        with trap_jobs() as trap:
            cls.picking.action_tpl_release()
            trap.perform_enqueued_jobs()
        cls.pickup = folder / "out"

    def test_a_count_opens_what_it_counts(self):
        # The 940 is in the 3PL's pickup folder: awaiting its confirmation.
        self.assertEqual(self.picking.tpl_release_state, "released")
        self.assertTrue(list(self.pickup.iterdir()))
        self.assertEqual(self.account.release_waiting_count, 1)
        self.start_tour(
            "/odoo/action-distribution_3pl.action_tpl_overview",
            "distribution_3pl_overview_tour",
            login="admin",
        )
