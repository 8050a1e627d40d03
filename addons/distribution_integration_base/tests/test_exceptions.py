from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestExceptionQueue(IntegrationCase):
    def dead_message(self, payload=None):
        self.peer.script = [{"status": 400, "body": "bad price"}]
        with self.jobs() as trap:
            message = self.send_order(payload or {"order": "PO9", "price": "1,00"})
            self.run_jobs(trap)
        self.assertEqual(message.state, "dead")
        return message

    def test_replay_sends_the_original_payload_as_a_linked_message(self):
        message = self.dead_message()
        exception = message.exception_ids
        with self.jobs() as trap:
            exception.action_replay()
            self.run_jobs(trap)
        replay = message.child_ids
        self.assertEqual(len(replay), 1)
        self.assertEqual(replay.state, "sent")
        self.assertEqual(replay.correlation_id, message.correlation_id)
        self.assertEqual(replay.payload_sha256, message.payload_sha256)
        self.assertEqual(self.peer.requests[-1]["body"], message._get_payload())
        self.assertEqual(exception.state, "in_progress")

    def test_automatic_event_in_the_chatter_is_odoobots(self):
        """Jobs run as whoever enqueued them: their notes must not read as that
        person's doing."""
        user = new_test_user(
            self.env,
            "chatter_clerk",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        exception = self.dead_message().exception_ids.with_user(user)
        logged = exception._integration_log_event("The partner answered.")
        posted = exception._integration_log_event(
            "The partner answered again.", subtype_xmlid="mail.mt_note"
        )
        own = exception._message_log(body="Looked at it.")
        odoobot = self.env.ref("base.partner_root")
        self.assertEqual(logged.author_id, odoobot)
        self.assertEqual(posted.sudo().author_id, odoobot)
        self.assertEqual(posted.sudo().subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(own.author_id, user.partner_id)

    def test_edit_and_replay_is_for_managers_and_audited(self):
        message = self.dead_message()
        exception = message.exception_ids
        user = new_test_user(
            self.env,
            "queue_worker",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        with self.assertRaises(AccessError):
            exception.with_user(user).action_edit_payload()
        action = exception.action_edit_payload()
        self.assertEqual(
            action["context"]["default_payload"], message._get_payload_text()
        )
        wizard = self.env["integration.payload.edit"].create(
            {
                "exception_id": exception.id,
                "payload": '{"order":"PO9","price":"1.00"}',
                "reason": "Decimal comma refused by the partner",
            }
        )
        with self.jobs() as trap:
            wizard.action_replay()
            self.run_jobs(trap)
        replay = message.child_ids
        self.assertEqual(replay.payload_edited_from_id, message)
        self.assertEqual(replay.state, "sent")
        self.assertEqual(
            self.peer.requests[-1]["body"], b'{"order":"PO9","price":"1.00"}'
        )
        (audit,) = [
            body
            for body in exception.message_ids.mapped("body")
            if "Payload edited" in body
        ]
        self.assertIn("Decimal comma refused", audit)
        self.assertIn(replay.name, audit)
        self.assertIn("1,00", audit)  # the diff shows what changed
        # The original payload is kept untouched.
        self.assertIn(b"1,00", message._get_payload())

    def test_bulk_resolve_and_ignore(self):
        first, second, third = (self.dead_message() for _i in range(3))
        exceptions = (first | second | third).exception_ids
        # Resolving asks what was done; the note lands on each exception.
        action = (exceptions[0] | exceptions[1]).action_resolve()
        self.assertEqual(action["res_model"], "integration.exception.resolve")
        self.assertEqual(exceptions[0].state, "new")
        wizard = (
            self.env[action["res_model"]]
            .with_context(action["context"])
            .create({"resolution_note": "Partner fixed its price list"})
        )
        wizard.action_resolve()
        self.assertEqual(
            (exceptions[0] | exceptions[1]).mapped("resolution_note"),
            ["Partner fixed its price list"] * 2,
        )
        exceptions[2].action_ignore()
        self.assertEqual(
            exceptions.mapped("state"), ["resolved", "resolved", "ignored"]
        )
        self.assertTrue(all(exceptions.mapped("resolved_by_id")))
        with self.assertRaisesRegex(UserError, "already closed"):
            exceptions.action_retry()
        exceptions[2].action_reopen()
        self.assertEqual(exceptions[2].state, "new")

    def test_bulk_retry(self):
        messages = self.dead_message() | self.dead_message()
        with self.jobs() as trap:
            messages.exception_ids.action_retry()
            trap.assert_jobs_count(2)
            self.run_jobs(trap)
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        self.assertEqual(set(messages.exception_ids.mapped("state")), {"resolved"})

    def test_business_exceptions_survive_a_later_success(self):
        message = self.dead_message()
        business = self.dispatch._raise_exception(
            message, "business_rule", "Price differs from the contract"
        )
        self.assertEqual(len(message.exception_ids), 2)
        self.endpoint.action_reset_circuit()
        with self.jobs() as trap:
            message.action_retry()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        failure = message.exception_ids - business
        self.assertEqual(failure.state, "resolved")
        self.assertEqual(business.state, "new")

    def test_repeated_failure_updates_the_open_exception(self):
        message = self.dead_message()
        message._raise_exception("validation", "again")
        self.assertEqual(len(message.exception_ids), 1)
        self.assertEqual(message.exception_ids.occurrence_count, 2)

    def test_problem_key_keeps_two_problems_of_one_category_apart(self):
        message = self.send_order()
        own = self.dispatch._raise_exception(message, "sla", "Message is late")
        scan = self.dispatch._raise_exception(
            message, "sla", "No carrier scan", problem_key="carrier-scan-sla"
        )
        self.assertNotEqual(own, scan)
        again = self.dispatch._raise_exception(
            message, "sla", "No carrier scan", problem_key="carrier-scan-sla"
        )
        self.assertEqual(again, scan)
        self.assertEqual(scan.occurrence_count, 2)
        self.assertEqual(own.occurrence_count, 1)

    def test_assignee_defaults_to_endpoint_responsible_and_follows(self):
        admin = self.env.ref("base.user_admin")
        self.endpoint.user_id = admin
        exception = self.dead_message().exception_ids
        self.assertEqual(exception.user_id, admin)
        self.assertIn(admin.partner_id, exception.message_partner_ids)

    def test_replaying_any_message_is_for_managers(self):
        message = self.dead_message()
        user = new_test_user(
            self.env,
            "queue_worker2",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        with self.assertRaises(AccessError):
            message.with_user(user).action_replay()
        with self.assertRaises(AccessError):
            message.with_user(user).action_cancel()
        # ...while the exception queue lets the user replay the failed message.
        with self.jobs() as trap:
            message.exception_ids.with_user(user).action_replay()
            self.run_jobs(trap)
        self.assertEqual(message.child_ids.state, "sent")

    def test_user_without_email_works_the_queue(self):
        user = new_test_user(
            self.env,
            "no_mail_worker",
            email=False,
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        self.assertFalse(user.email)
        exception = self.dead_message().exception_ids.with_user(user)
        with self.jobs() as trap:
            exception.action_replay()
            exception.action_retry()
            self.run_jobs(trap)
        notes = " ".join(exception.sudo().message_ids.mapped("body"))
        self.assertIn("Retry requested by", notes)
        self.assertIn("Replayed as", notes)

    def test_logged_messages_and_payloads_are_read_only_for_people(self):
        manager = new_test_user(
            self.env,
            "log_manager",
            groups="base.group_user,distribution_integration_base.group_integration_manager",
        )
        message = self.dead_message().with_user(manager)
        with self.assertRaises(AccessError):
            message.write({"state": "done"})
        with self.assertRaises(AccessError):
            message.payload_attachment_id.write({"raw": b"forged"})
        with self.assertRaises(AccessError):
            message.payload_attachment_id.unlink()
        with self.assertRaises(AccessError):
            message.unlink()
        self.assertIn(b"PO9", message.sudo()._get_payload())

    def test_cancel_and_retry_guards(self):
        with self.jobs():
            message = self.send_order()
        message.action_cancel()
        self.assertEqual(message.state, "cancelled")
        with self.assertRaisesRegex(UserError, "already cancelled"):
            message.action_cancel()
        with self.assertRaisesRegex(UserError, "only failed or waiting"):
            message.action_retry()
