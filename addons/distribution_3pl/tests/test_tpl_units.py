"""Units of measure on the 3PL channel, against the sandbox warehouse started
on 127.0.0.1 (see test_tpl_channel.py): the warehouse counts in the product's
stock unit, so lines in another unit are converted on the way out and back."""

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import UserError
from odoo.tests import tagged

from . import test_tpl_receipts
from .test_tpl_release import TplSandboxCase


class TplReceiptsCase(test_tpl_receipts.TestTplReceipts):
    """The sandbox, accounts and helpers of the receipt tests, without
    running their tests again."""


for _name in dir(test_tpl_receipts.TestTplReceipts):
    if _name.startswith("test_"):
        setattr(TplReceiptsCase, _name, None)


def _moves(picking, product, quantity, uom):
    picking.move_ids = [
        (0, 0, {
            "name": product.name,
            "product_id": product.id,
            "product_uom_qty": quantity,
            "product_uom": uom.id,
            "location_id": picking.location_id.id,
            "location_dest_id": picking.location_dest_id.id,
        })
    ]  # fmt: skip
    picking.action_confirm()
    picking.action_assign()
    return picking


@tagged("post_install", "-at_install")
class TestTplUnitsRelease(TplSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.pack = cls.env["uom.uom"].create(
            {
                "name": "Pack of 6 (3PL test)",
                "category_id": cls.env.ref("uom.product_uom_categ_unit").id,
                "uom_type": "bigger",
                "factor_inv": 6,
            }
        )

    def delivery_in(self, quantity, uom, product=None):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "origin": "SO-3PL-UOM",
                "location_id": self.warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
            }
        )
        _moves(picking, product or self.panel, quantity, uom)
        self.assertEqual(picking.state, "assigned")
        return picking

    def test_a_delivery_in_dozens_is_released_in_the_stock_unit(self):
        picking = self.delivery_in(2, self.dozen)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
        self.assertEqual(picking.tpl_release_state, "released")
        (line,) = self.wait_for_order(picking.name)["lines"]
        # Panels are stocked in Units: 24 of them, in Units' X12 code.
        self.assertEqual(line["quantity"], 24)
        self.assertEqual(line["uom"], "EA")

    def test_a_short_shipment_in_units_leaves_a_backorder_in_dozens(self):
        self.admin("/_sandbox/behaviours", {"short_pick": 12})
        picking = self.delivery_in(2, self.dozen)
        with trap_jobs() as trap:
            self.release_and_ship(trap, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.product_uom, self.dozen)
        self.assertEqual(picking.move_ids.quantity, 1)  # 12 units
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom, self.dozen)
        self.assertEqual(backorder.move_ids.product_uom_qty, 1)
        self.assertEqual(backorder.move_ids.product_qty, 12)

    def test_a_shipping_advice_in_a_unit_of_another_kind_is_refused(self):
        picking = self.delivery_in(2, self.dozen)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            self.ship(picking.name)
            # The warehouse's 945 reports the panels in kilograms.
            for path in self.drop.iterdir():
                path.write_bytes(path.read_bytes().replace(b"*EA*", b"*KG*"))
            self.collect(trap)
        self.assertEqual(picking.state, "assigned")  # nothing validated
        self.assertEqual(picking.tpl_release_state, "exception")
        exception = self.env["integration.exception"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("'KG'", exception.details)
        self.assertIn("Dozens", exception.details)

    def crate(self):
        """A product stocked by the pack, a unit with no X12 code."""
        crate = self.env["product.product"].create(
            {
                "name": "Panel crate",
                "default_code": "PANEL-CR",
                "is_storable": True,
                "uom_id": self.pack.id,
                "uom_po_id": self.pack.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            crate, self.warehouse.lot_stock_id, 5
        )
        return crate

    def test_a_unit_without_a_code_is_not_released(self):
        picking = self.delivery_in(1, self.pack, self.crate())
        with self.assertRaisesRegex(UserError, r"Pack of 6 \(3PL test\)"):
            picking.action_tpl_release()
        self.assertEqual(picking.tpl_release_state, "none")
        self.assertFalse(self.messages(picking))

    def test_a_unit_without_a_code_holds_its_delivery_not_the_wave(self):
        stuck = self.delivery_in(1, self.pack, self.crate())
        picking = self.delivery_in(1, self.dozen)
        with trap_jobs() as trap:
            self.account._release_wave()
            self.run_jobs(trap)
        self.assertEqual(picking.tpl_release_state, "released")
        self.assertEqual(stuck.tpl_release_state, "held")
        self.assertIn("Pack of 6 (3PL test)", stuck.tpl_hold_reason)
        # Once the warehouse's code for the pack is known, the next wave sends it.
        self.env["integration.cross.reference"].create(
            {
                "endpoint_id": self.folder_endpoint.id,
                "domain": "uom",
                "code_list": "X12",
                "res_id": self.pack.id,
                "code": "PK",
            }
        )
        with trap_jobs() as trap:
            self.account._release_wave()
            self.run_jobs(trap)
        self.assertEqual(stuck.tpl_release_state, "released")
        (line,) = self.wait_for_order(stuck.name)["lines"]
        self.assertEqual((line["quantity"], line["uom"]), (1, "PK"))


@tagged("post_install", "-at_install")
class TestTplUnitsReceipts(TplReceiptsCase):
    def test_a_receipt_in_dozens_is_announced_and_received_in_units(self):
        self.admin("/_sandbox/behaviours", {"damaged_on_receipt": 6})
        dozen = self.env.ref("uom.product_uom_dozen")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "partner_id": self.supplier.id,
                "origin": "PO-3PL-UOM",
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
            }
        )
        _moves(picking, self.panel, 2, dozen)
        with trap_jobs() as trap:
            self.announce_and_receive(trap, picking)
        (line,) = self.sandbox.warehouse.receipts[picking.name]["lines"]
        self.assertEqual((line["quantity"], line["uom"]), (24, "EA"))
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.tpl_receipt_state, "received")
        self.assertEqual(picking.tpl_receipt_condition, "partly_damaged")
        # 18 good units and 6 damaged ones: 1.5 and 0.5 of the move's Dozens.
        self.assertEqual(sorted(picking.move_ids.move_line_ids.mapped("quantity")),
                         [0.5, 1.5])  # fmt: skip
        self.assertEqual(self.quantity_at(self.panel, self.warehouse.lot_stock_id), 18)
        self.assertEqual(self.quantity_at(self.panel, self.damaged), 6)

    def test_a_receipt_in_a_unit_without_a_code_is_kept_back_by_name(self):
        pack = self.env["uom.uom"].create(
            {
                "name": "Pack of 6 (3PL test)",
                "category_id": self.env.ref("uom.product_uom_categ_unit").id,
                "uom_type": "bigger",
                "factor_inv": 6,
            }
        )
        crate = self.env["product.product"].create(
            {
                "name": "Panel crate",
                "default_code": "PANEL-CR",
                "is_storable": True,
                "uom_id": pack.id,
                "uom_po_id": pack.id,
            }
        )
        stuck = self.receipt([(crate, 2)])
        ready = self.receipt([(self.panel, 3)])
        with self.assertRaisesRegex(UserError, r"Pack of 6 \(3PL test\)"):
            stuck.action_tpl_announce()
        with trap_jobs() as trap:
            self.account._announce_wave()
            self.run_jobs(trap)
        self.assertEqual(ready.tpl_receipt_state, "announced")
        self.assertEqual(stuck.tpl_receipt_state, "none")
