"""Interchanges posted to the kernel's inbound gateway over real HTTP.

The documents are mock-edi's own answers to our order; the test posts them as
a supplier's EDI software would, signed with the endpoint's HMAC secret.
"""

from odoo.addons.distribution_integration_base.kernel import signatures
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import EdiCase

SECRET = "supplier-edi-hmac-secret"


@tagged("post_install", "-at_install")
class TestEdiOverTheGateway(EdiCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint.inbound_auth = "hmac"
        cls.endpoint.inbound_credential_id = cls.env["integration.credential"].create(
            {
                "name": "Supplier signing secret",
                "endpoint_id": cls.endpoint.id,
                "kind": "hmac_secret",
                "secret": SECRET,
            }
        )

    def post(self, body, secret=SECRET):
        headers = {"Content-Type": "application/edi-x12"}
        headers.update(signatures.sign(secret, body))
        with trap_jobs() as trap:
            response = self.opener.post(
                f"{self.base_url()}/integration/inbound/{self.endpoint.code}"
                "/edi-interchange-in",
                data=body,
                headers=headers,
                timeout=20,
            )
            jobs = list(trap.enqueued_jobs)
        return response, jobs

    def test_supplier_posts_its_answers(self):
        self.use_partner(self.trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 5)])
            self.run_jobs(trap)
        self.mock.expect("POST", "/_mock/advance?all")
        rows = self.mock.mailbox(partner="ACME", leave=False)
        self.assertEqual(len(rows), 4)
        for row in rows:
            response, jobs = self.post(row["payload"].encode("latin-1"))
            self.assertEqual(response.status_code, 202, response.text)
            self.assertEqual(len(jobs), 1, "processing is a job, not the request")
        received = self.messages("edi-interchange-in")
        self.assertEqual(set(received.mapped("state")), {"received"})
        # The request's jobs belong to its own (closed) environment: queue the
        # same step again here, as the runner would run it.
        with self.jobs() as trap:
            received._enqueue()
            self.run_jobs(trap)
        self.assertEqual(len(received), 4)
        self.assert_applied(received)
        self.assertEqual(order.edi_state, "confirmed")
        self.assertEqual(order.order_line.qty_received, 5)
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")

    @mute_logger("odoo.addons.distribution_integration_base.controllers.gateway")
    def test_interchange_flow_accepts_edi_types_only(self):
        flow = self.env.ref("distribution_edi.flow_edi_interchange_in")
        self.assertIn("application/edi-x12", flow.inbound_content_types)
        self.assertIn("application/edifact", flow.inbound_content_types)
        body = b'{"not": "edi"}'
        headers = {"Content-Type": "application/json", **signatures.sign(SECRET, body)}
        with trap_jobs():
            response = self.opener.post(
                f"{self.base_url()}/integration/inbound/{self.endpoint.code}"
                "/edi-interchange-in",
                data=body,
                headers=headers,
                timeout=20,
            )
        self.assertEqual(response.status_code, 415, response.text)
        self.assertEqual(response.json()["error"], "unsupported_media_type")
        self.assertFalse(self.messages("edi-interchange-in"))

    @mute_logger("odoo.addons.distribution_integration_base.controllers.gateway")
    def test_unsigned_interchange_is_refused_and_not_stored(self):
        response, jobs = self.post(b"ISA*00*...~", secret="not-the-secret")
        self.assertEqual(response.status_code, 401, response.text)
        self.assertFalse(jobs)
        self.assertFalse(self.messages("edi-interchange-in"))
