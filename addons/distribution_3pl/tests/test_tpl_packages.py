"""What a 945 says about the shipment itself, against the sandbox warehouse
(see test_tpl_channel.py): its packages become Odoo packages with their
contents and tracking numbers, and its carrier (a SCAC) the delivery's."""

import shutil

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from . import test_tpl_release


@tagged("post_install", "-at_install")
class TestTplPackages(test_tpl_release.TplSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env.ref("stock.stock_location_customers")

    def carrier(self, name, scac=None):
        charge = self.env["product.product"].create(
            {"name": f"{name} charge", "type": "service"}
        )
        carrier = self.env["delivery.carrier"].create(
            {
                "name": name,
                "product_id": charge.id,
                "delivery_type": "fixed",
                "tracking_url": "https://track.example/t/<shipmenttrackingnumber>",
            }
        )
        if scac:
            self.env["integration.cross.reference"].create(
                {
                    "endpoint_id": self.folder_endpoint.id,
                    "domain": "carrier",
                    "res_id": carrier.id,
                    "code": scac,
                }
            )
        return carrier

    def two_line_delivery(self):
        picking = self.delivery(self.bracket, 5)
        move = self.env["stock.move"].create(
            {
                "name": self.panel.name,
                "product_id": self.panel.id,
                "product_uom_qty": 4,
                "product_uom": self.panel.uom_id.id,
                "location_id": self.warehouse.lot_stock_id.id,
                "location_dest_id": self.customers.id,
                "picking_id": picking.id,
            }
        )
        move._action_confirm()
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        return picking

    def notes(self, picking):
        return "\n".join(picking.message_ids.mapped("body"))

    def test_packages_tracking_and_carrier_from_the_945(self):
        ground = self.carrier("Sandbox Ground", "SBXC")
        chosen = self.carrier("Odoo's choice")
        picking = self.two_line_delivery()
        picking.carrier_id = chosen
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            (shipment,) = self.ship(picking.name)
            self.collect(trap)
        self.assertEqual(picking.state, "done")
        packages = self.env["stock.quant.package"]
        self.assertEqual(len(shipment["packages"]), 2)  # one per line
        for shipped in shipment["packages"]:
            package = packages.search([("name", "=", shipped["package_id"])])
            self.assertEqual(len(package), 1)
            self.assertEqual(package.tpl_tracking_number, shipped["tracking_number"])
            # Its contents went to the customer in it, with their lots.
            (content,) = shipped["contents"]
            self.assertEqual(package.location_id, self.customers)
            self.assertEqual(
                package.quant_ids.mapped(lambda q: (q.product_id.default_code,
                                                    q.quantity, q.lot_id.name or "")),
                [(content["item"], float(content["quantity"]), content["lot"])],
            )  # fmt: skip
            lines = picking.move_line_ids.filtered(
                lambda ml, package=package: ml.result_package_id == package
            )
            self.assertEqual(lines.move_id.tpl_line_id, content["line_id"])
            packages |= package
        self.assertEqual(picking.move_line_ids.result_package_id, packages)
        # The carrier the warehouse used, and its tracking link.
        self.assertEqual(picking.carrier_id, ground)
        tracking = shipment["packages"][0]["tracking_number"]
        self.assertIn(tracking, picking.carrier_tracking_ref)
        self.assertTrue(
            picking.carrier_tracking_url.startswith("https://track.example/t/1ZSBX"),
            picking.carrier_tracking_url,
        )
        self.assertIn("instead of Odoo's choice", self.notes(picking))
        self.assertIn("SBXC", self.notes(picking))
        # The same 945 again (resent in a new envelope): no second package.
        advice = self.env["integration.message"].search(
            [
                ("flow_id.code", "=", "tpl-x12-in"),
                ("external_ref", "=", shipment["shipment_id"]),
            ]
        )
        with trap_jobs() as trap:
            again = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                advice._get_payload(),
                idempotency_key="resent-945-packages",
            )
            self.run_jobs(trap)
        self.assertEqual(again.state, "done", again.last_error)
        self.assertFalse(again.exception_ids)
        names = [p["package_id"] for p in shipment["packages"]]
        self.assertEqual(packages.search_count([("name", "in", names)]), 2)
        self.assertEqual(len(picking.move_line_ids), 2)

    def test_an_unknown_scac_is_noted_and_the_carrier_kept(self):
        chosen = self.carrier("Odoo's choice")
        picking = self.delivery(self.panel, 3)
        picking.carrier_id = chosen
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_release_state, "shipped")
        self.assertEqual(picking.carrier_id, chosen)
        self.assertIn("carrier SBXC", self.notes(picking))
        self.assertFalse(
            self.env["integration.exception"].search(
                [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
            )
        )
        # Odoo's own carrier still gives the link of the package shipped.
        self.assertIn("1ZSBX", picking.carrier_tracking_url)
        self.assertTrue(picking.move_line_ids.result_package_id.tpl_tracking_number)

    def test_a_delivery_without_carrier_gets_the_one_shipped_with(self):
        ground = self.carrier("Sandbox Ground", "SBXC")
        picking = self.delivery(self.panel, 3)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
        self.assertEqual(picking.carrier_id, ground)
        self.assertIn("shipped with Sandbox Ground (SCAC SBXC)", self.notes(picking))
        # Another method of the same carrier chosen in Odoo is kept.
        express = self.carrier("Sandbox Express", "SBXC")
        other = self.delivery(self.panel, 2)
        other.carrier_id = express
        with trap_jobs() as trap:
            self.release_and_ship(trap, other)
        self.assertEqual(other.state, "done")
        self.assertEqual(other.carrier_id, express)
        self.assertNotIn("SBXC", self.notes(other))

    def test_each_part_of_a_split_shipment_has_its_package(self):
        self.admin("/_sandbox/behaviours", {"split_shipment": True})
        picking = self.delivery(self.bracket, 6)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            first, second = self.ship(picking.name)
            later = self.drop.parent / "later"
            later.mkdir()
            for path in sorted(self.drop.glob("945_*.x12"))[1:]:
                shutil.move(path, later / path.name)
            self.collect(trap)
            rest = picking.backorder_ids
            for path in later.iterdir():
                shutil.move(path, self.drop / path.name)
            self.collect(trap)
        self.assertEqual((picking + rest).mapped("state"), ["done", "done"])
        for delivery, shipment in ((picking, first), (rest, second)):
            (shipped,) = shipment["packages"]
            package = delivery.move_line_ids.result_package_id
            self.assertEqual(package.name, shipped["package_id"])
            self.assertEqual(package.tpl_tracking_number, shipped["tracking_number"])
            self.assertEqual(package.quant_ids.lot_id.name, "L2026A")
            self.assertEqual(package.quant_ids.quantity, 3)
            self.assertEqual(delivery.carrier_tracking_ref, shipped["tracking_number"])
