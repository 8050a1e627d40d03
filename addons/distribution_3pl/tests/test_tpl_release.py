"""Release to the 3PL beyond the first 940, against the sandbox warehouse
started on 127.0.0.1 (see test_tpl_channel.py): changes sent as a replacing
940, releases held by the account's policy and released in waves, and orders
the warehouse ships in several 945s."""

import datetime
import json
import shutil

from odoo import Command
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from . import test_tpl_channel


class TplSandboxCase(test_tpl_channel.TestTplChannel):
    """The sandbox, accounts, products and helpers of the channel tests,
    without running their tests again."""


for _name in dir(test_tpl_channel.TestTplChannel):
    if _name.startswith("test_"):
        setattr(TplSandboxCase, _name, None)


@tagged("post_install", "-at_install")
class TestTplRelease(TplSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.sold = env["product.product"].create(
            {
                "name": "Panel A3 (sold)",
                "default_code": "PANEL-S",
                "is_storable": True,
                "list_price": 50.0,
                "invoice_policy": "order",
                "taxes_id": [(5, 0, 0)],
            }
        )
        env["stock.quant"]._update_available_quantity(
            cls.sold, cls.http_warehouse.lot_stock_id, 100
        )

    def sale(self, quantity):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": self.http_warehouse.id,
                "order_line": [
                    (0, 0, {"product_id": self.sold.id, "product_uom_qty": quantity})
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(picking.state, "assigned")
        return order, picking

    def order_at_3pl(self, picking):
        return self.sandbox.warehouse.orders[picking.tpl_order_number]

    def pull(self, trap):
        outbox = self.env.ref("distribution_3pl.flow_tpl_outbox_poll").sudo()
        self.env["integration.dispatch"]._run_batch_flows(
            outbox, endpoints=self.http_endpoint
        )
        self.run_jobs(trap)

    # -- changes before shipping ---------------------------------------------------

    def test_a_change_is_sent_as_the_next_revision_and_refused_once_shipped(self):
        picking = self.delivery(self.panel, 5, self.http_warehouse)
        self.http_account.pull_outbox = True
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.assertEqual(self.order_at_3pl(picking)["revision"], 1)
            self.assertFalse(picking.tpl_change_pending)
            # Quantity and address change in Odoo after the release.
            picking.move_ids.product_uom_qty = 3
            other = self.customer.copy({"street": "9 Quay St"})
            picking.partner_id = other
            self.assertTrue(picking.tpl_change_pending)
            picking.action_tpl_send_change()
            self.run_jobs(trap)
            change = self.messages(picking).filtered(
                lambda m: m.idempotency_key.endswith("-r2-replace")
            )
            self.assertEqual(change.state, "sent", change.last_error)
            self.assertEqual(picking.tpl_revision, 2)
            self.assertFalse(picking.tpl_change_pending)
            self.assertEqual(picking.tpl_release_state, "released")
            at_3pl = self.order_at_3pl(picking)
            self.assertEqual(at_3pl["revision"], 2)
            self.assertEqual(str(at_3pl["lines"][0]["quantity"]), "3.0")
            self.assertEqual(at_3pl["ship_to"]["street"], "9 Quay St")
            # The warehouse ships the current revision: 3, not 5.
            self.ship(picking.name)
            self.pull(trap)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 3)
        self.assertFalse(picking.backorder_ids)
        with self.assertRaisesRegex(UserError, "already shipped at the 3PL"):
            picking.action_tpl_send_change()

    def test_a_change_confirmed_on_the_sale_order_goes_at_once(self):
        order, picking = self.sale(4)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.assertEqual(picking.tpl_release_state, "released")
            # The customer wants 6: the confirmed order line changes the
            # delivery's move, and the 3PL gets the change without a click.
            order.order_line.product_uom_qty = 6
            self.assertEqual(order.picking_ids, picking)
            self.assertEqual(picking.move_ids.product_uom_qty, 6)
            self.run_jobs(trap)
        self.assertEqual(picking.tpl_revision, 2)
        self.assertFalse(picking.tpl_change_pending)
        change = self.messages(picking).filtered(
            lambda m: m.idempotency_key.endswith("-r2-replace")
        )
        self.assertEqual(change.state, "sent", change.last_error)
        self.assertEqual(str(self.order_at_3pl(picking)["lines"][0]["quantity"]), "6.0")

    def test_another_lot_requested_after_the_release_is_a_change(self):
        picking = self.delivery(self.bracket, 3, self.http_warehouse)
        self.assertEqual(picking.move_line_ids.lot_id.name, "L2026A")
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.assertEqual(self.order_at_3pl(picking)["lines"][0]["lots"], ["L2026A"])
            other = self.env["stock.lot"].search(
                [("name", "=", "L2026B"), ("product_id", "=", self.bracket.id)]
            )
            picking.move_line_ids.lot_id = other
            self.assertTrue(picking.tpl_change_pending)
            picking.action_tpl_send_change()
            self.run_jobs(trap)
        self.assertEqual(self.order_at_3pl(picking)["lines"][0]["lots"], ["L2026B"])
        self.assertEqual(self.order_at_3pl(picking)["revision"], 2)

    def test_a_held_delivery_cancelled_is_no_longer_held(self):
        self.http_account.release_hold = "paid"
        _order, picking = self.sale(1)
        self.http_account._release_wave()
        self.assertEqual(picking.tpl_release_state, "held")
        self.assertEqual(self.http_account.release_held_count, 1)
        picking.action_cancel()
        self.assertEqual(picking.tpl_release_state, "none")
        self.http_account.invalidate_recordset()
        self.assertEqual(self.http_account.release_held_count, 0)

    def test_only_stock_users_send_changes(self):
        picking = self.delivery(self.panel, 2, self.http_warehouse)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
        picking.partner_id = self.customer.copy()
        outsider = new_test_user(
            self.env, login="tpl-no-stock", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            picking.with_user(outsider).action_tpl_send_change()
        with self.assertRaises(AccessError):
            self.http_account.with_user(outsider).action_open_releases_waiting()
        self.assertEqual(picking.tpl_revision, 1)
        self.assertTrue(picking.tpl_change_pending)

    def test_a_change_is_refused_for_what_is_not_at_the_3pl(self):
        picking = self.delivery(self.panel, 2, self.http_warehouse)
        with self.assertRaisesRegex(UserError, "not released to a 3PL"):
            picking.action_tpl_send_change()

    # -- held releases --------------------------------------------------------------

    def test_held_until_paid_then_released_by_the_wave(self):
        self.http_account.release_hold = "paid"
        order, picking = self.sale(2)
        accounts = self.env["tpl.warehouse.account"]
        with trap_jobs() as trap:
            accounts._cron_release_waves()
            self.assertEqual(picking.tpl_release_state, "held")
            self.assertIn("to be invoiced and paid", picking.tpl_hold_reason)
            # Releasing it by hand keeps the hold too.
            picking.action_tpl_release()
            self.assertEqual(picking.tpl_release_state, "held")
            invoice = order._create_invoices()
            invoice.action_post()
            accounts._cron_release_waves()
            self.assertEqual(picking.tpl_release_state, "held")
            self.assertIn(invoice.name, picking.tpl_hold_reason)
            self.assertFalse(self.messages(picking))
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({})._create_payments()
            accounts._cron_release_waves()
            self.assertEqual(picking.tpl_release_state, "queued")
            self.assertFalse(picking.tpl_hold_reason)
            self.run_jobs(trap)
        self.assertEqual(picking.tpl_release_state, "released")
        self.assertIn(picking.name, self.sandbox.warehouse.orders)

    def test_held_by_the_credit_check_does_not_take_the_wave(self):
        self.http_account.write({"release_hold": "credit", "wave_size": 1})
        self.company.account_use_credit_limit = True
        self.customer.with_company(self.company).credit_limit = 100.0
        _order, held = self.sale(4)  # 200.00 to invoice: above the limit
        small = self.env["res.partner"].create({"name": "Small customer"})
        free = self.delivery(self.panel, 1, self.http_warehouse)
        free.partner_id = small
        accounts = self.env["tpl.warehouse.account"]
        with trap_jobs():
            accounts._cron_release_waves()
            self.assertEqual(held.tpl_release_state, "held")
            self.assertIn("Credit check", held.tpl_hold_reason)
            self.assertIn("above the credit limit", held.tpl_hold_reason)
            # The held delivery did not take the wave's one place.
            self.assertEqual(free.tpl_release_state, "queued")
            self.customer.with_company(self.company).credit_limit = 10000.0
            accounts._cron_release_waves()
        self.assertEqual(held.tpl_release_state, "queued")
        self.assertFalse(held.tpl_hold_reason)

    def test_new_accounts_start_with_the_default_hold_policy(self):
        settings = self.env["res.config.settings"].create(
            {"tpl_default_release_hold": "credit"}
        )
        settings.execute()
        account = self.env["tpl.warehouse.account"].create(
            {
                "name": "Another 3PL",
                "endpoint_id": self.http_endpoint.id,
                "warehouse_id": self.env["stock.warehouse"]
                .create({"name": "3PL default hold", "code": "3PLD"})
                .id,
                "interchange_profile_id": self.profile.id,
            }
        )
        self.assertEqual(account.release_hold, "credit")

    # -- what a release writes ---------------------------------------------------------

    def release_tracked(self, picking):
        """The chatter's tracked values of ``picking``'s 3PL release state."""
        self.env.cr.precommit.run()  # tracking values are written at commit
        field = self.env["ir.model.fields"]._get("stock.picking", "tpl_release_state")
        return self.env["mail.tracking.value"].search(
            [
                ("field_id", "=", field.id),
                ("mail_message_id.model", "=", "stock.picking"),
                ("mail_message_id.res_id", "=", picking.id),
            ]
        )

    def test_a_release_maps_every_line_and_tracks_what_a_person_acts_on(self):
        self.env["integration.cross.reference"].create(
            {
                "endpoint_id": self.http_endpoint.id,
                "domain": "product",
                "res_id": self.panel.id,
                "code": "3PL-PANEL",
            }
        )
        first = self.delivery(self.panel, 2, self.http_warehouse)
        stock = self.http_warehouse.lot_stock_id
        second = self.env["stock.picking"].create(
            {
                "picking_type_id": self.http_warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "location_id": stock.id,
                            "location_dest_id": first.location_dest_id.id,
                        }
                    )
                    for product, quantity in ((self.bracket, 3), (self.panel, 1))
                ],
            }
        )
        second.action_confirm()
        second.action_assign()
        self.http_account.release_hold = "paid"
        _order, held = self.sale(1)
        pickings = first | second | held
        self.env.cr.precommit.run()  # as if created in an earlier transaction
        with trap_jobs() as trap:
            pickings.action_tpl_release()
            self.run_jobs(trap)
        self.assertEqual(
            pickings.mapped("tpl_release_state"), ["released", "released", "held"]
        )
        # The mapped code where there is one, else the internal reference.
        items = {
            picking: [line["item"] for line in json.loads(
                self.messages(picking)._get_payload())["lines"]]
            for picking in first | second
        }  # fmt: skip
        self.assertEqual(items[first], ["3PL-PANEL"])
        self.assertEqual(items[second], ["BRKT-050", "3PL-PANEL"])
        self.assertEqual(
            second.move_ids.mapped("tpl_line_id"), [str(m.id) for m in second.move_ids]
        )
        # Queued and sent are the kernel's message log; the chatter keeps the
        # hold, and what the warehouse does with the order.
        self.assertFalse(self.release_tracked(first))
        self.assertEqual(self.release_tracked(held).mapped("new_value_char"), ["Held"])
        self.http_account.pull_outbox = True
        with trap_jobs() as trap:
            self.ship(first.name)
            self.pull(trap)
        self.assertEqual(first.tpl_release_state, "shipped")
        self.assertEqual(
            self.release_tracked(first).mapped("new_value_char"), ["Shipped"]
        )

    # -- split shipments --------------------------------------------------------------

    def test_an_order_shipped_in_two_945s(self):
        self.admin(
            "/_sandbox/behaviours",
            {"split_shipment": True, "duplicate_confirmations": True},
        )
        picking = self.delivery(self.panel, 10)
        with trap_jobs() as trap:
            picking.action_tpl_release()
            self.run_jobs(trap)
            self.wait_for_order(picking.name)
            first, second = self.ship(picking.name)
            self.assertTrue(first["partial"])
            # The second shipment's files wait outside the drop folder.
            later = self.drop.parent / "later"
            later.mkdir()
            files = sorted(self.drop.glob("945_*.x12"))
            self.assertEqual(len(files), 4)  # each shipment twice
            for path in files[2:]:
                shutil.move(path, later / path.name)
            self.collect(trap)
            self.assertEqual(picking.state, "done")
            self.assertEqual(picking.move_ids.quantity, 5)
            self.assertEqual(picking.tpl_shipment_id, first["shipment_id"])
            rest = picking.backorder_ids
            self.assertEqual(rest.move_ids.product_uom_qty, 5)
            # The rest stays released under the same 3PL order.
            self.assertEqual(rest.tpl_order_number, picking.name)
            self.assertEqual(rest.tpl_release_state, "released")
            self.assertEqual(rest.move_ids.tpl_line_id, picking.move_ids.tpl_line_id)
            self.assertFalse(self.messages(rest))  # nothing sent again
            expectations = self.env["integration.expectation"]
            waiting = expectations.search(
                [("res_model", "=", "stock.picking"), ("res_id", "=", rest.id)]
            )
            self.assertEqual(waiting.state, "open")
            # The warehouse is late with the rest: the kernel raises it.
            expectations._cron_raise_late(
                now=waiting.due_at + datetime.timedelta(minutes=1)
            )
            self.assertEqual(waiting.state, "late")
            self.assertTrue(waiting.exception_id)
            for path in later.iterdir():
                shutil.move(path, self.drop / path.name)
            self.collect(trap)
        self.assertEqual(rest.state, "done")
        self.assertEqual(rest.tpl_release_state, "shipped")
        self.assertEqual(rest.tpl_shipment_id, second["shipment_id"])
        self.assertEqual(rest.move_ids.quantity, 5)
        self.assertFalse(rest.backorder_ids)
        self.assertEqual(waiting.state, "met")
        # Each shipment came twice: each applied once, nothing refused.
        advices = self.env["integration.message"].search(
            [("flow_id.code", "=", "tpl-x12-in"), ("external_ref", "like", "SHP")]
        )
        self.assertEqual(len(advices), 2, advices.mapped("external_ref"))
        self.assertEqual(set(advices.mapped("state")), {"done"})
        self.assertFalse(advices.exception_ids)
        with trap_jobs() as trap:
            again = self.env["integration.dispatch"]._receive(
                self.env.ref("distribution_3pl.flow_tpl_x12_in"),
                self.folder_endpoint,
                advices.filtered(
                    lambda m: m.external_ref == first["shipment_id"]
                )._get_payload(),
                idempotency_key="resent-first-945",
            )
            self.run_jobs(trap)
        self.assertEqual(again.state, "done", again.last_error)
        self.assertFalse(again.exception_ids)
        self.assertEqual((picking | rest).mapped("move_ids.quantity"), [5.0, 5.0])
        self.assertEqual(picking.tpl_release_state, "shipped")
