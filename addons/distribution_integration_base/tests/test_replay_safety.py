from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..kernel import errors
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestReplaySafety(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.worker = new_test_user(
            cls.env,
            "replay_worker",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )

    def failed_message(self, error, payload):
        # The failure is recorded as an attempt would (no partner needed here).
        with self.jobs():
            message = self.send_order(payload)
            message._claim_attempt()
            message._record_failure(error)
        return message

    def retrying_message(self):
        message = self.failed_message(
            errors.TransientError("HTTP 503 from the partner"), {"order": "PO7"}
        )
        self.assertEqual(message.state, "retrying")
        return message

    def dead_message(self):
        message = self.failed_message(
            errors.PermanentError("HTTP 400: bad price", category="validation"),
            {"order": "PO8", "price": "1,00"},
        )
        self.assertEqual(message.state, "dead")
        return message

    def test_replay_is_refused_while_the_original_is_live(self):
        message = self.retrying_message()
        exception = message._raise_exception("sla", "PO7 is late")
        with self.assertRaisesRegex(UserError, "still live"):
            message.action_replay()
        with self.assertRaisesRegex(UserError, "still live"):
            exception.with_user(self.worker).action_replay()
        with self.assertRaisesRegex(UserError, "still live"):
            exception.action_edit_payload()
        wizard = self.env["integration.payload.edit"].create(
            {"exception_id": exception.id, "payload": '{"order": "PO7"}', "reason": "x"}
        )
        with self.assertRaisesRegex(UserError, "still live"):
            wizard.action_replay()
        self.assertFalse(message.child_ids)
        # Once cancelled, the original can no longer go out: replay is safe.
        message.action_cancel()
        with self.jobs():
            replay = message.action_replay()
        self.assertEqual(message.child_ids.id, replay["res_id"])

    def test_replay_is_refused_while_an_earlier_replay_is_live(self):
        message = self.dead_message()
        exception = message.exception_ids
        with self.jobs():
            exception.with_user(self.worker).action_replay()
        first = message.child_ids
        self.assertEqual(first.state, "queued")
        with self.assertRaisesRegex(UserError, f"already replayed as {first.name}"):
            exception.with_user(self.worker).action_replay()
        with self.assertRaisesRegex(UserError, "still live"):
            message.action_replay()
        first.action_cancel()
        with self.jobs():
            message.action_replay()
        self.assertEqual(len(message.child_ids), 2)

    def test_edited_json_must_parse_before_replay(self):
        message = self.dead_message()
        exception = message.exception_ids
        wizard = self.env["integration.payload.edit"].create(
            {
                "exception_id": exception.id,
                "payload": '{"order": "PO8", "price": 1.00',
                "reason": "Fix the price",
            }
        )
        with self.assertRaisesRegex(UserError, "not valid JSON"):
            wizard.action_replay()
        self.assertFalse(message.child_ids)
        wizard.payload = '{"order": "PO8", "price": 1.00}'
        with self.jobs():
            wizard.action_replay()
        self.assertEqual(message.child_ids.payload_edited_from_id, message)

    def test_payload_validation_per_content_type(self):
        validate = self.env["integration.message"]._validate_payload
        validate(b'{"a": [1, 2]}', "application/json; charset=utf-8")
        validate(b'{"a": 1}', "application/vnd.api+json")
        with self.assertRaisesRegex(UserError, "not valid JSON"):
            validate(b"{'a': 1}", "application/json")
        with self.assertRaisesRegex(UserError, "nested too deeply"):
            validate(b"[" * 100000 + b"]" * 100000, "application/json")
        with self.assertRaisesRegex(UserError, "not UTF-8"):
            validate(b'{"a": "\xff"}', "application/json")
        validate(b"<order><id>1</id></order>", "application/xml")
        with self.assertRaisesRegex(UserError, "not well-formed XML"):
            validate(b"<order><id>1</order>", "text/xml")
        validate(b"anything at all", "application/octet-stream")

    def test_users_see_the_cause_and_managers_the_traceback(self):
        with self.jobs():
            message = self.send_order({"order": "PO9"})
        try:
            {}["carrier_code"]  # an unexpected error in a handler
        except KeyError as exc:
            error = errors.classify_exception(exc)
        message._record_failure(error)
        self.assertEqual(message.state, "dead")
        as_user = message.with_user(self.worker)
        self.assertEqual(as_user.last_error, "KeyError: 'carrier_code'")
        exception = message.exception_ids.with_user(self.worker)
        self.assertNotIn("Traceback", exception.details)
        self.assertNotIn(".py", exception.details)
        for record, field in (
            (as_user, "last_error_details"),
            (exception, "traceback"),
        ):
            with self.assertRaises(AccessError):
                record.read([field])
        manager = new_test_user(
            self.env,
            "replay_manager",
            groups="base.group_user,distribution_integration_base.group_integration_manager",
        )
        self.assertIn("Traceback", message.with_user(manager).last_error_details)
        self.assertIn("KeyError", message.exception_ids.with_user(manager).traceback)

    def test_last_error_is_one_line(self):
        with self.jobs():
            message = self.send_order({"order": "PO10"})
        message._record_failure(
            errors.PermanentError(
                "The partner refused PO10\nline 2 of its answer",
                category="validation",
                details="<error><code>E42</code></error>",
            )
        )
        self.assertEqual(message.last_error, "The partner refused PO10")
        self.assertIn("E42", message.last_error_details)
        self.assertIn("E42", message.exception_ids.details)  # the partner's answer
