"""Ship notices into receipts, invoices into bills, with a real mock-edi supplier.

What the buyer, the warehouse and accounts payable see: no receipt validated
beyond the order, no bill matched beyond it, a ship notice received twice
applied once, a revised order received in full, and a blocked bill that no
posting path posts.
"""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EdiCase

PARTNER = "ACME"


def renumbered(payload, number):
    """``payload`` (X12) as a new interchange: the same documents under fresh
    control numbers, as a supplier's translator writes a resend."""
    segments = payload.split(b"~")
    for index, segment in enumerate(segments):
        body = segment.lstrip(b"\r\n")
        lead = segment[: len(segment) - len(body)]
        elements = body.split(b"*")
        position = {b"ISA": 13, b"IEA": 2, b"GS": 6, b"GE": 2, b"ST": 2, b"SE": 2}
        if elements[0] in position:
            width = 9 if elements[0] in (b"ISA", b"IEA") else 4
            elements[position[elements[0]]] = str(number).zfill(width).encode()
            segments[index] = lead + b"*".join(elements)
    return b"~".join(segments)


def renumbered_edifact(payload, number):
    """The EDIFACT counterpart of :func:`renumbered` (UNB / UNZ, UNH / UNT)."""
    segments = payload.split(b"'")
    position = {b"UNB": 5, b"UNZ": 2, b"UNH": 1, b"UNT": 2}
    for index, segment in enumerate(segments):
        body = segment.lstrip(b"\r\n")
        lead = segment[: len(segment) - len(body)]
        elements = body.split(b"+")
        if elements[0] in position:
            elements[position[elements[0]]] = str(number).encode()
            segments[index] = lead + b"+".join(elements)
    return b"'".join(segments)


@tagged("post_install", "-at_install")
class TestEdiReceipts(EdiCase):
    # Goods and bills come a minute after the order response: long enough to
    # change the order in between.
    mock_options = {"despatch_delay_ms": 60_000, "invoice_delay_ms": 60_000}

    def send_order(self, trap, lines, **partner_values):
        self.trading_partner.write(partner_values)
        self.use_partner(self.trading_partner)
        order = self.create_order(lines)
        self.run_jobs(trap)
        return order

    def receive(self, trap, codes=None, advance="all", partner=PARTNER):
        """Hand Odoo what the supplier sent (only ``codes`` when given); return
        the mock's rows."""
        self.mock.expect("POST", f"/_mock/advance?{advance}")
        rows = [
            row
            for row in self.mock.mailbox(partner=partner, leave=False)
            if codes is None or row["code"] in codes
        ]
        self.assertTrue(rows, f"nothing from {partner}: {self.mock.outbox()[-3:]}")
        received = self.env["integration.message"]
        for row in rows:
            received |= self.dispatch._receive(
                "edi-interchange-in",
                self.endpoint,
                row["payload"].encode("latin-1"),
                idempotency_key=f"mock:{row['message_id']}",
            )
        self.run_jobs(trap)
        self.assert_applied(received)
        return rows

    def receive_payload(self, trap, payload):
        received = self.dispatch._receive("edi-interchange-in", self.endpoint, payload)
        self.run_jobs(trap)
        self.assert_applied(received)
        return received

    def open_receipt_moves(self, order):
        return order.picking_ids.move_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        )

    # -- 1. over-shipment ----------------

    def test_over_shipment_is_neither_validated_nor_matched(self):
        # 13 shipped and invoiced on an order of 10, receipt policy "validate".
        self.mock.behaviour(PARTNER, "over-ship")
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10)], receipt_policy="validate")
            self.receive(trap)
        receipt = order.picking_ids
        self.assertEqual(receipt.state, "assigned", "not validated beyond the order")
        self.assertEqual(receipt.move_ids.quantity, 13, "prefilled with what shipped")
        self.assertEqual(order.order_line.qty_received, 0)
        (flagged,) = self.open_exceptions("business_rule").filtered(
            lambda e: "Ship notice" in e.name
        )
        self.assertIn("NOT validated", flagged.details)
        self.assertNotIn("is on the receipt", flagged.details)
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "mismatch")
        self.assertIn("13.0 invoiced", bill.edi_match_details)
        self.assertIn("10.0 ordered", bill.edi_match_details)
        with self.assertRaisesRegex(UserError, "does not match"):
            bill.action_post()
        # The warehouse counts 13 and validates: received, still not ordered.
        receipt.button_validate()
        self.assertEqual(order.order_line.qty_received, 13)
        self.assertEqual(bill.edi_match_state, "mismatch")
        self.assertIn("10.0 ordered", bill.edi_match_details)
        self.assertNotIn("received", bill.edi_match_details)
        with self.assertRaisesRegex(UserError, "does not match"):
            bill.action_post()

    def test_over_shipment_within_the_partner_tolerance(self):
        self.mock.behaviour(PARTNER, "over-ship")
        with self.jobs() as trap:
            order = self.send_order(
                trap,
                [("BRKT-050", 10)],
                receipt_policy="validate",
                over_delivery_tolerance_percent=30,
            )
            self.receive(trap)
        self.assertEqual(order.picking_ids.state, "done")
        self.assertEqual(order.order_line.qty_received, 13)
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")
        self.assertFalse(self.open_exceptions("business_rule"))

    # -- 2. every posting path holds the block ----------------

    def blocked_bill(self):
        # Ordered below the supplier's price: it bills its own price.
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10, 3.00)])
            self.receive(trap)
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "mismatch")
        return bill

    def test_no_posting_path_posts_a_blocked_bill(self):
        bill = self.blocked_bill()
        with self.assertRaisesRegex(UserError, "does not match"):
            bill.action_post()
        with self.assertRaisesRegex(UserError, "does not match"):
            bill._post(soft=False)
        # Accounting › Post entries, on a selection holding the bill.
        wizard = (
            self.env["validate.account.move"]
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({})
        )
        self.assertIn(bill, wizard.move_ids)
        with self.assertRaisesRegex(UserError, "does not match"):
            wizard.validate_move()
        # The auto-post scheduled action, on a bill due for it.
        bill.write(
            {
                "auto_post": "at_date",
                "checked": True,
                "date": fields.Date.context_today(bill) - timedelta(days=1),
            }
        )
        self.env["account.move"]._autopost_draft_entries()
        self.assertEqual(bill.state, "draft")
        self.assertEqual(bill.edi_match_state, "mismatch")
        # A purchase manager approves the difference: every path posts again.
        bill.action_edi_approve_mismatch()
        self.assertEqual(bill.edi_match_state, "approved")
        wizard = (
            self.env["validate.account.move"]
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({})
        )
        wizard.validate_move()
        self.assertEqual(bill.state, "posted")

    def test_a_bill_that_stopped_matching_is_not_posted(self):
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10)])
            self.receive(trap)
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "matched")
        # Edited after the match: the match is taken again when posting.
        bill.invoice_line_ids.quantity = 15
        with self.assertRaisesRegex(UserError, "15.0 invoiced"):
            bill.action_post()
        bill.invoice_line_ids.quantity = 10
        bill.action_post()
        self.assertEqual(bill.state, "posted")

    def test_goods_returned_before_posting_unmatch_the_bill(self):
        # The received side changed after the match: it is taken again.
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10)], receipt_policy="validate")
            self.receive(trap)
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "matched")
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=order.picking_ids.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 3
        returned = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        returned.move_ids.write({"quantity": 3, "picked": True})
        returned.button_validate()
        self.assertEqual(order.order_line.qty_received, 7)
        self.assertEqual(bill.edi_match_state, "mismatch")
        self.assertIn("7.0 received", bill.edi_match_details)

    # -- 3. a ship notice received twice ----------------

    def test_repeated_ship_notice_is_applied_once(self):
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10)], receipt_policy="prepare")
            rows = self.receive(trap)
            (notice,) = [row["payload"] for row in rows if row["code"] == "856"]
            move = order.picking_ids.move_ids
            self.assertEqual(move.quantity, 10)
            # The bill waits for its goods (the warehouse validates): said on
            # the bill, no exception.
            self.assertEqual(order.invoice_ids.edi_match_state, "waiting_receipt")
            waiting = self.open_exceptions()
            self.assertFalse(waiting, waiting.mapped("name"))
            # The same shipment, sent again under new control numbers.
            self.receive_payload(trap, renumbered(notice.encode("latin-1"), 7001))
            self.assertEqual(move.quantity, 10, "not received twice")
            self.assertEqual(move.edi_announced_qty, 10)
            self.assertEqual(move.product_uom_qty, 10)
            self.assertEqual(self.open_exceptions(), waiting)
            # A copy announcing something else goes to a person, unapplied.
            changed = re.sub(r"(SN1\*[^*]*\*)10\*", r"\g<1>12*", notice)
            self.assertNotEqual(changed, notice)
            received = self.receive_payload(
                trap, renumbered(changed.encode("latin-1"), 7002)
            )
        self.assertEqual(move.quantity, 10)
        self.assertEqual(move.edi_announced_qty, 10)
        (review,) = self.open_exceptions("duplicate")
        self.assertIn("different content", review.name)
        self.assertIn("quantity 10 → 12", review.details)
        self.assertIn(review.message_id, received.child_ids)
        receipt = order.picking_ids
        receipt.button_validate()
        self.assertEqual(order.order_line.qty_received, 10)
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")

    def test_repeated_despatch_advice_is_applied_once(self):
        # The same in EDIFACT: DESADV, shipment number in BGM.
        eurodis = self.make_trading_partner(
            "EURODIS", dialect="EDIFACT", our_qualifier="14", receipt_policy="prepare"
        )
        self.use_partner(eurodis)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 10)])
            self.run_jobs(trap)
            rows = self.receive(trap, partner="EURODIS")
            (notice,) = [row["payload"] for row in rows if row["code"] == "DESADV"]
            move = order.picking_ids.move_ids
            self.assertEqual(move.quantity, 10)
            waiting = self.open_exceptions()
            self.receive_payload(
                trap, renumbered_edifact(notice.encode("latin-1"), 7101)
            )
            self.assertEqual(move.quantity, 10, "not received twice")
            self.assertEqual(self.open_exceptions(), waiting)
            changed = notice.replace("QTY+12:10", "QTY+12:11")
            self.assertNotEqual(changed, notice)
            self.receive_payload(
                trap, renumbered_edifact(changed.encode("latin-1"), 7102)
            )
        self.assertEqual(move.quantity, 10)
        (review,) = self.open_exceptions("duplicate")
        self.assertIn("quantity 10 → 11", review.details)

    # -- 5. an order changed after sending ----------------

    def test_ship_notice_fills_every_move_of_a_revised_line(self):
        with self.jobs() as trap:
            order = self.send_order(trap, [("BRKT-050", 10)], receipt_policy="validate")
            self.receive(trap, codes=("997", "855"), advance="seconds=1")
            self.assertEqual(order.edi_state, "confirmed")
            # Raised after the supplier confirmed: Odoo expects 2 more.
            order.order_line.product_qty = 12
            self.env.cr.precommit.run()
            self.run_jobs(trap)
            self.assertEqual(
                sum(self.open_receipt_moves(order).mapped("product_uom_qty")), 12
            )
            # The supplier packs the 12 it now holds in one consignment.
            self.receive(trap, codes=("997", "856", "810"))
        line = order.order_line
        self.assertEqual(line.qty_received, 12)
        self.assertFalse(self.open_receipt_moves(order), "nothing left expected")
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")
        self.assertFalse(self.open_exceptions("business_rule"))
