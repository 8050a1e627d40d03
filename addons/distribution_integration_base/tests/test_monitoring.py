from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger

from ..kernel import crypto
from .common import IntegrationCase
from .partner_peer import PartnerServer

FIGURES = (
    "message_count_24h",
    "succeeded_count_24h",
    "failing_count_24h",
    "backlog_count",
    "retrying_count",
    "dead_count_24h",
    "sla_breached_count",
    "ack_overdue_count",
    "open_exception_count",
    "missing_secret_count",
)


@tagged("post_install", "-at_install")
class TestDashboard(IntegrationCase):
    def figure(self, name):
        """The figure's value and the records its link opens."""
        self.endpoint.invalidate_recordset()
        action = self.endpoint.with_context(figure=name).action_open_health_figure()
        opened = self.env[action["res_model"]].search(action["domain"])
        return self.endpoint[name], opened

    def test_every_figure_opens_exactly_what_it_counts(self):
        self.flow_out.retry_max_attempts = 5
        with self.jobs() as trap:
            self.peer.default = {"status": 400}
            dead = self.send_order()
            self.run_jobs(trap)
            self.peer.default = {"status": 200, "body": {}}
            sent = self.send_order() | self.send_order()
            self.run_jobs(trap)
            self.peer.default = {"status": 503}
            retrying = self.send_order()
            self.run_jobs(trap)
            queued = self.send_order()
        self.assertEqual(dead.state, "dead")
        self.assertEqual(retrying.state, "retrying")
        self.assertEqual(set(sent.mapped("state")), {"sent"})
        queued.sla_breached = True
        # Found late (the monitor's own exception is left out of this count).
        sent[:1]._expect_acknowledgement(sent[:1].processed_at, 0).state = "late"
        # Another endpoint's traffic counts on its own card only.
        other = self.endpoint.copy({"code": "other-partner"})
        with self.jobs():
            self.dispatch._send(self.flow_out, other, {"order": "X"})

        expected = {
            "message_count_24h": dead | retrying | sent | queued,
            "succeeded_count_24h": sent,
            "failing_count_24h": dead | retrying,
            "backlog_count": retrying | queued,
            "retrying_count": retrying,
            "dead_count_24h": dead,
            "sla_breached_count": queued,
            "ack_overdue_count": sent[:1],
        }
        for name in FIGURES:
            with self.subTest(figure=name):
                value, opened = self.figure(name)
                self.assertEqual(value, len(opened))
                if name in expected:
                    self.assertEqual(opened, expected[name])
        value, opened = self.figure("open_exception_count")
        self.assertEqual(opened.message_id, dead)
        self.assertEqual(value, 1)

    def test_success_rate_counts_failures_and_is_empty_without_traffic(self):
        self.endpoint.invalidate_recordset()
        self.assertFalse(self.endpoint.has_traffic_24h)
        self.assertEqual(self.endpoint.success_rate_display, "—")
        # An open circuit with every message failing is not "100 %".
        self.peer.default = {"status": 503}
        self.flow_out.retry_max_attempts = 5
        with self.jobs() as trap:
            self.send_order()
            self.send_order()
            self.run_jobs(trap)
        self.endpoint.invalidate_recordset()
        self.assertTrue(self.endpoint.has_traffic_24h)
        self.assertEqual(self.endpoint.success_rate_24h, 0.0)
        self.assertEqual(self.endpoint.success_rate_display, "0.0 %")

    def test_oldest_waiting_counts_from_the_last_enqueue(self):
        with self.jobs():
            message = self.send_order()
        # Created three hours ago, queued again ten minutes ago (a retry).
        self.env.cr.execute(
            "UPDATE integration_message SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(hours=3), message.id],
        )
        message.invalidate_recordset()
        message.next_attempt_at = fields.Datetime.now() - timedelta(minutes=10)
        self.endpoint.invalidate_recordset()
        self.assertIn(self.endpoint.oldest_pending_minutes, (10, 11))

    def test_unknown_figure_is_refused(self):
        with self.assertRaisesRegex(Exception, "Unknown dashboard figure"):
            self.endpoint.with_context(figure="name").action_open_health_figure()


@tagged("post_install", "-at_install")
class TestExceptionOwnership(IntegrationCase):
    def test_batch_problem_belongs_to_the_endpoints_company(self):
        company_b = self.env["res.company"].create({"name": "Second distributor"})
        endpoint_b = self.endpoint.copy(
            {"code": "partner-company-b", "company_id": company_b.id}
        )
        self.env["integration.flow"].search(
            [("mode", "=", "batch"), ("id", "!=", self.flow_out.id)]
        ).batch_next_run_at = fields.Datetime.now() + timedelta(days=1)
        self.flow_out.write(
            {
                "mode": "batch",
                "batch_next_run_at": fields.Datetime.now() - timedelta(minutes=1),
                "endpoint_ids": [(6, 0, (self.endpoint | endpoint_b).ids)],
            }
        )

        def collect(handler, flow, endpoint):
            raise ConnectionError("folder share unreachable")

        handler_class = type(self.env["integration.handler.http_json"])
        with (
            patch.object(handler_class, "_collect", collect),
            self.jobs(),
            mute_logger(
                "odoo.addons.distribution_integration_base.models.integration_dispatch"
            ),
        ):
            # As the scheduler runs it: superuser, no company in the context.
            self.env["integration.dispatch"].sudo()._run_batch_flows()
        exceptions = self.env["integration.exception"].search(
            [("flow_id", "=", self.flow_out.id)]
        )
        self.assertEqual(len(exceptions), 2)
        by_endpoint = {e.endpoint_id: e for e in exceptions}
        self.assertEqual(by_endpoint[self.endpoint].company_id, self.company)
        self.assertEqual(by_endpoint[endpoint_b].company_id, company_b)
        # Those who work the queue of that company see it (and the count agrees).
        user = self.env["res.users"].create(
            {
                "name": "Integration clerk B",
                "login": "integration-clerk-b",
                "company_id": company_b.id,
                "company_ids": [(6, 0, company_b.ids)],
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref(
                                "distribution_integration_base.group_integration_user"
                            ).id,
                        ],
                    )
                ],
            }
        )
        visible = (
            self.env["integration.exception"]
            .with_user(user)
            .search([("flow_id", "=", self.flow_out.id)])
        )
        self.assertEqual(visible, by_endpoint[endpoint_b])
        visible.read(["name", "company_id"])
        endpoint_b.invalidate_recordset()
        self.assertEqual(endpoint_b.with_user(user).open_exception_count, 1)


@tagged("post_install", "-at_install")
class TestReadiness(IntegrationCase):
    def test_a_credential_without_secret_is_flagged(self):
        empty = self.env["integration.credential"].create(
            {"name": "Key never entered", "endpoint_id": self.endpoint.id}
        )
        self.assertFalse(empty.has_secret)
        self.assertTrue(self.api_key.has_secret)
        credentials = self.env["integration.credential"]
        self.assertIn(empty, credentials.search([("has_secret", "=", False)]))
        self.assertNotIn(self.api_key, credentials.search([("has_secret", "=", False)]))
        self.assertIn(self.api_key, credentials.search([("has_secret", "=", True)]))
        self.endpoint.invalidate_recordset()
        self.assertIn("Key never entered", self.endpoint.readiness_warning)
        self.assertEqual(self.endpoint.missing_secret_count, 1)
        # A certificate's secret is its private key, not a passphrase.
        certificate = credentials.create(
            {
                "name": "Client certificate",
                "endpoint_id": self.endpoint.id,
                "kind": "client_certificate",
                "secret": "a passphrase only",
            }
        )
        self.assertFalse(certificate.has_secret)

    def test_a_missing_master_key_is_flagged(self):
        self.endpoint.invalidate_recordset()
        self.assertFalse(self.endpoint.readiness_warning)
        with (
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: ""}),
            patch.dict("os.environ", {crypto.MASTER_KEY_ENV: ""}),
        ):
            self.endpoint.invalidate_recordset()
            self.assertIn(crypto.MASTER_KEY_OPTION, self.endpoint.readiness_warning)

    def test_connection_test_fails_on_http_errors(self):
        for status, hint in (
            (404, "health check path"),
            (401, "credential"),
            (503, "fault"),
        ):
            with self.subTest(status=status):
                self.peer.default = {"status": status, "body": {}}
                action = self.endpoint.action_test_connection()
                self.assertEqual(action["params"]["type"], "danger")
                self.assertFalse(self.endpoint.last_check_ok)
                self.assertIn(f"HTTP {status}", self.endpoint.last_check_message)
                self.assertIn(hint, self.endpoint.last_check_message)
        # The outbound credential goes with the check, as with a real call.
        self.assertEqual(
            self.peer.requests[-1]["headers"].get("X-Api-Key"),
            "outbound-api-key-value",
        )

    def test_connection_test_of_a_soap_service_reads_its_wsdl(self):
        soap = PartnerServer().start()
        self.addCleanup(soap.stop)
        self.endpoint.write({"protocol": "soap", "base_url": soap.url + "/service"})
        soap.default = {"status": 200, "body": "<html>a web page</html>"}
        action = self.endpoint.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("no WSDL", self.endpoint.last_check_message)
        self.assertEqual(soap.requests[-1]["path"], "/service?wsdl")
        soap.default = {
            "status": 200,
            "body": '<?xml version="1.0"?><wsdl:definitions '
            'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>',
        }
        action = self.endpoint.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("WSDL", self.endpoint.last_check_message)


@tagged("post_install", "-at_install")
class TestExceptionActions(IntegrationCase):
    def dead_message(self):
        self.peer.default = {"status": 400, "body": {"error": "bad"}}
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        return message

    def test_retry_confirms_what_it_queued(self):
        message = self.dead_message()
        self.peer.default = {"status": 200, "body": {}}
        with self.jobs():
            action = message.exception_ids.action_retry()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(message.name, action["params"]["message"])

    def test_business_exception_of_a_done_message_offers_no_rerun(self):
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        business = message._raise_exception("business_rule", "Price differs")
        self.assertFalse(business.can_rerun)
        self.assertTrue(self.dead_message().exception_ids.can_rerun)
        self.assertIn("business rule", business.guidance)

    def test_a_deadline_an_hour_past_is_overdue(self):
        exception = self.dead_message().exception_ids
        exception.deadline = fields.Datetime.now() - timedelta(hours=1)
        self.assertTrue(exception.overdue)
        exception.deadline = fields.Datetime.now() + timedelta(hours=1)
        self.assertFalse(exception.overdue)

    def test_a_transport_failure_reads_as_one_line(self):
        dead = PartnerServer()
        port = dead.httpd.server_address[1]
        dead.httpd.server_close()  # nothing listens there any more
        self.endpoint.base_url = dead.url
        self.flow_out.retry_max_attempts = 1
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        exception = message.exception_ids
        self.assertIn(f"127.0.0.1:{port}: connection refused", exception.name)
        self.assertNotIn("HTTPConnectionPool", exception.name)
        self.assertIn("HTTPConnectionPool", exception.details)
        self.assertIn("Test connection", exception.guidance)


@tagged("post_install", "-at_install")
class TestExceptionRouting(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = new_test_user(cls.env, "routing_buyer", groups="base.group_user")
        cls.responsible = new_test_user(
            cls.env, "routing_responsible", groups="base.group_user"
        )
        cls.fallback = new_test_user(
            cls.env, "routing_fallback", groups="base.group_user"
        )
        cls.clerk = new_test_user(
            cls.env,
            "routing_clerk",
            groups="base.group_user,distribution_integration_base.group_integration_user",
        )
        cls.company.integration_fallback_user_id = cls.fallback

    def refused_message(self, record):
        self.peer.default = {"status": 400, "body": {"error": "bad"}}
        with self.jobs() as trap:
            message = self.send_order(record=record)
            self.run_jobs(trap)
        return message

    def test_the_documents_owner_gets_the_problem_and_can_open_it(self):
        customer = self.env["res.partner"].create(
            {"name": "Routed customer", "user_id": self.buyer.id}
        )
        self.endpoint.user_id = self.responsible
        exception = self.refused_message(customer).exception_ids
        self.assertEqual(exception.user_id, self.buyer)
        self.assertEqual(exception.res_model, customer._name)
        self.assertEqual(exception.res_id, customer.id)
        as_clerk = exception.with_user(self.clerk)
        self.assertTrue(as_clerk.can_open_document)
        self.assertEqual(as_clerk.document_name, "Routed customer")
        self.assertEqual(as_clerk.action_open_document()["res_id"], customer.id)

    def test_never_a_system_user_then_the_responsible_then_the_fallback(self):
        customer = self.env["res.partner"].create(
            {"name": "Bot-owned", "user_id": self.env.ref("base.user_root").id}
        )
        self.endpoint.user_id = self.responsible
        self.assertEqual(
            self.refused_message(customer).exception_ids.user_id, self.responsible
        )
        self.endpoint.user_id = False
        self.assertEqual(
            self.refused_message(customer).exception_ids.user_id, self.fallback
        )

    def test_a_document_the_user_may_not_read_is_not_offered(self):
        parameter = self.env["ir.config_parameter"].search([], limit=1)
        message = self.refused_message(parameter)
        exception = message.exception_ids.with_user(self.clerk)
        self.assertFalse(exception.can_open_document)
        self.assertFalse(exception.document_name)
        self.assertFalse(message.with_user(self.clerk).can_open_record)
        self.assertTrue(message.can_open_record)  # the administrator may
        with self.assertRaises(AccessError):
            exception.action_open_document()
        with self.assertRaises(AccessError):
            message.with_user(self.clerk).action_open_related()


@tagged("post_install", "-at_install")
class TestMessageHistory(IntegrationCase):
    def test_every_attempt_is_kept_across_a_manual_retry(self):
        self.flow_out.retry_max_attempts = 2
        self.peer.script = [{"status": 503}, {"status": 503}]
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap, rounds=3)
        self.assertEqual(message.state, "dead")
        self.peer.default = {"status": 200, "body": {}}
        with self.jobs() as trap:
            message.action_retry()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempt_count, 1)  # a fresh budget...
        history = message.attempt_ids.sorted("id")
        # ...and the whole history.
        self.assertEqual(history.mapped("outcome"), ["retrying", "failed", "succeeded"])
        self.assertIn("503", history[0].error)
        self.assertEqual(history[0].error_category, "transport")
        self.assertFalse(history[2].error)
        self.assertTrue(all(a.started_at for a in history))

    def test_the_payload_reads_as_indented_json(self):
        with self.jobs():
            message = self.send_order({"order": "PO7", "lines": [{"qty": 1}]})
        self.assertEqual(
            message.payload_preview.splitlines()[:3],
            ["{", '  "lines": [', "    {"],
        )


@tagged("post_install", "-at_install")
class TestChannelSettings(IntegrationCase):
    def test_the_running_servers_channels_are_shown_beside_the_wanted_ones(self):
        wanted = self.env["integration.endpoint"]._job_channels_option()
        with (
            patch.dict("os.environ", {"ODOO_QUEUE_JOB_CHANNELS": ""}),
            patch.dict(config.misc, {"queue_job": {"channels": "root:1"}}),
        ):
            settings = self.env["res.config.settings"].create({})
            self.assertEqual(settings.integration_job_channels, wanted)
            self.assertEqual(settings.integration_running_job_channels, "root:1")
            self.assertTrue(settings.integration_job_channels_differ)
        shuffled = ", ".join(reversed(wanted.split(",")))
        with patch.dict("os.environ", {"ODOO_QUEUE_JOB_CHANNELS": shuffled}):
            settings = self.env["res.config.settings"].create({})
            self.assertFalse(settings.integration_job_channels_differ)
