"""The carrier account on the kernel's channel layer: the endpoint's protocol
picks the adapter, declared capabilities, registration on the polling flow,
messages and the connection test (against a real HTTP peer)."""

from unittest.mock import patch

from odoo.addons.distribution_integration_base.kernel import crypto, errors
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.addons.distribution_integration_base.tests.partner_peer import (
    PartnerServer,
)
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import config

from ..carrier.karrio import KarrioAdapter
from ..carrier.ltl import LtlSoapAdapter


@tagged("post_install", "-at_install")
class TestCarrierAccount(LoopbackPeersMixin, TransactionCase):
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
        cls.poll_flow = cls.env.ref("distribution_carrier.flow_carrier_tracking_poll")

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.peer.script.clear()
        self.peer.default = {"status": 200, "body": {"ok": True}}

    def endpoint(self, code, protocol="rest", **values):
        return self.env["integration.endpoint"].create(
            dict(
                {
                    "name": code,
                    "code": code,
                    "kind": "carrier",
                    "protocol": protocol,
                    "base_url": self.peer.url,
                    "connect_timeout": 2.0,
                    "read_timeout": 2.0,
                },
                **values,
            )
        )

    def account(self, endpoint, **values):
        credential = self.env["integration.credential"].create(
            {
                "name": f"{endpoint.code} login",
                "endpoint_id": endpoint.id,
                "kind": "basic_auth",
                "username": "shipper",
                "secret": "carrier-secret",
            }
        )
        return self.env["carrier.account"].create(
            dict(
                {
                    "name": endpoint.code,
                    "endpoint_id": endpoint.id,
                    "credential_id": credential.id,
                    "tracking_by_webhook": endpoint.protocol == "rest",
                },
                **values,
            )
        )

    def test_the_endpoint_protocol_picks_the_adapter(self):
        endpoint = self.endpoint("acct-switch")
        account = self.account(endpoint, tracking_by_webhook=False)
        adapter = account._adapter(timeout=1.0)
        self.assertIsInstance(adapter, KarrioAdapter)
        self.assertTrue(account._has_capability("tracking_webhook"))

        endpoint.protocol = "soap"
        adapter = account._adapter()
        self.assertIsInstance(adapter, LtlSoapAdapter)
        self.assertEqual(adapter.wsdl_url, f"{self.peer.url}?wsdl")
        self.assertFalse(account._has_capability("tracking_webhook"))
        self.assertNotIn("tracking_webhook", account.channel_capabilities)
        self.assertIn("tracking_poll", account.channel_capabilities)

    def test_a_protocol_the_channel_does_not_speak_is_refused(self):
        as2 = self.endpoint("acct-as2", protocol="as2")
        with self.assertRaisesRegex(ValidationError, "cannot talk AS2.*REST.*SOAP"):
            self.account(as2, tracking_by_webhook=False)

        # Changed behind the account's back: a clear configuration error at
        # use, never a retry.
        endpoint = self.endpoint("acct-later")
        account = self.account(endpoint)
        endpoint.protocol = "as2"
        with self.assertRaises(errors.PermanentError) as caught:
            account._adapter()
        self.assertEqual(caught.exception.category, "mapping")
        self.assertIn("AS2", str(caught.exception))

    def test_endpoint_kind_company_and_credential_are_checked(self):
        supplier = self.endpoint("acct-supplier", kind="supplier_edi")
        with self.assertRaisesRegex(ValidationError, "kind Carrier.*Supplier"):
            self.account(supplier)

        other_company = self.env["res.company"].create({"name": "Other carrier co"})
        foreign = self.endpoint("acct-foreign", company_id=other_company.id)
        account = self.account(self.endpoint("acct-home"))
        with self.assertRaisesRegex(ValidationError, "same company"):
            account.write(
                {
                    "endpoint_id": foreign.id,
                    "credential_id": False,
                    "company_id": account.company_id.id,
                }
            )
        # The company follows the endpoint chosen.
        new = self.env["carrier.account"].create(
            {"name": "Foreign", "endpoint_id": foreign.id}
        )
        self.assertEqual(new.company_id, other_company)

        stranger = self.env["integration.credential"].create(
            {
                "name": "Stranger",
                "endpoint_id": self.endpoint("acct-third").id,
                "secret": "x",
            }
        )
        account = self.account(self.endpoint("acct-own"))
        with self.assertRaisesRegex(ValidationError, "belongs to another endpoint"):
            account.credential_id = stranger

    def test_polling_accounts_register_on_the_polling_flow(self):
        ltl = self.endpoint("acct-ltl", protocol="soap")
        self.account(ltl)
        self.assertIn(ltl, self.poll_flow.endpoint_ids)

        karrio = self.endpoint("acct-karrio")
        account = self.account(karrio)
        self.assertNotIn(karrio, self.poll_flow.endpoint_ids)
        account.tracking_by_webhook = False
        self.assertIn(karrio, self.poll_flow.endpoint_ids)

        archived = self.endpoint("acct-archived")
        self.account(archived, tracking_by_webhook=False, active=False)
        self.assertNotIn(archived, self.poll_flow.endpoint_ids)

    def test_the_ltl_service_cannot_be_tracked_by_webhook(self):
        with self.assertRaisesRegex(ValidationError, "cannot push tracking"):
            self.account(
                self.endpoint("acct-hook", protocol="soap"), tracking_by_webhook=True
            )

    def test_message_count_and_button_open_exactly_those_messages(self):
        endpoint = self.endpoint("acct-messages")
        account = self.account(endpoint)
        other = self.endpoint("acct-elsewhere")
        flow = self.env["integration.flow"].create(
            {
                "name": "Account test out",
                "code": "acct-test-out",
                "direction": "outbound",
                "handler": "integration.handler.http_json",
            }
        )
        dispatch = self.env["integration.dispatch"]
        mine = dispatch._send(flow, endpoint, {"n": 1}) | dispatch._send(
            flow, endpoint, {"n": 2}
        )
        dispatch._send(flow, other, {"n": 3})
        self.assertEqual(account.message_count, 2)
        action = account.action_open_messages()
        self.assertEqual(action["res_model"], "integration.message")
        self.assertEqual(self.env["integration.message"].search(action["domain"]), mine)
        self.assertEqual(action["views"][0][1], "list")

    def test_connection_test_reaches_the_carrier_as_a_stock_manager(self):
        endpoint = self.endpoint("acct-ping", health_check_path="/health")
        account = self.account(endpoint)
        manager = new_test_user(
            self.env, "acct_stock_manager", groups="stock.group_stock_manager"
        )
        result = account.with_user(manager).action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"])
        self.assertEqual(self.peer.requests[-1]["path"], "/health")
        self.assertTrue(endpoint.last_check_ok)

        self.peer.default = {"status": 401, "body": {"error": "bad key"}}
        result = account.with_user(manager).action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("401", result["params"]["message"])
        self.assertFalse(endpoint.last_check_ok)

        clerk = new_test_user(
            self.env, "acct_stock_user", groups="stock.group_stock_user"
        )
        with self.assertRaises(AccessError):
            account.with_user(clerk).action_test_connection()
