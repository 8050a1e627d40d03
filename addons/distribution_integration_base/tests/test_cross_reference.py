import datetime

import psycopg2

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

# Fixed dates: the mappings' validity never depends on when the tests run.
JAN_1 = datetime.date(2031, 1, 1)
JUN_30 = datetime.date(2031, 6, 30)
JUL_1 = datetime.date(2031, 7, 1)
DEC_31 = datetime.date(2031, 12, 31)


@tagged("post_install", "-at_install")
class TestCrossReference(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Endpoint = cls.env["integration.endpoint"]
        cls.endpoint = Endpoint.create(
            {"name": "Warehouse A", "code": "xref-a", "kind": "other"}
        )
        cls.other_endpoint = Endpoint.create(
            {"name": "Warehouse B", "code": "xref-b", "kind": "other"}
        )
        cls.acme, cls.globex = cls.env["res.partner"].create(
            [{"name": "Acme (xref)"}, {"name": "Globex (xref)"}]
        )
        cls.XRef = cls.env["integration.cross.reference"]

    def map(self, record, code, endpoint=None, **values):
        return self.XRef.create(
            dict(
                {
                    "endpoint_id": (self.endpoint if endpoint is None else endpoint).id,
                    "domain": "partner",
                    "res_id": record.id,
                    "code": code,
                },
                **values,
            )
        )

    def test_both_directions_on_a_date(self):
        self.map(self.acme, "C-100", date_to=JUN_30)
        self.map(self.acme, "C-200", date_from=JUL_1)
        to_external = self.XRef._to_external
        self.assertEqual(
            to_external(self.endpoint, "partner", self.acme, on_date=JUN_30), "C-100"
        )
        self.assertEqual(
            to_external(self.endpoint, "partner", self.acme, on_date=JUL_1), "C-200"
        )
        to_internal = self.XRef._to_internal
        self.assertEqual(
            to_internal(self.endpoint, "partner", "C-100", on_date=JAN_1), self.acme
        )
        # C-100 ended on June 30th: it names nothing afterwards.
        self.assertFalse(to_internal(self.endpoint, "partner", "C-100", on_date=DEC_31))
        self.assertEqual(
            to_internal(self.endpoint, "partner", " C-200 ", DEC_31), self.acme
        )
        # Another endpoint knows none of these codes.
        self.assertFalse(
            to_external(self.other_endpoint, "partner", self.acme, on_date=JAN_1)
        )
        self.assertEqual(
            to_internal(self.other_endpoint, "partner", "C-100", JAN_1)._name,
            "res.partner",
        )

    def test_overlapping_mappings_are_refused(self):
        self.map(self.acme, "C-100", date_from=JAN_1, date_to=JUN_30)
        # The same record, another code, overlapping period.
        with self.assertRaisesRegex(ValidationError, "overlaps"), self.cr.savepoint():
            self.map(self.acme, "C-101", date_from=JUN_30)
        # The same code for another record, open start.
        with self.assertRaisesRegex(ValidationError, "overlaps"), self.cr.savepoint():
            self.map(self.globex, "C-100", date_to=JAN_1)
        # Back to back is fine, and so is another endpoint.
        self.map(self.acme, "C-101", date_from=JUL_1)
        self.map(self.globex, "C-100", endpoint=self.other_endpoint)
        # An archived mapping no longer conflicts.
        old = self.map(self.globex, "G-1", date_to=JAN_1 - datetime.timedelta(days=1))
        old.active = False
        self.map(self.globex, "G-2", date_to=JUN_30)

    def test_period_must_be_ordered(self):
        with (
            self.assertRaises(psycopg2.errors.CheckViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.map(self.acme, "C-1", date_from=JUL_1, date_to=JUN_30)
            self.env.flush_all()

    def test_endpoint_mapping_wins_over_the_standard_list(self):
        self.map(self.acme, "STD-A", endpoint=self.env["integration.endpoint"])
        self.XRef.create(
            {
                "domain": "partner",
                "code_list": "DUNS",
                "res_id": self.acme.id,
                "code": "DUNS-A",
            }
        )
        to_external = self.XRef._to_external
        self.assertEqual(to_external(self.endpoint, "partner", self.acme), "STD-A")
        self.assertEqual(
            to_external(self.endpoint, "partner", self.acme, code_list="DUNS"),
            "DUNS-A",
        )
        self.map(self.acme, "OWN-A", code_list="DUNS")
        self.assertEqual(
            to_external(self.endpoint, "partner", self.acme, code_list="DUNS"), "OWN-A"
        )
        self.assertEqual(
            to_external(self.other_endpoint, "partner", self.acme, code_list="DUNS"),
            "DUNS-A",
        )

    def test_codes_of_many_records_read_at_once(self):
        initech = self.env["res.partner"].create({"name": "Initech (xref)"})
        self.map(self.acme, "STD-A", endpoint=self.env["integration.endpoint"])
        self.map(self.acme, "OWN-A")
        self.map(self.globex, "STD-G", endpoint=self.env["integration.endpoint"])
        self.map(initech, "OLD-I", date_to=JUN_30)
        partners = self.acme | self.globex | initech
        self.env.flush_all()
        self.env.invalidate_all()
        # One search and the read of what it found, however many records.
        with self.assertQueryCount(2):
            codes = self.XRef._to_external_many(
                self.endpoint, "partner", partners, on_date=JUL_1
            )
        # The endpoint's own code wins, the standard list fills in, an ended
        # mapping names nothing: the same answers as one record at a time.
        self.assertEqual(codes, {self.acme.id: "OWN-A", self.globex.id: "STD-G"})
        for partner in partners:
            self.assertEqual(
                self.XRef._to_external(
                    self.endpoint, "partner", partner, on_date=JUL_1
                ),
                codes.get(partner.id, False),
            )
        self.assertEqual(
            self.XRef._to_external_many(self.endpoint, "partner", initech.browse()), {}
        )

    def test_set_external_changes_the_current_mapping_with_tracking(self):
        mapping = self.XRef._set_external(self.endpoint, "partner", self.acme, "A-1")
        self.assertEqual(mapping.code, "A-1")
        self.env.cr.precommit.run()  # as if created in an earlier transaction
        self.assertEqual(
            self.XRef._set_external(self.endpoint, "partner", self.acme, "A-2"),
            mapping,
        )
        self.env.cr.precommit.run()  # tracking values are written at commit
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", mapping._name),
                ("mail_message_id.res_id", "=", mapping.id),
                ("field_id.name", "=", "code"),
            ]
        )
        self.assertEqual(tracked.old_value_char, "A-1")
        self.assertEqual(tracked.new_value_char, "A-2")
        self.XRef._set_external(self.endpoint, "partner", self.acme, "")
        self.assertFalse(mapping.active)
        self.assertFalse(self.XRef._to_external(self.endpoint, "partner", self.acme))

    def test_record_must_exist_and_match_the_domain(self):
        with (
            self.assertRaisesRegex(ValidationError, "choose the Odoo record"),
            self.cr.savepoint(),
        ):
            self.map(self.env["res.partner"].browse(10**9), "GONE")
        mapping = self.map(self.acme, "C-1")
        self.assertEqual(mapping.res_model, "res.partner")
        self.assertIn("C-1", mapping.display_name)
        self.assertIn("Acme (xref)", mapping.display_name)

    def test_multi_company_rule_and_rights(self):
        other_company = self.env["res.company"].create({"name": "Other Co (xref)"})
        foreign_endpoint = self.env["integration.endpoint"].create(
            {
                "name": "Foreign",
                "code": "xref-foreign",
                "kind": "other",
                "company_id": other_company.id,
            }
        )
        mine = self.map(self.acme, "MINE")
        foreign = self.map(self.acme, "THEIRS", endpoint=foreign_endpoint)
        standard = self.map(self.acme, "STD", endpoint=self.env["integration.endpoint"])
        user = new_test_user(
            self.env,
            "xref_user",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        visible = self.XRef.with_user(user).search([("res_id", "=", self.acme.id)])
        self.assertIn(mine, visible)
        self.assertIn(standard, visible)
        self.assertNotIn(foreign, visible)
        with self.assertRaises(AccessError):
            mine.with_user(user).code = "CHANGED"
