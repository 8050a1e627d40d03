"""What the buyer and the AP clerk read on the EDI screens (issue 8 §8, 9, 12).

The states come from a real mock-edi supplier, as in the other EDI tests; the
tours open them in a real browser.
"""

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import EdiCase
from .test_edi_answers import SupplierDocumentsCase


class ScreensCase(EdiCase):
    def trade(self, our_id, lines, behaviour=None, **partner_values):
        trading_partner = self.env["edi.trading.partner"].search(
            [("our_interchange_id", "=", our_id)]
        ) or self.make_trading_partner(our_id, **partner_values)
        trading_partner.write(partner_values)
        self.use_partner(trading_partner)
        if behaviour:
            self.mock.behaviour(our_id, behaviour)
        with self.jobs() as trap:
            order = self.create_order(lines)
            self.run_jobs(trap)
            self.deliver_answers(trap, our_id)
        return order

    def short_shipped_order(self):
        # GLOBEX trades 005010 and confirms 8 of 10, outside the tolerance.
        return self.trade(
            "GLOBEX", [("BRKT-050", 10)], "short-ship", x12_version="005010"
        )

    def invoice_exceptions(self):
        return self.open_exceptions(
            "business_rule",
            flow_id=self.env.ref("distribution_edi.flow_edi_invoice_in").id,
        )

    def mismatched_bill(self):
        # Ordered below the supplier's price: it confirms and bills its own.
        order = self.trade("ACME", [("BRKT-050", 10, 3.00)])
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "mismatch")
        return bill


@tagged("post_install", "-at_install")
class TestEdiScreens(ScreensCase):
    # -- integration buttons on business records -------------------------------

    def test_order_receipt_and_bill_open_exactly_what_they_count(self):
        order = self.trade("ACME", [("BRKT-050", 2)])
        receipt = order.picking_ids[:1]
        bill = order.invoice_ids
        self.assertTrue(receipt and bill)
        sent = self.messages("edi-order-out", res_id=order.id)
        messages = self.env["integration.message"]
        for record in (order, receipt, bill):
            with self.subTest(model=record._name):
                opened = messages.search(
                    record.action_open_integration_messages()["domain"]
                )
                self.assertEqual(record.integration_message_count, len(opened))
                arch = record.get_views([(False, "form")])["views"]["form"]["arch"]
                for method in (
                    "action_open_integration_messages",
                    "action_open_integration_exceptions",
                    "action_open_integration_expectations",
                ):
                    self.assertEqual(arch.count(f'name="{method}"'), 1, method)
        # The order's exchange: what it sent and what the supplier answered.
        opened = messages.search(order.action_open_integration_messages()["domain"])
        self.assertIn(sent, opened)
        self.assertGreater(len(opened), 1)
        for message in opened:
            self.assertTrue(
                message.correlation_id == sent.correlation_id
                or (message.res_model, message.res_id) == (order._name, order.id),
                message.name,
            )
        # A buyer without the integration screens sees neither counts nor buttons.
        buyer = new_test_user(
            self.env, "edi_buyer_only", groups="purchase.group_purchase_user"
        )
        self.assertEqual(order.with_user(buyer).integration_message_count, 0)
        arch = order.with_user(buyer).get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        self.assertNotIn("action_open_integration_messages", arch)

    # -- 8. the purchase order -------------------------------------------------

    def test_supplier_changes_are_shown_on_the_lines(self):
        order = self.short_shipped_order()
        line = order.order_line
        self.assertEqual((line.product_qty, line.edi_confirmed_qty), (10, 8))
        self.assertTrue(order.edi_supplier_changed)
        arch = order.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in ("edi_confirmed_qty", "edi_confirmed_price", "edi_note"):
            column = f'name="{name}" optional="show"'
            self.assertIn(column, arch, f"{name} is shown by default")

    def test_an_order_accepted_as_sent_shows_no_change(self):
        order = self.trade("ACME", [("BRKT-050", 10)])
        self.assertEqual(order.order_line.edi_status, "accepted")
        self.assertFalse(order.edi_supplier_changed)

    def test_documents_are_named_by_their_meaning(self):
        order = self.trade("ACME", [("BRKT-050", 10)])
        labels = set(order.edi_document_ids.mapped("document_label"))
        self.assertEqual(
            labels,
            {
                "850 Purchase order",
                "855 Order response",
                "856 Ship notice",
                "810 Invoice",
            },
        )
        response = order.edi_document_ids.filtered(lambda d: d.kind == "order_response")
        self.assertTrue(response.display_name.startswith("855 Order response "))
        self.assertIn(order.name, response.display_name)
        acknowledgements = self.env["edi.document"].search(
            [
                ("trading_partner_id", "=", order.edi_trading_partner_id.id),
                ("kind", "=", "acknowledgement"),
            ]
        )
        self.assertTrue(acknowledgements)
        self.assertEqual(
            set(acknowledgements.mapped("document_label")), {"997 Acknowledgement"}
        )

    def test_interchange_numbers_are_written_one_way(self):
        order = self.trade("ACME", [("BRKT-050", 10)])
        sent = order.edi_document_ids.filtered(lambda d: d.direction == "outbound")
        received = order.edi_document_ids - sent
        # Stored as each side wrote it (unpadded ours, ISA13's nine digits
        # theirs); shown the same way.
        for document in sent | received:
            self.assertRegex(document.interchange_number, r"^\d{9}$")
            self.assertEqual(
                int(document.interchange_number),
                int(document.interchange_control_number),
            )
        trading_partner = order.edi_trading_partner_id
        self.assertRegex(trading_partner.next_interchange_control_number, r"^\d{9}$")
        ours = self.env["edi.document"].search(
            [
                ("trading_partner_id", "=", trading_partner.id),
                ("direction", "=", "outbound"),
            ]
        )
        self.assertEqual(
            int(trading_partner.next_interchange_control_number),
            max(int(n) for n in ours.mapped("interchange_control_number")) + 1,
        )

    def test_edifact_documents_keep_their_own_names(self):
        self.mock.behaviour("EURODIS", "accept")
        order = self.trade(
            "EURODIS",
            [("BRKT-050", 5)],
            dialect="EDIFACT",
            our_qualifier="14",
            partner_qualifier="14",
        )
        labels = set(order.edi_document_ids.mapped("document_label"))
        self.assertIn("ORDRSP Order response", labels)
        self.assertIn("DESADV Despatch advice", labels)
        for document in order.edi_document_ids:
            self.assertEqual(
                document.interchange_number, document.interchange_control_number
            )

    # -- 12. labels ---------------------------------------------------------

    def test_trading_partner_labels(self):
        fields_info = self.env["edi.trading.partner"].fields_get(
            ["next_interchange_control_number", "next_interchange_number"]
        )
        self.assertEqual(
            fields_info["next_interchange_control_number"]["string"],
            "Next interchange control number",
        )
        self.assertNotEqual(
            fields_info["next_interchange_number"]["string"], "Actual Next Number"
        )
        arch = self.trading_partner.get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        self.assertNotIn("Actual Next Number", arch)
        # Windows read "30 minutes": the unit is its own element beside the value.
        for name in ("ack_window_minutes", "invoice_window_minutes"):
            self.assertRegex(
                arch,
                rf'<field name="{name}"[^>]*/>\s*<span>minutes</span>',
            )
        # The title holds the supplier's name whole.
        self.assertRegex(arch, r'<h1><field name="partner_id"[^>]*w-100')

    def test_long_names_wrap_in_the_lists(self):
        arch = self.env["edi.document"].get_views([(False, "list")])["views"]["list"][
            "arch"
        ]
        for name in ("trading_partner_id", "document_label", "message_id"):
            self.assertRegex(arch, rf'<field name="{name}"[^>]*class="text-wrap"')

    # -- 9. the three-way match -----------------------------------------------

    def test_the_match_panel_shows_each_line(self):
        bill = self.mismatched_bill()
        panel = str(bill.edi_match_panel)
        for header in ("Ordered", "Received", "Invoiced", "Unit", "Ordered price"):
            self.assertIn(header, panel)
        (row,) = [r for r in panel.split("<tr>") if "Catalogue BRKT-050" in r]
        cells = row.replace("</td>", "").split(">")
        self.assertIn("10.00", row)  # ordered, received, invoiced
        self.assertEqual(row.count("10.00"), 3, cells)
        self.assertIn("Units", row)
        self.assertIn(bill.currency_id.format(3.00), row)
        self.assertIn(bill.currency_id.format(4.15), row)

    def test_approving_a_difference_closes_its_exception_and_does_not_post(self):
        bill = self.mismatched_bill()
        exception = self.invoice_exceptions()
        self.assertEqual(len(exception), 1, exception.mapped("name"))
        with self.assertRaises(UserError) as blocked:
            bill.action_post()
        text = str(blocked.exception)
        self.assertIn("cannot be posted", text)
        self.assertNotIn("  ", text)
        self.assertIn(bill.ref, text)
        bill.action_edi_approve_mismatch()
        self.assertEqual(bill.edi_match_state, "approved")
        self.assertEqual(bill.state, "draft", "approving does not post")
        self.assertEqual(exception.state, "resolved")
        self.assertIn("approved", exception.resolution_note)
        bill.action_post()
        self.assertEqual(bill.state, "posted")


@tagged("post_install", "-at_install")
class TestEdiWaitingForTheReceipt(SupplierDocumentsCase):
    def test_an_invoice_before_the_goods_is_information(self):
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("CABLE-2M", 8)])
        rows = self.mailbox(trading_partner)
        # The invoice arrives; the ship notice has not yet.
        self.receive_rows(rows, skip=("856",))
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "waiting_receipt")
        self.assertIn("0.0 received", bill.edi_match_details)
        self.assertFalse(self.open_exceptions("business_rule"))
        with self.assertRaisesRegex(UserError, "matched again when the goods"):
            bill.action_post()
        # The goods arrive: the bill matches.
        self.receive_rows([row for row in rows if row["code"] == "856"])
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)
        self.assertFalse(self.open_exceptions("business_rule"))
        bill.action_post()


@tagged("post_install", "-at_install")
class TestEdiTours(ScreensCase, HttpCase):
    """The buyer's and the AP clerk's screens in a real browser."""

    def test_purchase_order_with_supplier_changes(self):
        order = self.short_shipped_order()
        self.start_tour(
            f"/odoo/purchase/{order.id}", "edi_supplier_changes_tour", login="admin"
        )

    def test_bill_mismatch_approved(self):
        bill = self.mismatched_bill()
        exception = self.invoice_exceptions()
        self.assertEqual(len(exception), 1, exception.mapped("name"))
        self.start_tour(
            f"/odoo/bills/{bill.id}", "edi_bill_mismatch_tour", login="admin"
        )
        self.assertEqual(bill.edi_match_state, "approved")
        self.assertEqual(bill.state, "draft")
        self.assertEqual(exception.state, "resolved")
