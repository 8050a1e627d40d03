"""What a supplier answers, and what it means on the order.

mock-edi plays the supplier. Where it cannot say something (an 855 line
backordered whole, a unit other than the one ordered) the supplier's document
is written by the channel's own writer, checked clean by mock-edi's validator,
and received as the mock's own documents are.
"""

from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..edi.writer import (
    EdifactEnvelope,
    OutboundSet,
    X12Envelope,
    write_edifact,
    write_x12,
)
from .common import EdiCase


class SupplierDocumentsCase(EdiCase):
    _control = 900

    def place(self, trading_partner, lines, behaviour=None):
        """Send an order to the mock; return it with the mock's answers unread."""
        self.use_partner(trading_partner)
        if behaviour:
            self.mock.behaviour(trading_partner.our_interchange_id, behaviour)
        with self.jobs() as trap:
            order = self.create_order(lines)
            self.run_jobs(trap)
        sent = self.messages("edi-order-out", res_id=order.id)
        self.assertEqual(sent[-1:].state, "sent", sent[-1:].last_error)
        return order

    def mailbox(self, trading_partner, advance=True):
        if advance:
            self.mock.expect("POST", "/_mock/advance?all")
        return self.mock.mailbox(
            partner=trading_partner.our_interchange_id, leave=False
        )

    def receive(self, payload, name):
        """Hand one interchange to Odoo as the gateway does; run its jobs."""
        with self.jobs() as trap:
            received = self.dispatch._receive(
                "edi-interchange-in",
                self.endpoint,
                payload,
                idempotency_key=f"test:{name}",
                filename=f"{name}.edi",
            )
            self.run_jobs(trap)
        return received

    def receive_rows(self, rows, skip=()):
        """The mock's documents, but for the set codes in ``skip``."""
        received = self.env["integration.message"]
        for row in rows:
            if row["code"] in skip:
                continue
            received |= self.receive(
                row["payload"].encode("latin-1"), f"mock-{row['message_id']}"
            )
        self.assert_applied(received)
        return received

    def supplier_x12(self, trading_partner, code, body):
        """An interchange from the supplier, written by our writer; mock-edi's
        validator finds nothing to say about it."""
        SupplierDocumentsCase._control += 1
        control = SupplierDocumentsCase._control
        payload = write_x12(
            X12Envelope(
                sender_id="MOCKEDI",
                receiver_id=trading_partner.our_interchange_id,
                control_number=control,
                group_control_number=control,
                version=trading_partner.x12_version,
                test=trading_partner.test_indicator,
                timestamp=fields.Datetime.now(),
            ),
            [OutboundSet(code, str(control).zfill(4), body)],
        )
        self.assert_clean_for_mock(payload)
        return payload

    def supplier_edifact(self, trading_partner, body):
        SupplierDocumentsCase._control += 1
        control = SupplierDocumentsCase._control
        payload = write_edifact(
            EdifactEnvelope(
                sender_id="MOCKEDI",
                receiver_id=trading_partner.our_interchange_id,
                control_number=str(control),
                sender_qualifier="ZZ",
                receiver_qualifier=trading_partner.our_qualifier,
                test=trading_partner.test_indicator,
                timestamp=fields.Datetime.now(),
            ),
            [OutboundSet("ORDRSP", str(control), body)],
        )
        self.assert_clean_for_mock(payload)
        return payload

    def line_of(self, order, code):
        return order.order_line.filtered(
            lambda line: line.product_id == self.products[code]
        )

    @staticmethod
    def x12_date(days):
        return (fields.Date.today() + timedelta(days=days)).strftime("%Y%m%d")


@tagged("post_install", "-at_install")
class TestEdiOrderResponses(SupplierDocumentsCase):
    def test_backordered_lines_expect_their_delivery(self):
        # ACK01 IB was read as a rejection and the buyer told to cancel.
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("BRKT-050", 10), ("CABLE-2M", 20)])
        rows = self.mailbox(trading_partner)
        self.receive_rows([r for r in rows if r["code"] == "997"])
        bracket = self.line_of(order, "BRKT-050")
        cable = self.line_of(order, "CABLE-2M")
        later = self.x12_date(9)
        response = self.supplier_x12(
            trading_partner,
            "855",
            [
                ("BAK", "00", "AC", order.name, self.x12_date(0)),
                (
                    "PO1",
                    str(bracket.id),
                    10,
                    "EA",
                    Decimal("4.15"),
                    "",
                    "VP",
                    "BRKT-050",
                ),
                # Backordered whole, as mock-edi writes it for an item out of stock.
                ("ACK", "IB", 0, "EA", "067", later),
                ("PO1", str(cable.id), 20, "EA", Decimal("3.95"), "", "VP", "CABLE-2M"),
                # Split: 12 now, 8 later.
                ("ACK", "IA", 12, "EA", "067", self.x12_date(2)),
                ("ACK", "IB", 8, "EA", "067", later),
                ("CTT", 2),
            ],
        )
        self.assert_applied(self.receive(response, "855-backorder"))
        self.assertEqual(order.edi_state, "confirmed")
        self.assertEqual(bracket.edi_status, "backordered")
        self.assertEqual(bracket.edi_status_code, "IB")
        self.assertEqual(bracket.edi_confirmed_qty, 0)
        self.assertEqual(bracket.edi_backordered_qty, 10)
        self.assertEqual(
            fields.Date.to_string(bracket.edi_backorder_date),
            f"{later[:4]}-{later[4:6]}-{later[6:]}",
        )
        self.assertEqual(bracket.date_planned.date(), bracket.edi_backorder_date)
        self.assertEqual(bracket.product_qty, 10, "a backorder is still ordered")
        self.assertEqual(cable.edi_status, "backordered")
        self.assertEqual((cable.edi_confirmed_qty, cable.edi_backordered_qty), (12, 8))
        self.assertFalse(
            self.open_exceptions("business_rule"),
            "nothing for the buyer to decide: the goods follow",
        )
        # The goods arrive (mock-edi ships the order in full): the receipt
        # closes the backorder, and the bill matches.
        self.receive_rows(rows, skip=("997", "855"))
        self.assertEqual(order.order_line.mapped("qty_received"), [10, 20])
        self.assertEqual(set(order.order_line.mapped("edi_status")), {"delivered"})
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")
        self.assertFalse(self.open_exceptions("business_rule"))

    def test_every_line_status_has_its_meaning(self):
        trading_partner = self.trading_partner
        trading_partner.price_tolerance_percent = 10
        order = self.place(
            trading_partner,
            [("BRKT-050", 10), ("CABLE-2M", 20), ("PANEL-A3", 2), ("GEAR-200", 4)],
        )
        rows = self.mailbox(trading_partner)
        self.receive_rows([r for r in rows if r["code"] == "997"])
        bracket, cable, panel, gear = (
            self.line_of(order, code)
            for code in ("BRKT-050", "CABLE-2M", "PANEL-A3", "GEAR-200")
        )
        response = self.supplier_x12(
            trading_partner,
            "855",
            [
                ("BAK", "00", "AC", order.name, self.x12_date(0)),
                (
                    "PO1",
                    str(bracket.id),
                    10,
                    "EA",
                    Decimal("4.30"),
                    "",
                    "VP",
                    "BRKT-050",
                ),
                ("ACK", "IP", 10, "EA"),  # a price change within tolerance
                ("PO1", str(cable.id), 20, "EA", Decimal("3.95"), "", "VP", "CABLE-2M"),
                ("ACK", "DR", 20, "EA", "067", self.x12_date(12)),  # rescheduled
                (
                    "PO1",
                    str(panel.id),
                    2,
                    "EA",
                    Decimal("124.50"),
                    "",
                    "VP",
                    "PANEL-A3",
                ),
                ("ACK", "ID", 0, "EA"),  # deleted by the supplier
                ("PO1", str(gear.id), 4, "EA", Decimal("14.25"), "", "VP", "GEAR-200"),
                ("ACK", "IQ", 3, "EA"),  # quantity changed beyond tolerance
                ("CTT", 4),
            ],
        )
        self.assert_applied(self.receive(response, "855-statuses"))
        self.assertEqual((bracket.edi_status, bracket.price_unit), ("changed", 4.30))
        self.assertEqual(cable.edi_status, "changed")
        self.assertEqual(
            fields.Date.to_string(cable.date_planned.date()),
            fields.Date.to_string(fields.Date.today() + timedelta(days=12)),
        )
        self.assertEqual(panel.edi_status, "rejected")
        self.assertEqual((gear.edi_status, gear.edi_confirmed_qty), ("waiting", 3))
        self.assertEqual(order.edi_state, "changed")
        decision = self.open_exceptions("business_rule")
        self.assertEqual(len(decision), 1)
        self.assertIn("deleted by the supplier", decision.details)
        self.assertIn("confirms 3.0 of 4.0", decision.details)
        self.assertNotIn("BRKT", decision.details)

    def test_edifact_line_actions_and_backorders(self):
        trading_partner = self.make_trading_partner(
            "EURODIS", dialect="EDIFACT", our_qualifier="14"
        )
        order = self.place(
            trading_partner, [("BRKT-050", 10), ("CABLE-2M", 20), ("GEAR-200", 4)]
        )
        rows = self.mailbox(trading_partner)
        self.receive_rows([r for r in rows if r["code"] == "CONTRL"])
        bracket, cable, gear = (
            self.line_of(order, code) for code in ("BRKT-050", "CABLE-2M", "GEAR-200")
        )
        later = self.x12_date(9)
        response = self.supplier_edifact(
            trading_partner,
            [
                ("BGM", "231", "SO-1", "9", "AC"),
                ("DTM", ("137", self.x12_date(0), "102")),
                ("RFF", ("ON", order.name)),
                # Nothing now, all of it on its day: backordered, not refused.
                ("LIN", str(bracket.id), "", ("BRKT-050", "VP")),
                ("QTY", ("21", "10", "PCE")),
                ("QTY", ("113", "0", "PCE")),
                ("QTY", ("83", "10", "PCE")),
                ("DTM", ("67", later, "102")),
                ("LIN", str(cable.id), "5", ("CABLE-2M", "VP")),
                ("QTY", ("21", "20", "PCE")),
                ("LIN", str(gear.id), "7", ("GEAR-200", "VP")),
                ("QTY", ("21", "4", "PCE")),
                ("FTX", "AAO", "", "", "Discontinued"),
                ("UNS", "S"),
                ("CNT", ("2", "3")),
            ],
        )
        self.assert_applied(self.receive(response, "ordrsp-actions"))
        self.assertEqual(
            (bracket.edi_status, bracket.edi_backordered_qty), ("backordered", 10)
        )
        self.assertEqual(cable.edi_status, "accepted")
        self.assertEqual(gear.edi_status, "rejected")
        decision = self.open_exceptions("business_rule")
        self.assertEqual(len(decision), 1)
        self.assertIn("Discontinued", decision.details)
        self.assertNotIn("BRKT", decision.details)

    def test_supplier_answering_in_cases(self):
        case = self.env["uom.uom"].create(
            {
                "name": "Case of 12",
                "category_id": self.env.ref("uom.product_uom_categ_unit").id,
                "uom_type": "bigger",
                "factor_inv": 12,
            }
        )
        trading_partner = self.trading_partner
        self.env["integration.cross.reference"].create(
            {
                "endpoint_id": trading_partner.endpoint_id.id,
                "domain": "uom",
                "code_list": "X12",
                "res_id": case.id,
                "code": "CA",
            }
        )
        order = self.place(trading_partner, [("BRKT-050", 24)])
        rows = self.mailbox(trading_partner)
        self.receive_rows([r for r in rows if r["code"] == "997"])
        line = order.order_line
        self.assertEqual(line.product_uom, self.env.ref("uom.product_uom_unit"))
        response = self.supplier_x12(
            trading_partner,
            "855",
            [
                ("BAK", "00", "AD", order.name, self.x12_date(0)),
                ("PO1", str(line.id), 2, "CA", Decimal("49.80"), "", "VP", "BRKT-050"),
                ("ACK", "IA", 2, "CA"),
                ("CTT", 1),
            ],
        )
        self.assert_applied(self.receive(response, "855-cases"))
        self.assertEqual(line.edi_status, "accepted")
        self.assertEqual(line.edi_confirmed_qty, 24)
        self.assertAlmostEqual(line.edi_confirmed_price, 4.15)
        self.assertEqual(order.edi_state, "confirmed")
        # Two cases shipped and billed: 24 units received and billed at 4.15.
        notice = self.supplier_x12(
            trading_partner,
            "856",
            [
                ("BSN", "00", f"SHP-{order.name}", self.x12_date(0), "1200", "0004"),
                ("HL", "1", "", "S", "1"),
                ("TD5", "", "2", "UPSN", "M", "UPS"),
                ("REF", "CN", "1Z999"),
                ("DTM", "011", self.x12_date(0)),
                ("HL", "2", "1", "O", "1"),
                ("PRF", order.name),
                ("HL", "3", "2", "I", "0"),
                ("LIN", str(line.id), "VP", "BRKT-050"),
                ("SN1", "", 2, "CA"),
                ("CTT", 3),
            ],
        )
        self.assert_applied(self.receive(notice, "856-cases"))
        self.assertEqual(line.qty_received, 24)
        invoice = self.supplier_x12(
            trading_partner,
            "810",
            [
                ("BIG", self.x12_date(0), f"INV-{order.name}", "", order.name),
                ("CUR", "SE", "USD"),
                ("IT1", str(line.id), 2, "CA", Decimal("49.80"), "", "VP", "BRKT-050"),
                ("TDS", 9960),
                ("CTT", 1),
            ],
        )
        self.assert_applied(self.receive(invoice, "810-cases"))
        bill = order.invoice_ids
        self.assertEqual(bill.invoice_line_ids.quantity, 24)
        self.assertAlmostEqual(bill.invoice_line_ids.price_unit, 4.15)
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)

    @mute_logger("odoo.addons.distribution_integration_base.models.integration_message")
    def test_unit_without_mapping_is_refused(self):
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("BRKT-050", 24)])
        rows = self.mailbox(trading_partner)
        self.receive_rows([r for r in rows if r["code"] == "997"])
        line = order.order_line
        response = self.supplier_x12(
            trading_partner,
            "855",
            [
                ("BAK", "00", "AD", order.name, self.x12_date(0)),
                ("PO1", str(line.id), 1, "BX", Decimal("99.60"), "", "VP", "BRKT-050"),
                ("ACK", "IA", 1, "BX"),
                ("CTT", 1),
            ],
        )
        received = self.receive(response, "855-boxes")
        document = received.child_ids.filtered(lambda m: m.direction == "inbound")
        self.assertEqual(document.state, "rejected")
        self.assertIn("'BX'", document.last_error)
        self.assertIn("unit mapping", document.last_error)
        self.assertFalse(line.edi_status, "nothing of it was applied")
        self.assertTrue(self.open_exceptions("mapping"))


@tagged("post_install", "-at_install")
class TestEdiChangeAcknowledgements(SupplierDocumentsCase):
    # Goods leave an hour after the order: a change can still be honoured.
    mock_options = {"despatch_delay_ms": 3_600_000, "invoice_delay_ms": 3_600_000}

    def answered(self, trading_partner, order):
        """Apply what the mock answered so far (997, 855 or 865)."""
        rows = self.mailbox(trading_partner, advance=False)
        self.assertTrue(rows, self.mock.outbox()[-3:])
        self.receive_rows(rows)
        return rows

    def revise(self, order, **values):
        with self.jobs() as trap:
            if values:
                order.order_line[:1].write(values)
            else:
                order.button_cancel()
            self.env.cr.precommit.run()
            self.run_jobs(trap)
        sent = self.messages("edi-order-out", res_id=order.id)
        self.assertEqual(sent[-1].state, "sent", sent[-1].last_error)
        return sent[-1]

    def test_change_then_cancellation_x12(self):
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("BRKT-050", 10)])
        self.answered(trading_partner, order)
        self.assertEqual(order.edi_state, "confirmed")
        revision = self.revise(order, product_qty=12)
        self.assertIn(b"BEG*05*SA*", revision._get_payload())
        rows = self.answered(trading_partner, order)
        self.assertIn("865", [row["code"] for row in rows])
        self.assertEqual(order.edi_state, "change_accepted")
        self.assertEqual(order.order_line.edi_confirmed_qty, 12)
        self.assertFalse(self.open_exceptions("business_rule"))
        cancellation = self.revise(order)
        self.assertIn(b"BEG*01*SA*", cancellation._get_payload())
        self.answered(trading_partner, order)
        self.assertEqual(order.edi_state, "cancel_confirmed")
        self.assertFalse(self.open_exceptions("business_rule"))
        # No set of the supplier's was refused in our 997s.
        for message in self.messages("edi-ack-out"):
            self.assertNotIn(b"AK5*R", message._get_payload())

    def test_change_edifact(self):
        trading_partner = self.make_trading_partner(
            "EURODIS", dialect="EDIFACT", our_qualifier="14"
        )
        order = self.place(trading_partner, [("BRKT-050", 10)])
        self.answered(trading_partner, order)
        self.assertEqual(order.edi_state, "confirmed")
        self.revise(order, product_qty=14)
        self.answered(trading_partner, order)
        self.assertEqual(order.edi_state, "change_accepted")
        self.assertEqual(order.order_line.edi_confirmed_qty, 14)


@tagged("post_install", "-at_install")
class TestEdiRefusedChanges(SupplierDocumentsCase):
    def test_change_refused_after_invoicing(self):
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("BRKT-050", 10)])
        self.receive_rows(self.mailbox(trading_partner))
        self.assertEqual(order.order_line.qty_invoiced, 10)
        with self.jobs() as trap:
            order.order_line.product_qty = 12
            self.env.cr.precommit.run()
            self.run_jobs(trap)
        self.receive_rows(self.mailbox(trading_partner))
        self.assertEqual(order.edi_state, "change_rejected")
        refusal = self.open_exceptions("business_rule")
        self.assertEqual(len(refusal), 1)
        self.assertIn("revision 1", refusal.name)

    def test_cancellation_refused_once_shipped(self):
        trading_partner = self.trading_partner
        order = self.place(trading_partner, [("CABLE-2M", 5)])
        # The supplier shipped at once; Odoo has not seen the ship notice.
        self.receive_rows(self.mailbox(trading_partner), skip=("856", "810"))
        with self.jobs() as trap:
            order.button_cancel()
            self.env.cr.precommit.run()
            self.run_jobs(trap)
        self.receive_rows(self.mailbox(trading_partner), skip=("856", "810"))
        self.assertEqual(order.edi_state, "cancel_rejected")
        refusal = self.open_exceptions("business_rule")
        self.assertEqual(len(refusal), 1)
        self.assertIn("refused to cancel", refusal.name)


@tagged("post_install", "-at_install")
class TestEdiInvoiceWindow(SupplierDocumentsCase):
    def invoice_window(self, order):
        return self.env["integration.expectation"].search(
            [
                ("res_model", "=", "purchase.order"),
                ("res_id", "=", order.id),
                ("kind", "=", "edi_invoice"),
            ]
        )

    def test_goods_received_and_no_invoice(self):
        trading_partner = self.trading_partner
        trading_partner.invoice_window_minutes = 90
        order = self.place(trading_partner, [("BRKT-050", 6)], behaviour="no-invoice")
        self.receive_rows(self.mailbox(trading_partner))
        self.assertEqual(order.order_line.qty_received, 6)
        self.assertFalse(order.invoice_ids)
        receipt = order.picking_ids.filtered(lambda p: p.state == "done")
        window = self.invoice_window(order)
        self.assertEqual(window.state, "open")
        self.assertAlmostEqual(
            window.due_at,
            receipt.date_done + timedelta(minutes=90),
            delta=timedelta(minutes=1),
        )
        self.assertEqual(window.endpoint_id, trading_partner.endpoint_id)
        # Its buyer works the exception.
        order.user_id = new_test_user(
            self.env, "invoice_window_buyer", groups="purchase.group_purchase_user"
        )
        monitor = self.env["integration.expectation"]
        monitor._cron_raise_late(now=window.due_at - timedelta(seconds=1))
        self.assertFalse(self.open_exceptions("sla"), "the window is still open")
        # The window runs out (the monitor is told the time, not waited for).
        later = window.due_at + timedelta(minutes=1)
        monitor._cron_raise_late(now=later)
        monitor._cron_raise_late(now=later + timedelta(hours=1))
        missing = self.open_exceptions("sla")
        self.assertEqual(len(missing), 1, "one exception, however often it runs")
        self.assertEqual(window.exception_id, missing)
        self.assertIn("No invoice", missing.name)
        self.assertIn("90 minutes", missing.name)
        self.assertIn(order.name, missing.name)
        self.assertIn("6.0 received, 0.0 invoiced", missing.details)
        self.assertEqual(missing.user_id, order.user_id)
        # The order counts it, and its buttons open exactly what they count.
        self.assertEqual(order.integration_exception_count, 1)
        self.assertEqual(order.integration_expectation_count, 1)
        opened = self.env["integration.exception"].search(
            order.action_open_integration_exceptions()["domain"]
        )
        self.assertEqual(opened, missing)
        opened = self.env["integration.expectation"].search(
            order.action_open_integration_expectations()["domain"]
        )
        self.assertEqual(opened, window)
        # The invoice arrives at last: the exception closes itself.
        self.mock.expect(
            "POST",
            "/_mock/send",
            {
                "partner": trading_partner.our_interchange_id,
                "kind": "invoice",
                "po": order.name,
            },
            status=201,
        )
        self.receive_rows(self.mailbox(trading_partner))
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(missing.state, "resolved")
        self.assertEqual(window.state, "met")
        monitor._cron_raise_late(now=later + timedelta(days=1))
        self.assertFalse(self.open_exceptions("sla"))

    def test_nothing_missing_when_the_window_runs_out(self):
        trading_partner = self.trading_partner
        trading_partner.invoice_window_minutes = 90
        order = self.place(trading_partner, [("BRKT-050", 6)], behaviour="no-invoice")
        self.receive_rows(self.mailbox(trading_partner))
        window = self.invoice_window(order)
        self.assertEqual(window.state, "open")
        # Every received line billed another way (no bill was created, which
        # would have closed the window at once).
        order.order_line.write({"qty_invoiced": 6})
        self.env["integration.expectation"]._cron_raise_late(
            now=window.due_at + timedelta(minutes=1)
        )
        self.assertEqual(window.state, "met")
        self.assertFalse(window.exception_id)
        self.assertFalse(self.open_exceptions("sla"))
