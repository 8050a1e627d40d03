"""The skeleton channel end to end: a real HTTP directory on 127.0.0.1, the
kernel's dispatch, jobs and exception queue, and the channel account layer."""

from unittest.mock import patch

from odoo.addons.distribution_integration_base.kernel import crypto, errors
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.addons.distribution_integration_base.tests.partner_peer import (
    PartnerServer,
)
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import config


@tagged("post_install", "-at_install")
class TestSkeletonChannel(LoopbackPeersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.dict(
                config.options, {crypto.MASTER_KEY_OPTION: crypto.generate_master_key()}
            )
        )
        cls.peer = PartnerServer().start()
        cls.addClassCleanup(cls.peer.stop)
        cls.endpoint = cls.env["integration.endpoint"].create(
            {
                "name": "Directory",
                "code": "skeleton-test",
                "kind": "other",
                "protocol": "rest",
                "base_url": cls.peer.url,
                "connect_timeout": 2.0,
                "read_timeout": 2.0,
            }
        )
        credential = cls.env["integration.credential"].create(
            {
                "name": "Directory key",
                "endpoint_id": cls.endpoint.id,
                "kind": "api_key",
                "header_name": "X-Api-Key",
                "secret": "directory-key",
            }
        )
        cls.account = cls.env["skeleton.account"].create(
            {
                "name": "Directory",
                "endpoint_id": cls.endpoint.id,
                "credential_id": credential.id,
            }
        )
        # Only this test's account publishes for the company.
        cls.env["skeleton.account"].search(
            [("id", "!=", cls.account.id)]
        ).active = False
        cls.contact = cls.env["res.partner"].create({"name": "Ada Contact"})
        cls.poll_flow = cls.env.ref(
            "distribution_channel_skeleton.flow_skeleton_changes_poll"
        )

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.peer.script.clear()
        self.peer.default = {"status": 200, "body": {"reference": "DIR-7"}}

    def run_jobs(self, trap, rounds=1):
        for _round in range(rounds):
            if not trap.enqueued_jobs:
                break
            trap.perform_enqueued_jobs()

    def published(self):
        return self.env["integration.message"].search(
            [
                ("flow_id.code", "=", "skeleton-publish"),
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.contact.id),
            ]
        )

    def test_publish_reaches_the_directory_and_lands_on_the_contact(self):
        with trap_jobs() as trap:
            self.contact.action_skeleton_publish()
            self.run_jobs(trap)
        message = self.published()
        self.assertEqual(message.state, "sent", message.last_error)
        self.assertEqual(message.external_ref, "DIR-7")
        self.assertEqual(self.contact.skeleton_reference, "DIR-7")
        request = self.peer.requests[-1]
        self.assertEqual((request["method"], request["path"]), ("POST", "/contacts"))
        self.assertEqual(request["headers"]["X-Api-Key"], "directory-key")
        self.assertEqual(request["headers"]["Idempotency-Key"], message.idempotency_key)
        # The account counts and opens exactly its messages.
        self.assertEqual(self.account.message_count, 1)
        action = self.account.action_open_messages()
        self.assertEqual(
            self.env["integration.message"].search(action["domain"]), message
        )

    def test_an_unavailable_directory_is_retried_then_published_once(self):
        self.peer.script = [{"status": 503, "body": "maintenance"}]
        with trap_jobs() as trap:
            self.contact.action_skeleton_publish()
            self.run_jobs(trap)
            message = self.published()
            self.assertEqual(message.state, "retrying")
            self.assertIn("503", message.last_error)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.peer.requests), 2)
        self.assertEqual(self.contact.skeleton_reference, "DIR-7")

    def test_a_refused_contact_goes_to_the_exception_queue(self):
        self.peer.default = {"status": 422, "body": {"error": "name too short"}}
        with trap_jobs() as trap:
            self.contact.action_skeleton_publish()
            self.run_jobs(trap)
        message = self.published()
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.exception_ids.category, "validation")
        self.assertFalse(self.contact.skeleton_reference)

    def test_changes_are_collected_on_schedule_once(self):
        self.assertNotIn(self.endpoint, self.poll_flow.endpoint_ids)
        self.account.pull_changes = True
        self.assertIn(self.endpoint, self.poll_flow.endpoint_ids)
        changes = {
            "changes": [
                {"id": 1, "contact": self.contact.id, "reference": "DIR-9"},
                {"id": 2, "contact": 0, "reference": "DIR-0"},
            ]
        }
        self.peer.default = {"status": 200, "body": changes}
        with trap_jobs() as trap:
            dispatch = self.env["integration.dispatch"]
            dispatch._run_batch_flows(self.poll_flow.sudo())
            self.run_jobs(trap)
            # Read again: the same changes are the same messages.
            dispatch._run_batch_flows(self.poll_flow.sudo())
            self.run_jobs(trap)
        self.assertEqual(self.contact.skeleton_reference, "DIR-9")
        received = self.env["integration.message"].search(
            [("flow_id.code", "=", "skeleton-change-in")]
        )
        self.assertEqual(len(received), 2)
        self.assertEqual(
            sorted(received.mapped("state")),
            ["done", "rejected"],
            received.mapped("last_error"),
        )
        self.assertEqual(received.exception_ids.category, "mapping")

    def test_the_protocol_is_the_one_switch(self):
        self.assertIn("publish", self.account.channel_capabilities)
        self.endpoint.protocol = "soap"
        with self.assertRaises(errors.PermanentError) as caught:
            self.account._client()
        self.assertEqual(caught.exception.category, "mapping")
        soap = self.env["integration.endpoint"].create(
            {
                "name": "Soap",
                "code": "skeleton-soap",
                "kind": "other",
                "protocol": "soap",
            }
        )
        with self.assertRaisesRegex(ValidationError, "cannot talk SOAP"):
            self.env["skeleton.account"].create(
                {"name": "Soap", "endpoint_id": soap.id}
            )

    def test_connection_test_uses_the_endpoint(self):
        result = self.account.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"])
        self.assertEqual(self.peer.requests[-1]["method"], "GET")
        self.peer.default = {"status": 503, "body": "down"}
        result = self.account.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertFalse(self.endpoint.last_check_ok)
