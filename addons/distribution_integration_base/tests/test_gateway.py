import json
import time
from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..kernel import crypto, signatures
from .common import IntegrationTestMixin
from .loopback import LoopbackPeersMixin

SECRET = "inbound-hmac-secret"


class GatewayCase(IntegrationTestMixin, LoopbackPeersMixin, HttpCase):
    """An HMAC endpoint and an inbound JSON flow behind the real gateway."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.endpoint = cls.env["integration.endpoint"].create(
            {
                "name": "Webhook partner",
                "code": "hooks",
                "inbound_auth": "hmac",
                "inbound_rate_limit_per_minute": 0,
                "inbound_max_payload_kb": 1,
            }
        )
        cls.credential = cls.env["integration.credential"].create(
            {
                "name": "Hook secret",
                "endpoint_id": cls.endpoint.id,
                "kind": "hmac_secret",
                "secret": SECRET,
            }
        )
        cls.endpoint.inbound_credential_id = cls.credential
        cls.flow = cls.env["integration.flow"].create(
            {
                "name": "Customers",
                "code": "customers",
                "direction": "inbound",
                "trigger": "inbound",
                "handler": "integration.handler.partner_upsert",
            }
        )

    def post(
        self,
        body,
        *,
        endpoint="hooks",
        flow="customers",
        secret=SECRET,
        headers=None,
        timestamp=None,
        content_type="application/json",
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": content_type}
        if secret is not None:
            all_headers.update(signatures.sign(secret, raw, now=timestamp))
        all_headers.update(headers or {})
        with trap_jobs() as trap:
            response = self.opener.post(
                f"{self.base_url()}/integration/inbound/{endpoint}/{flow}",
                data=raw,
                headers=all_headers,
                timeout=12,
            )
            self.jobs = trap.enqueued_jobs
        return response

    def messages(self):
        return self.env["integration.message"].search(
            [("endpoint_id", "=", self.endpoint.id)]
        )

    def assertRefused(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"], code)
        self.assertTrue(response.json()["message"])
        self.assertFalse(self.messages())


@tagged("post_install", "-at_install")
class TestGateway(GatewayCase):
    """The inbound gateway over real HTTP: every answer code and its effect."""

    def test_accepted_request_is_stored_and_answered_202_before_processing(self):
        response = self.post(
            {"ref": "C-1", "name": "Acme"},
            headers={"Idempotency-Key": "evt-1", "X-Correlation-Id": "corr-1"},
        )
        self.assertEqual(response.status_code, 202, response.text)
        body = response.json()
        message = self.messages()
        self.assertEqual(body["message"], message.name)
        self.assertEqual(body["duplicate"], False)
        self.assertEqual(message.state, "received")
        self.assertEqual(message.correlation_id, "corr-1")
        self.assertEqual(message.idempotency_key, "evt-1")
        self.assertEqual(
            json.loads(message._get_payload()), {"ref": "C-1", "name": "Acme"}
        )
        self.assertEqual(len(self.jobs), 1)  # processing is a job, not done in-request

    def test_duplicate_delivery_returns_the_first_message(self):
        first = self.post(
            {"ref": "C-2", "name": "A"}, headers={"Idempotency-Key": "evt-2"}
        )
        second = self.post(
            {"ref": "C-2", "name": "A"}, headers={"Idempotency-Key": "evt-2"}
        )
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.json()["message"], first.json()["message"])
        self.assertTrue(second.json()["duplicate"])
        self.assertEqual(len(self.messages()), 1)
        self.assertEqual(self.jobs, [])

    def test_bad_signature_is_401(self):
        self.assertRefused(
            self.post({"ref": "x"}, secret="wrong"), 401, "signature_mismatch"
        )

    def test_missing_signature_is_401(self):
        self.assertRefused(
            self.post({"ref": "x"}, secret=None), 401, "signature_missing"
        )

    def test_replayed_old_request_is_401(self):
        old = time.time() - 3600
        self.assertRefused(
            self.post({"ref": "x"}, timestamp=old), 401, "signature_expired"
        )

    def test_body_changed_after_signing_is_401(self):
        raw = b'{"ref": "x", "name": "y"}'
        headers = signatures.sign(SECRET, raw)
        response = self.url_open(
            "/integration/inbound/hooks/customers",
            data=raw.replace(b"y", b"z"),
            headers=dict(headers, **{"Content-Type": "application/json"}),
        )
        self.assertRefused(response, 401, "signature_mismatch")

    def test_rotation_accepts_previous_secret_until_confirmed(self):
        self.credential.secret = "rotated-secret"
        self.assertEqual(self.post({"ref": "R-1", "name": "a"}).status_code, 202)
        self.assertEqual(
            self.post({"ref": "R-2", "name": "b"}, secret="rotated-secret").status_code,
            202,
        )
        self.credential.action_confirm_rotation()
        self.assertEqual(self.post({"ref": "R-3", "name": "c"}).status_code, 401)

    def test_flow_changes_apply_to_the_next_request(self):
        # The gateway caches the flow per worker: a change applies at once.
        self.assertEqual(self.post({"ref": "F-1", "name": "a"}).status_code, 202)
        self.flow.active = False
        self.assertEqual(self.post({"ref": "F-2", "name": "b"}).status_code, 404)
        self.flow.write({"active": True, "inbound_content_types": "text/csv"})
        self.assertEqual(self.post({"ref": "F-3", "name": "c"}).status_code, 415)

    def test_malformed_json_is_400(self):
        self.assertRefused(self.post(b"{not json"), 400, "malformed_json")

    def test_empty_body_is_400(self):
        self.assertRefused(self.post(b""), 400, "empty_body")

    def test_disabled_endpoint_is_403_once_authenticated(self):
        self.endpoint.active = False
        self.assertRefused(self.post({"ref": "x"}), 403, "endpoint_disabled")

    def test_address_outside_allowlist_is_not_found(self):
        self.endpoint.inbound_ip_allowlist = "10.20.0.0/16\n192.0.2.7"
        self.assertRefused(self.post({"ref": "x"}), 404, "not_found")
        self.endpoint.inbound_ip_allowlist = "127.0.0.0/8"
        self.assertEqual(self.post({"ref": "x", "name": "y"}).status_code, 202)

    def test_unknown_endpoint_and_flow_are_404(self):
        self.assertRefused(self.post({"ref": "x"}, endpoint="nobody"), 404, "not_found")
        self.assertRefused(self.post({"ref": "x"}, flow="nothing"), 404, "unknown_flow")

    def test_too_large_is_413(self):
        self.assertRefused(self.post({"ref": "x" * 2000}), 413, "payload_too_large")

    def test_rate_limit_is_429_with_retry_after(self):
        self.endpoint.inbound_rate_limit_per_minute = 2
        for index in range(2):
            self.assertEqual(
                self.post({"ref": f"L{index}", "name": "n"}).status_code, 202
            )
        response = self.post({"ref": "L3", "name": "n"})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.headers["Retry-After"], "60")
        self.assertEqual(len(self.messages()), 2)

    def test_api_key_mode(self):
        self.endpoint.write(
            {"inbound_auth": "api_key", "inbound_secret_header": "X-Key"}
        )
        ok = self.post(
            {"ref": "K", "name": "n"}, secret=None, headers={"X-Key": SECRET}
        )
        self.assertEqual(ok.status_code, 202)
        wrong = self.post({"ref": "K2"}, secret=None, headers={"X-Key": "nope"})
        self.assertEqual(wrong.status_code, 401)
        self.assertEqual(wrong.json()["error"], "credential_mismatch")

    def test_no_inbound_credential_is_not_found(self):
        self.endpoint.inbound_credential_id = False
        self.assertRefused(self.post({"ref": "x"}), 404, "not_found")

    def test_undecryptable_credential_is_503_and_stores_nothing(self):
        # The server runs under another master key than the one that encrypted
        # the secret: the caller cannot fix that, so no 401 and nothing stored.
        with (
            patch.dict(
                config.options, {crypto.MASTER_KEY_OPTION: crypto.generate_master_key()}
            ),
            mute_logger(
                "odoo.addons.distribution_integration_base.controllers.gateway"
            ),
        ):
            response = self.post({"ref": "x", "name": "y"})
        self.assertRefused(response, 503, "credential_unavailable")

    def test_dispatch_api_is_not_callable_over_rpc(self):
        self.authenticate("admin", "admin")
        response = self.url_open(
            "/web/dataset/call_kw/integration.dispatch/_send",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": "integration.dispatch",
                        "method": "_send",
                        "args": ["customers", "hooks", "x"],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        error = response.json()["error"]["data"]["message"]
        self.assertIn("Private methods", error)
        self.assertFalse(self.messages())
