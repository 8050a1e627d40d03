from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..kernel import errors
from ..kernel.results import HandlerResult
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestHandlerContract(IntegrationCase):
    """Role bases, the typed result and the helpers every handler shares."""

    def receive_customer(self, data):
        return self.dispatch._receive(self.flow_in, self.endpoint, data)

    def test_a_handler_cannot_set_the_message_state(self):
        # An older handler returning a dict of message values: the keys a
        # handler may set pass, "state" is refused and nothing is applied.
        handler = self.registry["integration.handler.partner_upsert"]
        original = handler._process

        def process_and_claim_done(self, message):
            original(self, message)
            return {"state": "done", "external_ref": "SHOULD-NOT-STICK"}

        with (
            patch.object(handler, "_process", process_and_claim_done),
            self.jobs() as trap,
        ):
            message = self.receive_customer({"ref": "CUST-R1", "name": "Refused"})
            self.run_jobs(trap)
        self.assertEqual(message.state, "rejected")
        self.assertIn("'state'", message.last_error)
        self.assertFalse(message.external_ref)
        # The savepoint undid the handler's business effect with the refusal.
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "CUST-R1")]))

    def test_allowed_keys_of_a_dict_result_are_recorded(self):
        handler = self.registry["integration.handler.partner_upsert"]
        original = handler._process

        def process_as_dict(self, message):
            result = original(self, message)
            return {
                "res_model": result.record._name,
                "res_id": result.record.id,
                "external_ref": "DICT-1",
                "response": b'{"stored": true}',
            }

        with patch.object(handler, "_process", process_as_dict), self.jobs() as trap:
            message = self.receive_customer({"ref": "CUST-D1", "name": "Dict"})
            self.run_jobs(trap)
        self.assertEqual(message.state, "done")
        self.assertEqual(message.external_ref, "DICT-1")
        self.assertEqual(message.response_attachment_id.raw, b'{"stored": true}')
        self.assertEqual(
            message.record_ref,
            self.env["res.partner"].search([("ref", "=", "CUST-D1")]),
        )

    def test_typed_result_names_the_record_and_partner(self):
        with self.jobs() as trap:
            message = self.receive_customer({"ref": "CUST-T1", "name": "Typed"})
            self.run_jobs(trap)
        partner = self.env["res.partner"].search([("ref", "=", "CUST-T1")])
        self.assertEqual(message.state, "done")
        self.assertEqual(message.record_ref, partner)
        self.assertEqual(message.partner_id, partner)

    def test_result_type_refuses_unknown_fields(self):
        with self.assertRaises(TypeError):
            HandlerResult(state="done")
        with self.assertRaisesRegex(errors.PermanentError, "'state'"):
            HandlerResult.from_value({"state": "done"})

    def test_flow_direction_must_match_the_handler_role(self):
        with self.assertRaisesRegex(ValidationError, "serves Outbound"):
            self.flow_in.handler = "integration.handler.http_json"
        with self.assertRaisesRegex(ValidationError, "serves Outbound"):
            self.flow_out.direction = "inbound"
        with self.assertRaisesRegex(ValidationError, "serves Inbound"):
            self.env["integration.flow"].create(
                {
                    "name": "Wrong way",
                    "code": "wrong-way",
                    "direction": "outbound",
                    "handler": "integration.handler.partner_upsert",
                }
            )
        # The role bases handle nothing: the catalog does not offer them.
        offered = dict(self.env["integration.flow"]._selection_handler())
        self.assertIn("integration.handler.http_json", offered)
        for base in ("", ".outbound", ".inbound", ".collector"):
            self.assertNotIn(f"integration.handler{base}", offered)

    def test_payload_json_and_related_record_fail_clearly(self):
        handler = self.env["integration.handler.inbound"]
        message = self.dispatch._receive(
            self.flow_in, self.endpoint, b"not json", content_type="application/json"
        )
        with self.assertRaisesRegex(errors.PermanentError, "is not JSON") as caught:
            handler._payload_json(message)
        self.assertEqual(caught.exception.category, "validation")
        with self.assertRaisesRegex(errors.PermanentError, "concerns no existing"):
            handler._related_record(message, "res.partner")
        message.write(
            {"res_model": "res.partner", "res_id": self.company.partner_id.id}
        )
        self.assertEqual(
            handler._related_record(message, "res.partner"), self.company.partner_id
        )
        with self.assertRaisesRegex(errors.PermanentError, "concerns no existing"):
            handler._related_record(message, "res.company")

    def test_raise_exception_assigns_the_given_user(self):
        message = self.dispatch._receive(self.flow_in, self.endpoint, {"ref": "x"})
        buyer = self.env.ref("base.user_demo")
        exception = self.env["integration.handler.inbound"]._raise_exception(
            message, "business_rule", "Check this", "Why", assignee=buyer
        )
        self.assertEqual(exception.user_id, buyer)
        self.assertEqual(exception.category, "business_rule")
        self.assertEqual(exception.message_id, message)


@tagged("post_install", "-at_install")
class TestLockForUpdate(IntegrationCase):
    def test_lock_taken_elsewhere_is_a_transient_error(self):
        handler = self.env["integration.handler"]
        # A row committed before the test: another connection can lock it.
        partner = self.env.ref("base.partner_admin")
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SET lock_timeout = '5s'")
            other.execute(
                "SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id]
            )
            with self.assertRaises(errors.TransientError) as caught:
                handler._lock_for_update(partner)
            other.rollback()
        self.assertIn("another job", str(caught.exception))
        self.assertTrue(caught.exception.retry_after)
        # The transaction goes on (the failed attempt left no aborted state),
        # and the lock is ours once the other transaction is over.
        self.assertTrue(partner.name)
        self.assertEqual(handler._lock_for_update(partner), partner)

    def test_lock_of_nothing_is_nothing(self):
        empty = self.env["res.partner"]
        self.assertEqual(self.env["integration.handler"]._lock_for_update(empty), empty)
