"""A reply expected by a deadline: raised once when late, closed by the reply."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import IntegrationCase

# Deadlines are fixed and the monitor is told the time: nothing here depends on
# today's date. In the past, so that expectations of the demo data (due from
# today on) are never late in these runs.
NOON = datetime(2001, 1, 15, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestExpectations(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = new_test_user(
            cls.env,
            "expectation_buyer",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        cls.endpoint.user_id = cls.buyer
        cls.expectations = cls.env["integration.expectation"]
        cls.document = cls.env["res.partner"].create({"name": "Waiting customer"})

    def sent(self):
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        return message

    def late_run(self, minutes=1):
        return self.expectations._cron_raise_late(now=NOON + timedelta(minutes=minutes))

    def test_late_reply_raises_exactly_one_exception(self):
        message = self.sent()
        expectation = self.expectations._expect(
            self.document,
            "acknowledgement",
            NOON,
            message=message,
            description="No answer from the partner for the waiting customer",
        )
        self.assertEqual(expectation.state, "open")
        self.assertEqual(expectation.company_id, message.company_id)
        self.assertEqual(expectation.endpoint_id, self.endpoint)
        # In time: nothing.
        self.assertFalse(self.late_run(minutes=-1))
        self.assertFalse(message.exception_ids)
        # Late: one exception, however often the monitor runs.
        self.assertEqual(self.late_run(), expectation)
        self.assertFalse(self.late_run(minutes=5))
        self.assertFalse(self.late_run(minutes=500))
        exception = expectation.exception_id
        self.assertEqual(message.exception_ids, exception)
        self.assertEqual(expectation.state, "late")
        self.assertEqual(expectation.late_at, NOON + timedelta(minutes=1))
        # Routed as every exception: category, severity, document, assignee.
        self.assertEqual(exception.name, expectation.description)
        self.assertEqual(exception.category, "sla")
        self.assertEqual(exception.severity, "high")
        self.assertEqual(exception.endpoint_id, self.endpoint)
        self.assertEqual(exception._document(), self.document)
        self.assertEqual(exception.user_id, self.buyer)
        self.assertEqual(exception.state, "new")

    def test_reply_closes_the_expectation_and_its_exception(self):
        message = self.sent()
        expectation = self.expectations._expect(
            self.document, "acknowledgement", NOON, message=message
        )
        self.late_run()
        reply = self.dispatch._receive(
            self.flow_in, self.endpoint, {"ref": "CUST-REPLY", "name": "Reply"}
        )
        self.assertEqual(
            self.expectations._fulfil(self.document, "acknowledgement", message=reply),
            expectation,
        )
        self.assertEqual(expectation.state, "met")
        self.assertEqual(expectation.closed_by_message_id, reply)
        self.assertTrue(expectation.closed_at)
        self.assertEqual(expectation.exception_id.state, "resolved")
        # Nothing left to close, nothing left to raise.
        self.assertFalse(self.expectations._fulfil(self.document, "acknowledgement"))
        self.assertFalse(self.late_run(minutes=60))

    def test_an_expectation_still_waiting_keeps_its_deadline(self):
        first = self.expectations._expect(self.document, "acknowledgement", NOON)
        again = self.expectations._expect(
            self.document, "acknowledgement", NOON + timedelta(hours=3)
        )
        self.assertEqual(again, first)
        self.assertEqual(first.due_at, NOON)
        self.late_run()
        self.assertEqual(first.state, "late")
        # Still waiting when late: expecting again does not start a second one.
        self.assertEqual(
            self.expectations._expect(self.document, "acknowledgement", NOON), first
        )
        self.expectations._fulfil(self.document, "acknowledgement")
        fresh = self.expectations._expect(
            self.document, "acknowledgement", NOON + timedelta(hours=1)
        )
        self.assertNotEqual(fresh, first)
        self.assertEqual(fresh.state, "open")

    def test_without_a_message_the_exception_goes_to_the_endpoint(self):
        expectation = self.expectations._expect(
            self.document, "acknowledgement", NOON, endpoint=self.endpoint
        )
        self.late_run()
        exception = expectation.exception_id
        self.assertTrue(exception)
        self.assertFalse(exception.message_id)
        self.assertEqual(exception.endpoint_id, self.endpoint)
        self.assertEqual(exception.company_id, self.company)
        self.assertEqual(exception.user_id, self.buyer)
        self.assertEqual(exception._document(), self.document)
        self.expectations._withdraw(self.document, "acknowledgement")
        self.assertEqual(expectation.state, "cancelled")
        self.assertEqual(exception.state, "resolved")

    def test_stop_waiting_by_hand(self):
        expectation = self.expectations._expect(
            self.document, "acknowledgement", NOON, endpoint=self.endpoint
        )
        self.late_run()
        expectation.with_user(self.buyer).action_cancel()
        self.assertEqual(expectation.state, "cancelled")
        self.assertEqual(expectation.exception_id.state, "resolved")
        with self.assertRaisesRegex(UserError, "already closed"):
            expectation.with_user(self.buyer).action_cancel()

    def test_other_companies_expectations_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Co (expect)"})
        theirs = self.expectations.create(
            {
                "description": "Their reply",
                "kind": "acknowledgement",
                "company_id": other.id,
                "due_at": NOON,
            }
        )
        ours = self.expectations._expect(self.document, "acknowledgement", NOON)
        visible = self.expectations.with_user(self.buyer).search(
            [("id", "in", (theirs | ours).ids)]
        )
        self.assertEqual(visible, ours)
        with self.assertRaises(AccessError):
            theirs.with_user(self.buyer).action_cancel()
        internal = new_test_user(self.env, "expectation_internal")
        with self.assertRaises(AccessError):
            ours.with_user(internal).read(["state"])

    def test_the_monitor_is_scheduled(self):
        cron = self.env.ref(
            "distribution_integration_base.ir_cron_integration_expectation_monitor"
        )
        self.assertTrue(cron.active)
        self.assertEqual(cron.model_id.model, "integration.expectation")
        self.assertEqual(cron.code, "model._cron_raise_late()")
        # Run as the scheduler does, at the real time: NOON is long past.
        expectation = self.expectations._expect(
            self.document, "acknowledgement", NOON, endpoint=self.endpoint
        )
        cron.method_direct_trigger()
        self.assertEqual(expectation.state, "late")
        self.assertEqual(len(expectation.exception_id), 1)
