"""850 -> 997 -> 855 -> 856 -> 810 with a real mock-edi supplier, over HTTP.

Orders leave through the kernel's dispatch (POST /edi to the mock); what the
mock answers is handed to the kernel as the inbound gateway would.
"""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EdiCase


@tagged("post_install", "-at_install")
class TestEdiCycle(EdiCase):
    def full_cycle(self, our_id, lines, **partner_values):
        trading_partner = self.env["edi.trading.partner"].search(
            [("our_interchange_id", "=", our_id)]
        )
        if trading_partner:
            trading_partner.write(partner_values)
        else:
            trading_partner = self.make_trading_partner(our_id, **partner_values)
        self.use_partner(trading_partner)
        with self.jobs() as trap:
            order = self.create_order(lines)
            self.run_jobs(trap)
            sent = self.messages("edi-order-out", res_id=order.id)
            self.assertEqual(sent.state, "sent", sent.last_error)
            self.deliver_answers(trap, our_id)
        return trading_partner, order, sent

    def test_accepting_supplier_x12(self):
        trading_partner, order, sent = self.full_cycle(
            "ACME", [("BRKT-050", 10), ("CABLE-2M", 20)]
        )
        # 997: the order is acknowledged, in the log and on the order.
        self.assertEqual(sent.state, "acknowledged")
        self.assertEqual(
            order.edi_document_ids.filtered(lambda d: d.kind == "order").ack_state,
            "accepted",
        )
        # 855: every line confirmed.
        self.assertEqual(order.edi_state, "confirmed")
        self.assertEqual(set(order.order_line.mapped("edi_status")), {"accepted"})
        # 856: the receipt was validated with what shipped, with the tracking.
        receipt = order.picking_ids.filtered(lambda p: p.state == "done")
        self.assertTrue(receipt.edi_shipment_id)
        self.assertTrue(receipt.edi_tracking_numbers)
        self.assertEqual(order.order_line.mapped("qty_received"), [10, 20])
        # 810: a draft bill linked to the order, matched three ways.
        bill = order.invoice_ids
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.state, "draft")
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)
        self.assertAlmostEqual(bill.amount_untaxed, 10 * 4.15 + 20 * 3.95)
        bill.action_post()
        # Every inbound interchange was acknowledged back to the supplier.
        acks = self.messages("edi-ack-out")
        self.assertEqual(len(acks), 3)  # 855, 856, 810; a 997 is never acknowledged
        self.assertEqual(set(acks.mapped("state")), {"sent"})
        for message in acks | sent:
            self.assert_clean_for_mock(message._get_payload())
        outstanding = self.mock.unacknowledged()
        self.assertFalse(
            [row for row in outstanding if row["partner"] == "ACME"], outstanding
        )
        # The whole exchange shares the order's correlation id.
        self.assertEqual(
            len(
                self.env["integration.message"].search(
                    [("correlation_id", "=", order.edi_correlation_id)]
                )
            ),
            4,  # 850 out, 855, 856, 810 in (the 997 answers the interchange)
        )
        self.assertFalse(self.open_exceptions())

    def test_documents_apply_in_the_order_the_supplier_sent_them(self):
        # The runner promises no job order (two workers; a job that met a
        # serialization error comes back seconds later): run the documents'
        # jobs newest first, as an unlucky runner could.
        trading_partner = self.env["edi.trading.partner"].search(
            [("our_interchange_id", "=", "ACME")]
        ) or self.make_trading_partner("ACME")
        self.use_partner(trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 10), ("CABLE-2M", 20)])
            self.run_jobs(trap)
            received = self.receive_answers("ACME")
            trap.perform_enqueued_jobs()  # the interchanges, split in their order
            documents = received.child_ids.filtered(lambda m: m.direction == "inbound")
            self.assertEqual(
                documents.sorted("id").flow_id.mapped("code"),
                [
                    "edi-ack-in",
                    "edi-order-response-in",
                    "edi-despatch-in",
                    "edi-invoice-in",
                ],
            )
            trap.enqueued_jobs.reverse()
            trap.perform_enqueued_jobs()
            invoice_in = documents.filtered(
                lambda m: m.flow_id.code == "edi-invoice-in"
            )
            # The invoice came first: it waited for the ship notice and the order
            # response instead of being matched against an order not yet
            # confirmed nor received.
            self.assertEqual(invoice_in.state, "retrying")
            self.assertIn("waits for", invoice_in.last_error)
            self.assertEqual(order.edi_state, "confirmed")
            self.run_jobs(trap)
        self.assert_applied(received)
        self.assertEqual(order.edi_state, "confirmed")
        self.assertEqual(order.order_line.mapped("qty_received"), [10, 20])
        bill = order.invoice_ids
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)
        self.assertGreater(invoice_in.attempt_count, 1)
        self.assertFalse(self.open_exceptions())

    def test_accepting_supplier_edifact(self):
        # EURODIS trades EDIFACT D.96A; PANEL-A3 has 35 in stock: 15 follow later.
        trading_partner, order, sent = self.full_cycle(
            "EURODIS",
            [("BRKT-050", 10), ("PANEL-A3", 50)],
            dialect="EDIFACT",
            our_qualifier="14",
        )
        self.assertEqual(sent.state, "acknowledged")
        payload = sent._get_payload()
        self.assertIn(b"UNH+", payload)
        self.assertIn(b"ORDERS:D:96A:UN", payload)
        panel = order.order_line.filtered(
            lambda line: line.product_id == self.products["PANEL-A3"]
        )
        # Backordered by the ORDRSP; its second consignment delivered it.
        self.assertEqual(panel.edi_status_code, "IQ")
        self.assertEqual(panel.edi_status, "delivered")
        self.assertEqual(panel.edi_confirmed_qty, 35)
        self.assertEqual(
            panel.product_qty, 50, "the balance follows: nothing to decide"
        )
        # Two consignments: 35 at once, the 15 of the backorder on their day.
        receipts = order.picking_ids
        self.assertEqual(len(receipts), 2)
        self.assertEqual(set(receipts.mapped("state")), {"done"})
        self.assertEqual(len(set(receipts.mapped("edi_shipment_id"))), 2)
        self.assertEqual(panel.qty_received, 50)
        # Each consignment billed on its own, each bill matched.
        self.assertEqual(len(order.invoice_ids), 2)
        self.assertEqual(set(order.invoice_ids.mapped("edi_match_state")), {"matched"})
        self.assertEqual(panel.qty_invoiced, 50)
        # ORDRSP, two DESADV and two INVOIC, each answered with a CONTRL.
        acks = self.messages("edi-ack-out")
        self.assertEqual(acks.mapped(lambda m: m._get_payload()[:3]), [b"UNA"] * 5)
        for message in acks | sent:
            self.assert_clean_for_mock(message._get_payload())
        self.assertFalse(self.open_exceptions())

    def test_short_shipping_supplier(self):
        # GLOBEX trades 005010 and confirms less than ordered, with no balance.
        self.mock.behaviour("GLOBEX", "short-ship")
        trading_partner, order, sent = self.full_cycle(
            "GLOBEX", [("BRKT-050", 10)], x12_version="005010"
        )
        line = order.order_line
        self.assertEqual(line.edi_status, "waiting")
        self.assertLess(line.edi_confirmed_qty, 10)
        self.assertEqual(line.product_qty, 10, "outside tolerance: the buyer decides")
        decision = self.open_exceptions("business_rule")
        self.assertEqual(len(decision), 1, decision.mapped("details"))
        self.assertIn("confirms", decision.details)
        # What shipped was received; the rest stays expected on a backorder.
        self.assertEqual(line.qty_received, line.edi_confirmed_qty)
        self.assertTrue(
            order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        )
        # Invoiced what shipped: it matches the receipt.
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")

    def test_quantity_change_within_tolerance_is_applied(self):
        self.mock.behaviour("GLOBEX", "short-ship")
        trading_partner, order, sent = self.full_cycle(
            "GLOBEX",
            [("BRKT-050", 10)],
            x12_version="005010",
            quantity_tolerance_percent=50,
        )
        line = order.order_line
        self.assertEqual(line.edi_status, "changed")
        self.assertEqual(line.product_qty, line.edi_confirmed_qty)
        unexpected = self.open_exceptions("business_rule")
        self.assertFalse(unexpected, unexpected.mapped("details"))
        # Applying the supplier's answer is not a new revision of our order.
        self.assertEqual(len(self.messages("edi-order-out")), 1)

    def test_supplier_rejecting_a_line(self):
        self.mock.behaviour("INITECH", "reject-line")
        trading_partner, order, sent = self.full_cycle(
            "INITECH", [("BRKT-050", 10), ("CABLE-2M", 5)]
        )
        self.assertEqual(
            sorted(order.order_line.mapped("edi_status")), ["accepted", "rejected"]
        )
        decision = self.open_exceptions("business_rule")
        self.assertEqual(len(decision), 1, decision.mapped("details"))
        self.assertIn("rejected by the supplier", decision.details)
        self.assertEqual(decision.user_id, order.user_id)
        # The rejected line is neither shipped nor invoiced.
        rejected = order.order_line.filtered(lambda line: line.edi_status == "rejected")
        self.assertEqual(rejected.qty_received, 0)
        self.assertEqual(len(order.invoice_ids.invoice_line_ids), 1)

    def test_invoice_before_the_goods_waits_for_the_receipt(self):
        # out-of-order: 997, 810, 856, 855 -- the invoice comes before the goods.
        self.mock.behaviour("ACME", "out-of-order")
        trading_partner, order, sent = self.full_cycle("ACME", [("CABLE-2M", 8)])
        bill = order.invoice_ids
        self.assertEqual(order.order_line.qty_received, 8)
        # Matched again when the ship notice validated the receipt; waiting
        # for the goods was information on the bill, never an exception.
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)
        raised = self.env["integration.exception"].search(
            [("flow_id.code", "=", "edi-invoice-in")]
        )
        self.assertFalse(raised, raised.mapped("name"))
        self.assertEqual(order.edi_state, "confirmed")

    def test_duplicate_invoice_creates_no_second_bill(self):
        self.mock.behaviour("ACME", "duplicate-invoice")
        trading_partner, order, sent = self.full_cycle("ACME", [("BRKT-050", 4)])
        self.assertEqual(len(order.invoice_ids), 1)
        duplicate = self.open_exceptions("duplicate")
        self.assertEqual(len(duplicate), 1)
        self.assertIn(order.invoice_ids.ref, duplicate.name)

    def test_price_disagreement_blocks_the_bill(self):
        # Ordered below the supplier's price: it confirms and bills its own price.
        trading_partner, order, sent = self.full_cycle("ACME", [("BRKT-050", 10, 3.00)])
        line = order.order_line
        self.assertEqual(line.edi_status, "waiting")
        self.assertAlmostEqual(line.edi_confirmed_price, 4.15)
        self.assertIn("prices it at", self.open_exceptions("business_rule")[0].details)
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "mismatch")
        self.assertIn("ordered at 3.0", bill.edi_match_details)
        with self.assertRaisesRegex(UserError, "does not match"):
            bill.action_post()
        bill.action_edi_approve_mismatch()
        bill.action_post()
        self.assertEqual(bill.state, "posted")

    def test_supplier_that_never_acknowledges(self):
        self.mock.behaviour("ACME", "no-ack")
        trading_partner = self.trading_partner
        trading_partner.ack_window_minutes = 15
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 1)])
            self.run_jobs(trap)
            self.deliver_answers(trap, "ACME", expect_answers=False)
        sent = self.messages("edi-order-out", res_id=order.id)
        self.assertEqual(sent.state, "sent")
        self.assertEqual(order.edi_state, "sent")
        window = sent.expectation_ids
        self.assertEqual(window.kind, "acknowledgement")
        self.assertAlmostEqual(
            window.due_at,
            sent.processed_at + timedelta(minutes=trading_partner.ack_window_minutes),
            delta=timedelta(minutes=1),
        )
        # The order shows the acknowledgement it waits for.
        self.assertEqual(order.integration_expectation_count, 1)
        monitor = self.env["integration.expectation"]
        monitor._cron_raise_late(now=window.due_at - timedelta(seconds=1))
        self.assertFalse(self.open_exceptions("acknowledgement"))
        monitor._cron_raise_late(now=window.due_at + timedelta(seconds=1))
        missing = self.open_exceptions("acknowledgement")
        self.assertEqual(len(missing), 1)
        self.assertEqual(missing.message_id, sent)
        # The partner's window, not the flow's 60 minutes.
        self.assertIn("within 15 minutes", missing.name)

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_strict_partner_rejects_what_its_guide_forbids(self):
        # The supplier's implementation guide requires a REF the order lacks.
        self.mock.behaviour("ACME", "strict")
        self.mock.expect(
            "PUT",
            "/_mock/partners/ACME/profile",
            {"name": "Guide requiring REF", "sets": {"850": {"require": ["REF"]}}},
        )
        try:
            trading_partner, order, sent = self.full_cycle("ACME", [("BRKT-050", 2)])
        finally:
            self.mock.expect("DELETE", "/_mock/partners/ACME/profile")
        self.assertEqual(sent.state, "dead")
        self.assertEqual(order.edi_state, "rejected")
        document = order.edi_document_ids.filtered(lambda d: d.kind == "order")
        self.assertEqual(document.ack_state, "rejected")
        rejection = self.open_exceptions("validation", message_id=sent.id)
        self.assertEqual(len(rejection), 1)
        self.assertIn("error code", rejection.details)
        # Nothing else came: the supplier acts on no rejected set.
        self.assertFalse(order.invoice_ids)

    def test_invoice_total_must_match_the_bill_with_its_taxes(self):
        # We expect 10 % tax on this product; the supplier bills none.
        tax = self.env["account.tax"].create(
            {"name": "Purchase 10 %", "amount": 10, "type_tax_use": "purchase"}
        )
        self.products["BRKT-050"].supplier_taxes_id = tax
        trading_partner, order, sent = self.full_cycle("ACME", [("BRKT-050", 10)])
        bill = order.invoice_ids
        self.assertEqual(bill.edi_invoice_total, 41.5)
        self.assertEqual(bill.edi_match_state, "mismatch")
        self.assertIn("41.5 in all", bill.edi_match_details)
        # Prices and quantities agree: a re-check does not paper over the total.
        bill.action_edi_recheck_match()
        self.assertEqual(bill.edi_match_state, "mismatch")

    def test_supplier_refusing_the_whole_order(self):
        self.mock.behaviour("ACME", "reject-all")
        trading_partner, order, sent = self.full_cycle("ACME", [("BRKT-050", 3)])
        self.assertEqual(sent.state, "acknowledged", "the syntax was fine")
        self.assertEqual(order.edi_state, "refused")
        refusal = self.open_exceptions("business_rule")
        self.assertEqual(len(refusal), 1, refusal.mapped("details"))
        self.assertIn("refused purchase order", refusal.name)
        self.assertFalse(order.invoice_ids)

    def test_over_shipment_is_received_and_flagged(self):
        self.mock.behaviour("ACME", "over-ship")
        trading_partner, order, sent = self.full_cycle(
            "ACME", [("BRKT-050", 10)], receipt_policy="prepare"
        )
        receipt = order.picking_ids
        self.assertEqual(receipt.state, "assigned", "prefilled, not validated")
        self.assertEqual(receipt.move_ids.quantity, 13)
        self.assertEqual(receipt.move_ids.edi_announced_qty, 13)
        flagged = self.open_exceptions("business_rule")
        self.assertTrue(
            any("still expected" in details for details in flagged.mapped("details")),
            flagged.mapped("details"),
        )
        # Billed what shipped, nothing received yet: the bill waits.
        self.assertEqual(order.invoice_ids.edi_match_state, "mismatch")
        receipt.button_validate()
        self.assertEqual(order.order_line.qty_received, 13)
        # Received, but 3 more than ordered: the bill still does not match.
        self.assertEqual(order.invoice_ids.edi_match_state, "mismatch")
        self.assertIn("10.0 ordered", order.invoice_ids.edi_match_details)

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_corrupt_documents_are_refused_and_answered(self):
        # Each business document arrives with its SE01 one out: our translator
        # refuses it, applies nothing and says so in the 997 it sends back.
        self.mock.behaviour("ACME", "corrupt")
        trading_partner = self.trading_partner
        self.use_partner(trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 2)])
            self.run_jobs(trap)
            self.mock.expect("POST", "/_mock/advance?all")
            for row in self.mock.mailbox(partner="ACME", leave=False):
                self.dispatch._receive(
                    "edi-interchange-in",
                    self.endpoint,
                    row["payload"].encode("latin-1"),
                    idempotency_key=f"mock:{row['message_id']}",
                )
            self.run_jobs(trap)
        self.assertEqual(order.edi_state, "acknowledged", "the sound 997 applied")
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.order_line.qty_received, 0)
        refused = self.open_exceptions("validation")
        self.assertEqual(len(refused), 3, refused.mapped("details"))  # 855, 856, 810
        for details in refused.mapped("details"):
            self.assertIn("refused by syntax", details)
        acks = self.messages("edi-ack-out")
        self.assertEqual(len(acks), 3)
        for ack in acks:
            self.assertIn(b"AK5*R", ack._get_payload())
            self.assert_clean_for_mock(ack._get_payload())
        # The supplier read our 997s as rejections of its documents.
        verdicts = {
            row["code"]: row["ack_status"]
            for row in self.mock.expect("GET", "/_mock/documents?partner=ACME")
            if row["code"] in ("855", "856", "810")
        }
        self.assertEqual(set(verdicts.values()), {"rejected"}, verdicts)

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_edifact_contrl_rejection(self):
        self.mock.behaviour("EURODIS", "reject-ack")
        trading_partner, order, sent = self.full_cycle(
            "EURODIS", [("BRKT-050", 2)], dialect="EDIFACT", our_qualifier="14"
        )
        self.assertEqual(sent.state, "dead")
        self.assertEqual(order.edi_state, "rejected")
        rejection = self.open_exceptions("validation", message_id=sent.id)
        self.assertEqual(len(rejection), 1)
        self.assertIn("ORDERS", rejection.details)

    def receive_altered_response(self, old, new):
        """Send an order; receive the supplier's 855 with ``old`` made ``new``."""
        self.use_partner(self.trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 4)])
            self.run_jobs(trap)
            self.mock.expect("POST", "/_mock/advance?all")
            (row,) = self.mock.mailbox(partner="ACME", kind="response", leave=False)
            payload = row["payload"].encode("latin-1")
            self.assertIn(old, payload)
            received = self.dispatch._receive(
                "edi-interchange-in", self.endpoint, payload.replace(old, new)
            )
            self.run_jobs(trap)
        return order, received

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_document_the_partner_may_not_send_is_not_applied(self):
        self.trading_partner.receive_order_responses = False
        order, received = self.receive_altered_response(b"BAK*", b"BAK*")
        self.assertEqual(received.state, "done")
        self.assertFalse(
            received.child_ids.filtered(lambda m: m.direction == "inbound")
        )
        self.assertNotEqual(order.edi_state, "confirmed")
        self.assertIn("not set up to send", received.exception_ids.details)
        # Its syntax was still acknowledged as accepted (not refused).
        self.assertNotIn(b"AK5*R", self.messages("edi-ack-out")._get_payload())

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_production_interchange_on_a_test_endpoint_is_refused(self):
        order, received = self.receive_altered_response(b"*0*T*>~", b"*0*P*>~")
        self.assertEqual(received.state, "rejected")
        self.assertIn("marked production", received.last_error)
        self.assertFalse(received.child_ids)
        self.assertNotEqual(order.edi_state, "confirmed")

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_interchange_from_an_unknown_sender_is_refused(self):
        order, received = self.receive_altered_response(
            b"*ZZ*MOCKEDI        *", b"*ZZ*STRANGER       *"
        )
        self.assertEqual(received.state, "rejected")
        self.assertIn("No trading partner", received.last_error)
        self.assertIn("STRANGER", received.last_error)
        self.assertFalse(received.child_ids)

    def test_minor_finding_is_applied_unless_the_partner_is_strict(self):
        # A four-letter currency code: an error the standard lets a lenient
        # receiver accept (AK5 E), and a strict one refuse (AK5 R).
        order, received = self.receive_altered_response(b"CUR*SE*USD~", b"CUR*SE*USDX~")
        self.assertEqual(order.edi_state, "confirmed")
        (answer,) = self.messages("edi-ack-out")
        self.assertIn(b"AK5*E", answer._get_payload())
        self.assert_clean_for_mock(answer._get_payload())

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_strict_trading_partner_refuses_minor_findings(self):
        self.trading_partner.strict_syntax = True
        order, received = self.receive_altered_response(b"CUR*SE*USD~", b"CUR*SE*USDX~")
        self.assertNotEqual(order.edi_state, "confirmed")
        (answer,) = self.messages("edi-ack-out")
        self.assertIn(b"AK5*R", answer._get_payload())
        self.assertIn(b"AK9*R", answer._get_payload())
        self.assertIn("refused by syntax", received.exception_ids.details)

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_nothing_in_a_refused_group_is_applied(self):
        # GE01 says two sets, one arrived: the whole group is refused.
        order, received = self.receive_altered_response(b"GE*1*", b"GE*2*")
        self.assertNotEqual(order.edi_state, "confirmed")
        self.assertFalse(
            received.child_ids.filtered(lambda m: m.direction == "inbound")
        )
        (answer,) = self.messages("edi-ack-out")
        self.assertIn(b"AK9*R*2*1*0", answer._get_payload())
        self.assertIn("functional group was refused", received.exception_ids.details)


@tagged("post_install", "-at_install")
class TestEdiFaultyPartner(EdiCase):
    """mock-edi's --error-rate: a third of the trading requests answer 500."""

    mock_options = {"error_rate": 0.35}

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_nothing_lost_nothing_duplicated(self):
        self.endpoint.circuit_failure_threshold = 1000  # keep retrying in the test
        orders = self.env["purchase.order"]
        with self.jobs() as trap:
            for quantity in range(1, 7):
                orders |= self.create_order([("BRKT-050", quantity)])
            self.run_jobs(trap, rounds=40)
        sent = self.messages("edi-order-out")
        self.assertEqual(len(sent), 6)
        self.assertEqual(set(sent.mapped("state")), {"sent"}, sent.mapped("last_error"))
        self.assertGreater(sum(sent.mapped("attempt_count")), 6, "some attempts failed")
        ours = set(orders.mapped("name"))
        held = [
            row["po_number"]
            for row in self.mock.expect("GET", "/_mock/orders")
            if row["po_number"] in ours
        ]
        self.assertEqual(sorted(held), sorted(ours), "each order arrived once")
