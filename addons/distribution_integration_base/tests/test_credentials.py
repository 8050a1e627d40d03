from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import config

from ..kernel import crypto, errors
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestCredentials(IntegrationCase):
    def _column(self, credential, column):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT {column} FROM integration_credential WHERE id = %s",
            [credential.id],
        )
        return self.env.cr.fetchone()[0]

    def test_secret_is_encrypted_at_rest_and_masked_on_read(self):
        stored = self._column(self.api_key, "secret_token")
        self.assertNotIn("outbound-api-key-value", stored)
        self.assertTrue(stored.startswith("dis1$"))
        self.assertEqual(self.api_key.secret, "********")
        self.assertEqual(self.api_key.read(["secret"])[0]["secret"], "********")
        self.assertEqual(self.api_key._get_secret(), "outbound-api-key-value")
        self.assertEqual(
            self.api_key.key_id, crypto.key_id(crypto.parse_master_key(self.master_key))
        )

    def test_secrets_are_not_exportable(self):
        exportable = self.env["integration.credential"].fields_get(
            attributes=["exportable"]
        )
        for name in ("secret", "private_key", "secret_token", "previous_secret_token"):
            self.assertFalse(exportable[name]["exportable"], name)

    def test_export_never_returns_secrets_even_to_administrators(self):
        self.api_key.secret = "rotated-value"  # a previous secret is kept too
        columns = [
            "name",
            "secret",
            "secret_token",
            "previous_secret_token",
            "private_key_token",
            "access_token_token",
        ]
        self.assertTrue(self.env.user.has_group("base.group_system"))
        self.assertTrue(self.api_key.secret_token)  # an administrator may read it
        (row,) = self.api_key.export_data(columns)["datas"]
        self.assertEqual(row[0], "Outbound key")
        self.assertEqual(row[1:], [""] * 5)
        # ...nor through the endpoint that holds the credential.
        rows = self.endpoint.export_data(
            ["code", "credential_ids/name", "credential_ids/secret_token"]
        )["datas"]
        self.assertEqual(rows[0][:2], ["test-partner", "Outbound key"])
        self.assertFalse(any(row[2] for row in rows))

    def test_missing_master_key_names_the_option_and_keeps_ciphertext(self):
        before = self._column(self.api_key, "secret_token")
        with (
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: ""}),
            patch.dict("os.environ", {crypto.MASTER_KEY_ENV: ""}),
        ):
            with self.assertRaisesRegex(UserError, "integration_master_key"):
                self.api_key.secret = "new-value"
            with self.assertRaisesRegex(
                errors.AuthenticationError, "integration_master_key"
            ):
                self.api_key._get_secret()
        self.env.invalidate_all()
        self.assertEqual(self._column(self.api_key, "secret_token"), before)

    def test_wrong_master_key_is_named_and_nothing_is_lost(self):
        before = self._column(self.api_key, "secret_token")
        other_key = crypto.generate_master_key()
        with (
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: other_key}),
            self.assertRaises(errors.AuthenticationError) as caught,
        ):
            self.api_key._get_secret()
        self.assertIn(crypto.token_key_id(before), str(caught.exception))
        self.assertEqual(self._column(self.api_key, "secret_token"), before)
        self.assertEqual(self.api_key._get_secret(), "outbound-api-key-value")

    def test_rotation_keeps_previous_secret_until_confirmed(self):
        hmac = self.env["integration.credential"].create(
            {
                "name": "Inbound",
                "endpoint_id": self.endpoint.id,
                "kind": "hmac_secret",
                "secret": "old-secret",
            }
        )
        # What the web client reads back right after saving is the mask.
        self.assertEqual(hmac.read(["secret"])[0]["secret"], "********")
        hmac.secret = "new-secret"
        self.assertEqual(hmac.secret, "********")
        self.assertEqual(hmac.rotation_state, "pending")
        self.assertEqual(hmac._get_secret(), "new-secret")
        self.assertEqual(hmac._secrets_for_verification(), ["new-secret", "old-secret"])
        hmac.action_confirm_rotation()
        self.assertEqual(hmac._secrets_for_verification(), ["new-secret"])
        self.assertFalse(self._column(hmac, "previous_secret_token"))

    def test_rotation_can_be_reverted(self):
        hmac = self.env["integration.credential"].create(
            {
                "name": "Inbound",
                "endpoint_id": self.endpoint.id,
                "kind": "hmac_secret",
                "secret": "old-secret",
            }
        )
        hmac.secret = "new-secret"
        hmac.action_revert_rotation()
        self.assertEqual(hmac._get_secret(), "old-secret")
        self.assertEqual(hmac.rotation_state, "none")

    def test_rekey_reencrypts_everything_or_nothing(self):
        old_box = crypto.SecretBox(crypto.parse_master_key(self.master_key))
        new_key = crypto.generate_master_key()
        new_box = crypto.SecretBox(crypto.parse_master_key(new_key))
        credentials = self.env["integration.credential"]
        count = credentials._reencrypt_all(old_box, new_box)
        self.assertGreaterEqual(count, 1)
        self.assertEqual(
            crypto.token_key_id(self._column(self.api_key, "secret_token")),
            new_box.key_id,
        )
        with patch.dict(config.options, {crypto.MASTER_KEY_OPTION: new_key}):
            self.assertEqual(self.api_key._get_secret(), "outbound-api-key-value")
            status = credentials._master_key_status()
            self.assertEqual(status[1], new_box.key_id)
            self.assertEqual(status[3], 0)
        # Running it again with the wrong "old" key changes nothing.
        third = crypto.SecretBox(crypto.parse_master_key(crypto.generate_master_key()))
        before = self._column(self.api_key, "secret_token")
        self.assertEqual(credentials._reencrypt_all(new_box, new_box), 0)
        with self.assertRaisesRegex(UserError, "Nothing was changed"):
            credentials._reencrypt_all(third, old_box)
        self.assertEqual(self._column(self.api_key, "secret_token"), before)

    def test_settings_show_master_key_status(self):
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.integration_master_key_configured)
        self.assertIn(
            "root.integration.test-partner:1", settings.integration_job_channels
        )
        with (
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: ""}),
            patch.dict("os.environ", {crypto.MASTER_KEY_ENV: ""}),
        ):
            settings = self.env["res.config.settings"].create({})
            self.assertFalse(settings.integration_master_key_configured)
            self.assertIn(
                "integration_master_key", settings.integration_master_key_message
            )

    def test_oauth2_token_is_fetched_cached_and_refreshed(self):
        oauth = self.env["integration.credential"].create(
            {
                "name": "OAuth",
                "endpoint_id": self.endpoint.id,
                "kind": "oauth2_client_credentials",
                "client_id": "odoo",
                "token_url": self.peer.url + "/token",
                "secret": "client-secret",
            }
        )
        self.peer.default = {
            "status": 200,
            "body": {"access_token": "tok-1", "expires_in": 3600},
        }
        self.assertEqual(oauth._oauth2_access_token(), "tok-1")
        self.assertEqual(oauth._oauth2_access_token(), "tok-1")
        self.assertEqual(len(self.peer.requests), 1)
        self.assertIn(
            "grant_type=client_credentials", self.peer.requests[0]["body"].decode()
        )
        self.assertNotIn("tok-1", self._column(oauth, "access_token_token"))
        oauth.access_token_expires_at = fields.Datetime.now() + timedelta(seconds=10)
        self.peer.default = {
            "status": 200,
            "body": {"access_token": "tok-2", "expires_in": 3600},
        }
        self.assertEqual(oauth._oauth2_access_token(), "tok-2")
        self.peer.default = {"status": 401, "body": "invalid_client"}
        oauth.access_token_expires_at = fields.Datetime.now()
        with self.assertRaisesRegex(errors.AuthenticationError, "refused"):
            oauth._oauth2_access_token()

    def test_client_certificate_files_are_private_and_removed(self):
        import os
        import stat

        cert = self.env["integration.credential"].create(
            {
                "name": "mTLS",
                "endpoint_id": self.endpoint.id,
                "kind": "client_certificate",
                "certificate_pem": "-----BEGIN CERTIFICATE-----\nabc\n",
                "private_key": "-----BEGIN PRIVATE KEY-----\nsecret\n",
            }
        )
        self.assertEqual(cert.private_key, "********")
        with cert._client_certificate_files() as (cert_path, key_path):
            self.assertEqual(stat.S_IMODE(os.stat(key_path).st_mode), 0o600)
            with open(key_path) as handle:
                self.assertIn("secret", handle.read())
        self.assertFalse(os.path.exists(key_path))

    def test_expiry_reminder_is_scheduled_once(self):
        self.endpoint.user_id = self.env.ref("base.user_admin")
        self.api_key.expiry_date = fields.Date.today() + timedelta(days=5)
        credentials = self.env["integration.credential"]
        credentials._cron_remind_expiring()
        credentials._cron_remind_expiring()
        activities = self.api_key.activity_ids
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.env.ref("base.user_admin"))
        self.assertEqual(activities.date_deadline, self.api_key.expiry_date)


@tagged("post_install", "-at_install")
class TestSecurity(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration_user = new_test_user(
            cls.env,
            "integration_user",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        cls.plain_user = new_test_user(cls.env, "plain_user", groups="base.group_user")
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = new_test_user(
            cls.env,
            "user_b",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
            groups="base.group_user,distribution_integration_base.group_integration_manager",
        )

    def test_integration_user_cannot_touch_credentials_or_configure(self):
        with self.assertRaises(AccessError):
            self.api_key.with_user(self.integration_user).read(["name"])
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.integration_user).write({"name": "hacked"})
        with self.assertRaises(AccessError):
            self.flow_out.with_user(self.integration_user).write({"sla_minutes": 1})
        # ...but reads the log and works exceptions.
        with self.jobs():
            message = self.send_order()
        exception = message._raise_exception("business_rule", "Price differs")
        self.assertEqual(message.with_user(self.integration_user).state, "queued")
        exception.with_user(self.integration_user).with_context(
            resolution_note="Contract price applied"
        ).action_resolve()
        self.assertEqual(exception.state, "resolved")

    def test_plain_user_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["integration.message"].with_user(self.plain_user).search([])
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.plain_user).read(["name"])

    def test_ciphertext_is_for_administrators_only(self):
        manager = new_test_user(
            self.env,
            "integration_manager",
            groups="base.group_user,distribution_integration_base.group_integration_manager",
        )
        values = self.api_key.with_user(manager).read(["secret", "name"])[0]
        self.assertEqual(values["secret"], "********")
        with self.assertRaises(AccessError):
            self.api_key.with_user(manager).read(["secret_token"])

    def test_company_b_does_not_see_company_a_messages(self):
        with self.jobs():
            message = self.send_order()
        self.assertEqual(message.company_id, self.company)
        messages_b = self.env["integration.message"].with_user(self.user_b).search([])
        self.assertNotIn(message, messages_b)
        with self.assertRaises(AccessError):
            message.with_user(self.user_b).read(["name"])
        endpoints_b = self.env["integration.endpoint"].with_user(self.user_b).search([])
        self.assertNotIn(self.endpoint, endpoints_b)

    def test_changes_are_tracked(self):
        self.endpoint.environment = "production"
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written at commit time
        tracked = self.endpoint.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("environment", tracked)

    def test_run_batch_now_of_a_shared_flow_reaches_only_the_callers_company(self):
        endpoint_b = (
            self.env["integration.endpoint"]
            .with_company(self.company_b)
            .create(
                {
                    "name": "Partner of B",
                    "code": "partner-b",
                    "kind": "other",
                    "base_url": self.peer.url,
                    "company_id": self.company_b.id,
                }
            )
        )
        later = fields.Datetime.now() + timedelta(hours=1)
        self.flow_out.write(
            {
                "company_id": False,  # shared by every company
                "mode": "batch",
                "batch_next_run_at": later,
                "endpoint_ids": [(6, 0, (self.endpoint | endpoint_b).ids)],
            }
        )
        with self.jobs() as trap:
            message_a = self.send_order()
            message_b = self.dispatch._send(self.flow_out, endpoint_b, {"order": "B1"})
            self.flow_out.with_user(self.user_b).action_run_batch_now()
            trap.assert_jobs_count(1)
        self.assertTrue(message_b.job_uuid)
        self.assertFalse(message_a.job_uuid)  # company A's waits for its schedule
        self.assertEqual(self.flow_out.batch_next_run_at, later)
        # Company A's flows are not B's to run at all.
        self.flow_out.company_id = self.company
        with self.assertRaises(AccessError):
            self.flow_out.with_user(self.user_b).action_run_batch_now()
