from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import HttpCase, tagged

from .common import IntegrationTestMixin
from .loopback import LoopbackPeersMixin
from .partner_peer import PartnerServer


@tagged("post_install", "-at_install")
class TestTours(IntegrationTestMixin, LoopbackPeersMixin, HttpCase):
    """What a user sees, in a real browser (Odoo's tours drive Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.peer = PartnerServer().start()
        cls.addClassCleanup(cls.peer.stop)

    def test_from_the_dashboard_to_a_resolved_exception(self):
        endpoint = self.env["integration.endpoint"].create(
            {"name": "Tour partner", "code": "tour-partner", "base_url": self.peer.url}
        )
        flow = self.env["integration.flow"].create(
            {
                "name": "Tour orders",
                "code": "tour-orders",
                "direction": "outbound",
                "handler": "integration.handler.http_json",
                "retry_max_attempts": 1,
            }
        )
        self.peer.default = {"status": 400, "body": {"error": "unknown TOUR-SKU-1"}}
        with trap_jobs() as trap:
            message = self.env["integration.dispatch"]._send(
                flow, endpoint, {"order": "T1"}
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(message.state, "dead")
        self.assertIn("TOUR-SKU-1", message.exception_ids.name)
        self.start_tour("/odoo", "integration_exception_tour", login="admin")
        exception = message.exception_ids
        self.assertEqual(exception.state, "resolved")
        self.assertIn("TOUR-SKU-1", exception.resolution_note)
