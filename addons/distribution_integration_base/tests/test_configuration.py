from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IntegrationCase
from .partner_peer import PartnerServer


@tagged("post_install", "-at_install")
class TestConfiguration(IntegrationCase):
    def test_codes_are_validated_and_duplicates_get_a_free_code(self):
        with self.assertRaisesRegex(ValidationError, "code 'Bad Code' is not valid"):
            self.endpoint.copy({"code": "Bad Code"})
        first = self.endpoint.copy()
        second = self.endpoint.copy()
        self.assertEqual(first.code, "test-partner-copy-1")
        self.assertEqual(second.code, "test-partner-copy-2")
        self.assertFalse(first.credential_ids)  # secrets are never duplicated
        self.assertEqual(self.flow_out.copy().code, "orders-out-copy-1")

    def test_each_endpoint_gets_its_job_channel(self):
        channels = self.env["queue.job.channel"].search([]).mapped("complete_name")
        self.assertIn("root.integration.test-partner", channels)
        self.endpoint.job_channel_capacity = 3
        option = self.env["integration.endpoint"]._job_channels_option()
        self.assertIn("root.integration.test-partner:3", option)
        self.assertTrue(option.startswith("root:"))

    def test_new_flows_take_defaults_from_settings(self):
        settings = self.env["res.config.settings"].create(
            {
                "integration_default_sla_minutes": 15,
                "integration_default_retry_max_attempts": 9,
                "integration_default_payload_retention_days": 3,
                "integration_default_metadata_retention_days": 90,
            }
        )
        settings.execute()
        flow = self.env["integration.flow"].create(
            {"name": "Defaults", "code": "defaults", "direction": "outbound"}
        )
        self.assertEqual(
            (
                flow.sla_minutes,
                flow.retry_max_attempts,
                flow.payload_retention_days,
                flow.metadata_retention_days,
            ),
            (15, 9, 3, 90),
        )

    def test_bad_configuration_is_refused_with_a_clear_message(self):
        with self.assertRaisesRegex(ValidationError, "not an address or network"):
            self.endpoint.inbound_ip_allowlist = "10.0.0.0/8\nnot-an-ip"
        with self.assertRaisesRegex(ValidationError, "must start with http"):
            self.endpoint.base_url = "www.example.com"
        with self.assertRaisesRegex(ValidationError, "need a client ID"):
            self.env["integration.credential"].create(
                {
                    "name": "o",
                    "endpoint_id": self.endpoint.id,
                    "kind": "oauth2_client_credentials",
                }
            )
        with self.assertRaisesRegex(ValidationError, "interval of at least 1"):
            self.flow_out.write({"mode": "batch", "batch_interval_number": 0})

    def test_connection_test_reports_on_screen_and_on_the_record(self):
        action = self.endpoint.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(self.endpoint.last_check_ok)
        self.assertIn("HTTP 200", self.endpoint.last_check_message)
        dead = PartnerServer()
        dead_url = dead.url
        dead.httpd.server_close()  # nothing listens there any more
        self.endpoint.base_url = dead_url
        action = self.endpoint.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertFalse(self.endpoint.last_check_ok)
        self.assertIn("connection refused", self.endpoint.last_check_message)
        self.assertNotIn("object at 0x", self.endpoint.last_check_message)

    def test_system_of_record_reads_as_a_sentence(self):
        rule = self.env["integration.ownership"].search(
            [("data_domain", "=", "customers"), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(rule.display_name, "Customers: Test partner")

    def test_health_figures(self):
        self.peer.default = {"status": 400}
        with self.jobs() as trap:
            self.send_order()
            self.send_order()
            self.run_jobs(trap)
            self.peer.default = {"status": 200, "body": {}}
            self.send_order()
            self.run_jobs(trap)
            self.send_order()  # still queued
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.message_count_24h, 4)
        self.assertAlmostEqual(self.endpoint.success_rate_24h, 100 / 3, places=1)
        self.assertEqual(self.endpoint.backlog_count, 1)
        self.assertEqual(self.endpoint.open_exception_count, 2)
