"""Purchase orders as 850 / ORDERS: content, revisions, control numbers."""

import warnings

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import EdiCase

try:
    from pydifact.segmentcollection import Interchange as PydifactInterchange
except ImportError:
    PydifactInterchange = None


@tagged("post_install", "-at_install")
class TestEdiOutbound(EdiCase):
    def test_confirmed_order_queues_one_clean_850(self):
        order = self.create_order([("BRKT-050", 10), ("CABLE-2M", 25)])
        message = self.messages("edi-order-out", res_id=order.id)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.idempotency_key, f"{order.name}:revision-0")
        self.assertEqual(order.edi_state, "queued")
        payload = message._get_payload()
        self.assert_clean_for_mock(payload)
        self.assertIn(b"BEG*00*SA*" + order.name.encode(), payload)
        self.assertIn(b"*VP*BRKT-050*UP*076123400041", payload)
        self.assertIn(b"*T*>", payload, "a test endpoint sends test interchanges")
        (document,) = order.edi_document_ids
        self.assertEqual(document.code, "850")
        self.assertEqual(document.ack_state, "pending")
        self.assertEqual(document.message_id, message)
        self.assertIn(
            f"*{int(document.interchange_control_number):09d}*".encode(), payload
        )

    def test_unchanged_order_is_not_sent_again_and_a_change_is_a_revision(self):
        order = self.create_order([("BRKT-050", 10)])
        order._edi_send_order()
        self.assertEqual(len(self.messages("edi-order-out")), 1)
        order.order_line.product_qty = 12
        order.order_line.price_unit = 4.15
        self.env.cr.precommit.run()
        first, revised = self.messages("edi-order-out")
        self.assertEqual(revised.idempotency_key, f"{order.name}:revision-1")
        self.assertEqual(order.edi_revision, 1)
        payload = revised._get_payload()
        self.assertIn(b"BEG*05*SA*", payload)
        self.assertIn(b"PO1*%d*12*EA*4.15" % order.order_line.id, payload)
        self.assert_clean_for_mock(payload)
        numbers = order.edi_document_ids.mapped(
            lambda d: (d.interchange_control_number, d.set_control_number)
        )
        self.assertEqual(len(set(numbers)), 2, "control numbers never repeat")
        # The original stays as it was sent: nothing is overwritten.
        self.assertIn(b"BEG*00*SA*", first._get_payload())

    def test_cancelling_a_sent_order_tells_the_supplier(self):
        self.mock.behaviour("ACME", "no-ack")  # the order stays open at the supplier
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 7)])
            self.run_jobs(trap)
            self.assertEqual(self.mock.order(order.name)["status"], "received")
            order.button_cancel()
            self.env.cr.precommit.run()
            self.run_jobs(trap)
        original, cancellation = self.messages("edi-order-out")
        self.assertEqual(cancellation.state, "sent", cancellation.last_error)
        self.assertEqual(cancellation.idempotency_key, f"{order.name}:revision-1")
        self.assertIn(b"BEG*01*SA*" + order.name.encode(), cancellation._get_payload())
        self.assert_clean_for_mock(cancellation._get_payload())
        self.assertEqual(self.mock.order(order.name)["status"], "cancelled")
        # A draft that was never sent is cancelled quietly.
        draft = self.create_order([("BRKT-050", 1)], confirm=False)
        draft.button_cancel()
        self.env.cr.precommit.run()
        self.assertEqual(len(self.messages("edi-order-out")), 2)

    def test_production_endpoint_sends_production_interchanges(self):
        self.endpoint.environment = "production"
        payload = self.messages(
            "edi-order-out", res_id=self.create_order([("BRKT-050", 1)]).id
        )._get_payload()
        self.assertIn(b"*P*>", payload)

    def test_edifact_order_is_clean_and_parses_with_pydifact(self):
        trading_partner = self.make_trading_partner(
            "EURODIS", dialect="EDIFACT", our_qualifier="14"
        )
        self.use_partner(trading_partner)
        order = self.create_order([("BRKT-050", 3), ("PANEL-A3", 2)])
        payload = self.messages("edi-order-out", res_id=order.id)._get_payload()
        self.assert_clean_for_mock(payload)
        self.assertIn(b"BGM+220+" + order.name.encode() + b"+9'", payload)
        self.assertIn(b"QTY+21:3:PCE'", payload)
        if PydifactInterchange is not None:
            with warnings.catch_warnings():
                # pydifact ships no XML directory for D.96A and says so.
                warnings.simplefilter("ignore")
                parsed = PydifactInterchange.from_str(payload.decode("latin-1"))
            tags = [segment.tag for segment in parsed.segments]
            self.assertEqual(tags[:2], ["UNH", "BGM"])

    def test_missing_unit_code_is_a_clear_error(self):
        uom_dozen = self.env.ref("uom.product_uom_dozen")
        self.env["integration.cross.reference"].search(
            [("domain", "=", "uom"), ("res_id", "=", uom_dozen.id)]
        ).unlink()
        order = self.create_order([("BRKT-050", 1)], confirm=False)
        order.order_line.product_uom = uom_dozen
        order.button_confirm()
        with self.assertRaisesRegex(UserError, "No X12 unit code for 'Dozens'"):
            self.env.cr.precommit.run()

    def test_product_without_any_identifier_is_a_clear_error(self):
        product = self.products["BRKT-050"]
        product.write({"barcode": False, "default_code": False})
        product.seller_ids.product_code = False
        self.create_order([("BRKT-050", 1)], confirm=False).button_confirm()
        with self.assertRaisesRegex(UserError, "neither a supplier product code"):
            self.env.cr.precommit.run()

    def test_supplier_without_edi_is_untouched(self):
        self.trading_partner.send_orders = False
        order = self.create_order([("BRKT-050", 1)])
        self.assertEqual(order.edi_state, "none")
        self.assertFalse(self.messages("edi-order-out"))

    def test_trading_partner_settings_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "at most 15 characters"):
            self.make_trading_partner("A-NAME-FAR-TOO-LONG-FOR-ISA06")
        with self.assertRaisesRegex(ValidationError, "host key"):
            self.endpoint.write(
                {
                    "protocol": "sftp",
                    "sftp_host": "127.0.0.1",
                    "outbox_path": "/out",
                    "inbox_path": "/in",
                }
            )
        with self.assertRaises(ValidationError):
            self.trading_partner.element_separator = "~"  # same as the terminator

    def test_edited_payload_is_checked_by_the_codec_before_replay(self):
        order = self.create_order([("BRKT-050", 10)])
        message = self.messages("edi-order-out", res_id=order.id)
        payload = message._get_payload()
        validate = self.env["integration.message"]._validate_payload
        validate(payload, message.content_type)  # what we send reads clean
        truncated = payload[: payload.index(b"IEA*")]
        for bad, reason in (
            (truncated, "would be refused"),
            (b"ISA*garbage~", "not a readable X12"),
            (b"", "holds no X12"),
        ):
            with self.assertRaisesRegex(UserError, reason):
                validate(bad, message.content_type)
        with self.assertRaisesRegex(UserError, "carries EDIFACT"):
            validate(payload, "application/edifact")
        # Edit-and-replay goes through the same check.
        message.action_cancel()
        with self.assertRaisesRegex(UserError, "would be refused"):
            message._replay(truncated, edited=True)
        self.assertFalse(message.child_ids)

    def test_edited_edifact_payload_is_checked_by_the_codec(self):
        trading_partner = self.make_trading_partner(
            "EURODIS", dialect="EDIFACT", our_qualifier="14"
        )
        self.use_partner(trading_partner)
        order = self.create_order([("BRKT-050", 10)])
        message = self.messages("edi-order-out", res_id=order.id)
        self.assertEqual(message.content_type, "application/edifact")
        payload = message._get_payload()
        validate = self.env["integration.message"]._validate_payload
        validate(payload, message.content_type)
        with self.assertRaisesRegex(UserError, "would be refused"):
            validate(payload[: payload.index(b"UNZ+")], message.content_type)
