import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestEdiInterchangeProfile(TransactionCase):
    """Envelope settings live on an interchange profile; the trading partner
    keeps the supplier's own settings and edits its profile's fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.supplier = cls.env["res.partner"].create(
            {"name": "Profile Supplier", "is_company": True}
        )
        cls.endpoint = cls.env["integration.endpoint"].create(
            {
                "name": "Profile supplier EDI",
                "code": "profile-supplier",
                "kind": "supplier_edi",
                "environment": "production",
            }
        )

    def make_partner(self, our_id, **values):
        return self.env["edi.trading.partner"].create(
            dict(
                {
                    "partner_id": self.supplier.id,
                    "endpoint_id": self.endpoint.id,
                    "dialect": "X12",
                    "our_interchange_id": our_id,
                    "partner_interchange_id": "PROFILESUP",
                },
                **values,
            )
        )

    def test_partner_creates_and_edits_its_own_profile(self):
        trading_partner = self.make_partner("US1", x12_version="005010")
        profile = trading_partner.profile_id
        self.assertEqual(profile.our_interchange_id, "US1")
        self.assertEqual(profile.x12_version, "005010")
        self.assertEqual(profile.company_id, trading_partner.company_id)
        self.assertTrue(profile.interchange_sequence_id)
        # The supplier's own settings stay on the trading partner.
        self.assertNotIn("receipt_policy", profile._fields)
        trading_partner.element_separator = "|"
        self.assertEqual(profile.element_separator, "|")
        with self.assertRaises(ValidationError), self.cr.savepoint():
            trading_partner.segment_terminator = "|"  # same as the element separator
        # Envelope checks are the profile's: it refuses the same as before.
        with (
            self.assertRaisesRegex(ValidationError, "at most 15 characters"),
            self.cr.savepoint(),
        ):
            profile.our_interchange_id = "X" * 16

    def test_envelope_and_control_numbers_come_from_the_profile(self):
        trading_partner = self.make_partner("US2")
        first = trading_partner._envelope()
        second = trading_partner._envelope()
        self.assertEqual(first.sender_id, "US2")
        self.assertEqual(first.receiver_id, "PROFILESUP")
        self.assertEqual(second.control_number, first.control_number + 1)
        # A production endpoint sends production interchanges...
        self.assertFalse(first.test)
        # ...unless the profile says otherwise.
        trading_partner.test_indicator_policy = "test"
        self.assertTrue(trading_partner.test_indicator)
        self.assertTrue(trading_partner._envelope().test)

    def test_two_partners_may_share_a_profile_and_its_numbers(self):
        first = self.make_partner("US3")
        second = self.env["edi.trading.partner"].create(
            {
                "partner_id": self.supplier.id,
                "endpoint_id": self.endpoint.id,
                "profile_id": first.profile_id.id,
                "send_orders": False,
            }
        )
        self.assertEqual(second.our_interchange_id, "US3")
        number = first._envelope().control_number
        self.assertEqual(second._envelope().control_number, number + 1)
        self.assertEqual(first.profile_id.trading_partner_ids, first | second)

    def test_identities_are_unique_per_company(self):
        self.make_partner("US4")
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.make_partner("US4")
            self.env.flush_all()
