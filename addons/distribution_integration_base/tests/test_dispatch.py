import hashlib
import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.integration_message import PENDING_STATES
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestOutbound(IntegrationCase):
    def test_send_logs_payload_and_queues_one_job(self):
        with self.jobs() as trap:
            message = self.send_order({"order": "PO001"}, record=self.company)
            trap.assert_jobs_count(1)
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.direction, "outbound")
        self.assertTrue(message.name.startswith("IM"))
        raw = b'{"order":"PO001"}'
        self.assertEqual(message._get_payload(), raw)
        self.assertEqual(message.payload_size, len(raw))
        self.assertEqual(message.payload_sha256, hashlib.sha256(raw).hexdigest())
        self.assertEqual(message.content_type, "application/json")
        self.assertEqual(message.record_ref, self.company)
        self.assertTrue(message.correlation_id)
        self.assertEqual(message.job_uuid, trap.enqueued_jobs[0].uuid)
        self.assertEqual(trap.enqueued_jobs[0].channel, "root.integration.test-partner")
        self.assertTrue(message.sla_deadline)

    def test_successful_delivery_reaches_the_peer_with_auth_and_keys(self):
        with self.jobs() as trap:
            message = self.send_order(idempotency_key="PO001-rev0")
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempt_count, 1)
        self.assertEqual(message.external_ref, "EXT-1")
        self.assertTrue(message.response_attachment_id)
        self.assertEqual(len(self.peer.requests), 1)
        request = self.peer.requests[0]
        self.assertEqual(request["path"], "/orders")
        self.assertEqual(request["headers"]["X-Api-Key"], "outbound-api-key-value")
        self.assertEqual(request["headers"]["Idempotency-Key"], "PO001-rev0")
        self.assertEqual(request["headers"]["X-Correlation-Id"], message.correlation_id)
        self.assertEqual(json.loads(request["body"]), {"lines": 2, "order": "PO001"})

    def test_same_idempotency_key_sends_once(self):
        with self.jobs() as trap:
            first = self.send_order(idempotency_key="PO002-rev0")
            second = self.send_order({"order": "changed"}, idempotency_key="PO002-rev0")
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        self.assertEqual(first, second)
        self.assertEqual(len(self.peer.requests), 1)
        # A new revision is a new message, not an overwrite.
        with self.jobs():
            third = self.send_order(idempotency_key="PO002-rev1")
        self.assertNotEqual(third, first)

    def test_outbox_rollback_leaves_no_message_and_no_job(self):
        before = self.env["integration.message"].search_count([])
        jobs_before = self.env["queue.job"].search_count([])
        try:
            with self.env.cr.savepoint():
                self.send_order(idempotency_key="rolled-back")
                self.assertEqual(
                    self.env["queue.job"].search_count([]), jobs_before + 1
                )
                raise RuntimeError("business transaction fails after sending")
        except RuntimeError:
            pass
        self.env.invalidate_all()
        self.assertEqual(self.env["integration.message"].search_count([]), before)
        self.assertEqual(self.env["queue.job"].search_count([]), jobs_before)

    def test_transient_errors_retry_with_backoff_then_succeed(self):
        self.peer.script = [
            {"status": 503, "body": "maintenance"},
            {"status": 502, "body": "bad gateway"},
        ]
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.attempt_count, 1)
            self.assertEqual(message.error_category, "transport")
            self.assertIn("503", message.last_error)
            self.assertEqual(len(trap.enqueued_jobs), 1)
            first_delay = trap.enqueued_jobs[0].eta
            self.assertTrue(first_delay)
            self.run_jobs(trap)
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.attempt_count, 2)
            second_delay = trap.enqueued_jobs[0].eta
            # Exponential backoff: the second wait is longer than the first.
            self.assertGreater(second_delay, first_delay)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempt_count, 3)
        self.assertFalse(message.last_error)
        self.assertEqual(len(self.peer.requests), 3)

    def test_retry_after_is_honoured(self):
        self.peer.script = [
            {"status": 429, "body": "slow down", "headers": {"Retry-After": "500"}}
        ]
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
            self.assertEqual(message.state, "retrying")
            wait = (message.next_attempt_at - fields.Datetime.now()).total_seconds()
            self.assertGreaterEqual(wait, 490)

    def test_exhausted_retries_go_dead_with_an_exception(self):
        self.peer.default = {"status": 500, "body": "boom"}
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap, rounds=5)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.attempt_count, 3)
        self.assertEqual(len(self.peer.requests), 3)
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "transport")
        self.assertIn("3 attempts", exception.name)
        self.assertEqual(exception.endpoint_id, self.endpoint)
        self.assertEqual(exception.flow_id, self.flow_out)
        self.assertTrue(exception.deadline)

    def test_permanent_error_is_not_retried(self):
        self.peer.default = {"status": 422, "body": {"error": "unknown SKU 123"}}
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap, rounds=3)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.attempt_count, 1)
        self.assertEqual(message.exception_ids.category, "validation")
        self.assertIn("unknown SKU 123", message.exception_ids.details)

    def test_timeout_is_transient_and_categorised(self):
        self.endpoint.read_timeout = 0.3
        self.peer.script = [{"status": 200, "delay": 1.0}]
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        self.assertEqual(message.state, "retrying")
        self.assertEqual(message.error_category, "timeout")

    def test_authentication_failure_goes_to_the_queue(self):
        self.peer.default = {"status": 401, "body": "bad key"}
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.exception_ids.category, "authentication")

    def test_later_success_resolves_the_open_exception(self):
        self.peer.default = {"status": 500}
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap, rounds=5)
            exception = message.exception_ids
            self.assertEqual(exception.state, "new")
            # Three failures also opened the circuit; the endpoint is back.
            self.assertEqual(self.endpoint.circuit_state, "open")
            self.endpoint.action_reset_circuit()
            self.peer.default = {"status": 200, "body": {"id": "EXT-9"}}
            exception.action_retry()
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.attempt_count, 0)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertEqual(exception.state, "resolved")

    def test_no_handler_is_a_clear_mapping_exception(self):
        flow = self.flow_out.copy({"code": "no-handler", "handler": False})
        with self.jobs() as trap:
            message = self.dispatch._send(flow, self.endpoint, b"x")
            self.run_jobs(trap)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.exception_ids.category, "mapping")
        self.assertIn("no usable handler", message.exception_ids.name)

    def test_bad_input_is_refused_clearly(self):
        with self.assertRaisesRegex(UserError, "Unknown flow 'nope'"):
            self.dispatch._send("nope", self.endpoint, b"x")
        with self.assertRaisesRegex(UserError, "cannot carry outbound"):
            self.dispatch._send(self.flow_in, self.endpoint, b"x")
        with self.assertRaisesRegex(UserError, "must be bytes, text"):
            self.dispatch._send(self.flow_out, self.endpoint, 12.5)

    def postpone_other_batch_flows(self):
        # The scheduler runs every due flow; other addons' demo flows (an EDI
        # folder that does not exist here, say) are not this test's subject.
        self.env["integration.flow"].search(
            [("mode", "=", "batch"), ("id", "!=", self.flow_out.id)]
        ).batch_next_run_at = fields.Datetime.now() + timedelta(days=1)

    def test_batch_flow_waits_for_its_schedule(self):
        self.postpone_other_batch_flows()
        self.flow_out.write(
            {
                "mode": "batch",
                "batch_interval_number": 15,
                "batch_interval_type": "minutes",
                "endpoint_ids": [(6, 0, self.endpoint.ids)],
                "batch_next_run_at": fields.Datetime.now() - timedelta(minutes=1),
            }
        )
        with self.jobs() as trap:
            messages = self.send_order() | self.send_order()
            trap.assert_jobs_count(0)
            self.assertEqual(set(messages.mapped("state")), {"queued"})
            self.env["integration.dispatch"]._run_batch_flows()
            trap.assert_jobs_count(2)
            self.assertGreater(self.flow_out.batch_next_run_at, fields.Datetime.now())
            self.run_jobs(trap)
        self.assertEqual(set(messages.mapped("state")), {"sent"})

    def test_run_batch_now_does_not_wait_for_the_schedule(self):
        self.postpone_other_batch_flows()
        later = fields.Datetime.now() + timedelta(hours=1)
        self.flow_out.write(
            {
                "mode": "batch",
                "batch_next_run_at": later,
                "endpoint_ids": [(6, 0, self.endpoint.ids)],
            }
        )
        with self.jobs() as trap:
            message = self.send_order()
            self.env["integration.dispatch"]._run_batch_flows()
            trap.assert_jobs_count(0)  # not due yet
            self.flow_out.action_run_batch_now()
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")
        self.assertTrue(self.flow_out.batch_last_run_at)

    def test_one_failing_collect_does_not_stop_the_others(self):
        self.postpone_other_batch_flows()
        other = self.endpoint.copy({"code": "second-partner"})
        self.flow_out.write(
            {
                "mode": "batch",
                "batch_next_run_at": fields.Datetime.now() - timedelta(minutes=1),
                "endpoint_ids": [(6, 0, (self.endpoint | other).ids)],
            }
        )
        collected_from = []

        def collect(handler, flow, endpoint):
            if endpoint == self.endpoint:
                raise ConnectionError("folder share unreachable")
            collected_from.append(endpoint)
            return 1

        handler_class = type(self.env["integration.handler.http_json"])
        with (
            patch.object(handler_class, "_collect", collect),
            self.jobs(),
            mute_logger(
                "odoo.addons.distribution_integration_base.models.integration_dispatch"
            ),
        ):
            self.env["integration.dispatch"]._run_batch_flows()
        self.assertEqual(collected_from, [other])
        exception = self.env["integration.exception"].search(
            [("endpoint_id", "=", self.endpoint.id), ("flow_id", "=", self.flow_out.id)]
        )
        self.assertEqual(exception.category, "transport")
        self.assertIn("folder share unreachable", exception.name)
        self.assertGreater(self.flow_out.batch_next_run_at, fields.Datetime.now())


@tagged("post_install", "-at_install")
class TestCircuitBreaker(IntegrationCase):
    def test_circuit_opens_pauses_probes_and_closes(self):
        self.peer.default = {"status": 503}
        self.flow_out.retry_max_attempts = 10
        with self.jobs() as trap:
            messages = self.send_order() | self.send_order() | self.send_order()
            self.run_jobs(trap)
            self.assertEqual(self.endpoint.circuit_state, "open")
            self.assertEqual(len(self.peer.requests), 3)

            # While open, attempts wait without calling the partner or spending
            # an attempt.
            follower = self.send_order()
            self.run_jobs(trap)
            self.assertEqual(len(self.peer.requests), 3)
            self.assertEqual(follower.state, "queued")
            self.assertEqual(follower.attempt_count, 0)
            self.assertTrue(follower.next_attempt_at > fields.Datetime.now())

            # After the cool-down one probe goes out; its failure re-opens.
            self.endpoint.circuit_opened_at = fields.Datetime.now() - timedelta(
                minutes=2
            )
            self.run_jobs(trap)
            self.assertEqual(len(self.peer.requests), 4)
            self.assertEqual(self.endpoint.circuit_state, "open")

            # A successful probe closes the circuit and traffic flows again.
            self.peer.default = {"status": 200, "body": {"id": "OK"}}
            self.endpoint.circuit_opened_at = fields.Datetime.now() - timedelta(
                minutes=2
            )
            for message in messages | follower:
                message.next_attempt_at = fields.Datetime.now()
            self.run_jobs(trap, rounds=3)
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual(self.endpoint.circuit_failure_count, 0)
        self.assertEqual(set((messages | follower).mapped("state")), {"sent"})

    def test_refused_documents_do_not_open_the_circuit(self):
        self.peer.default = {"status": 400, "body": "bad document"}
        with self.jobs() as trap:
            for _i in range(4):
                self.send_order()
            self.run_jobs(trap)
        self.assertEqual(self.endpoint.circuit_state, "closed")

    def test_rate_limit_spreads_attempts(self):
        self.endpoint.rate_limit_per_minute = 2
        with self.jobs() as trap:
            messages = self.send_order() | self.send_order() | self.send_order()
            self.run_jobs(trap)
        self.assertEqual(len(self.peer.requests), 2)
        waiting = messages.filtered(lambda m: m.state == "queued")
        self.assertEqual(len(waiting), 1)
        self.assertEqual(waiting.attempt_count, 0)


@tagged("post_install", "-at_install")
class TestInbound(IntegrationCase):
    def receive_customer(self, data, key=None, endpoint=None):
        return self.dispatch._receive(
            self.flow_in, endpoint or self.endpoint, data, idempotency_key=key
        )

    def test_receive_applies_the_business_effect_once(self):
        payload = {
            "ref": "CUST-1",
            "name": "Northwind Traders",
            "email": "a@example.com",
        }
        with self.jobs() as trap:
            first = self.receive_customer(payload, key="evt-1")
            second = self.receive_customer(payload, key="evt-1")
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        self.assertEqual(first, second)
        self.assertEqual(first.state, "done")
        partners = self.env["res.partner"].search([("ref", "=", "CUST-1")])
        self.assertEqual(len(partners), 1)
        self.assertEqual(first.record_ref, partners)
        self.assertEqual(first.partner_id, partners)

    def test_invalid_inbound_payload_is_rejected_with_an_exception(self):
        with self.jobs() as trap:
            message = self.receive_customer({"name": "no ref"})
            self.run_jobs(trap)
        self.assertEqual(message.state, "rejected")
        self.assertEqual(message.exception_ids.category, "validation")
        self.assertIn("ref", message.exception_ids.name)

    def test_change_from_a_non_owner_is_refused_not_applied(self):
        other = self.endpoint.copy({"code": "other-partner", "name": "Other"})
        with self.jobs() as trap:
            message = self.receive_customer(
                {"ref": "CUST-2", "name": "Intruder"}, endpoint=other
            )
            self.run_jobs(trap)
        self.assertEqual(message.state, "rejected")
        self.assertEqual(message.exception_ids.category, "ownership")
        self.assertIn("not the system of record", message.exception_ids.name)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "CUST-2")]))

    def test_received_message_stores_its_job_once_on_the_endpoint_channel(self):
        message = self.receive_customer({"ref": "CUST-9", "name": "Stored"}, "evt-9")
        jobs = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.channel, self.endpoint.job_channel)
        self.assertEqual(jobs.records, message)
        # queue_job's look-up skipped for a job just built is that one only.
        fresh = self.env["queue.job"].with_context(integration_fresh_job=True)
        self.assertFalse(fresh.search([("uuid", "in", (message.job_uuid,))]))
        self.assertEqual(fresh.search([("uuid", "=", message.job_uuid)]), jobs)

    def test_odoo_owns_domains_without_a_rule(self):
        self.env["integration.ownership"].search([]).unlink()
        with self.jobs() as trap:
            message = self.receive_customer({"ref": "CUST-3", "name": "X"})
            self.run_jobs(trap)
        self.assertEqual(message.state, "rejected")
        self.assertIn("owner: Odoo", message.exception_ids.name)


@tagged("post_install", "-at_install")
class TestMonitoring(IntegrationCase):
    def test_acknowledgement_accepted_and_missing(self):
        self.flow_out.write({"ack_expected": True, "ack_timeout_minutes": 10})
        with self.jobs() as trap:
            acked = self.send_order()
            silent = self.send_order()
            self.run_jobs(trap)
        window = silent.expectation_ids
        self.assertEqual(window.kind, "acknowledgement")
        self.assertEqual(window.state, "open")
        self.assertEqual(window.due_at, silent.processed_at + timedelta(minutes=10))
        self.dispatch._acknowledge(acked, accepted=True)
        self.assertEqual(acked.state, "acknowledged")
        self.assertEqual(acked.expectation_ids.state, "met")
        expectations = self.env["integration.expectation"]
        expectations._cron_raise_late(now=window.due_at - timedelta(seconds=1))
        self.assertFalse(silent.exception_ids)
        expectations._cron_raise_late(now=window.due_at + timedelta(seconds=1))
        self.assertEqual(window.state, "late")
        self.assertEqual(silent.exception_ids.category, "acknowledgement")
        self.assertIn("within 10 minutes", silent.exception_ids.name)
        # Late acknowledgement closes the exception.
        self.dispatch._acknowledge(silent, accepted=True)
        self.assertEqual(silent.exception_ids.state, "resolved")
        self.assertEqual(window.state, "met")

    def test_rejecting_acknowledgement_raises_with_partner_codes(self):
        with self.jobs() as trap:
            message = self.send_order()
            self.run_jobs(trap)
        self.dispatch._acknowledge(message, accepted=False, details="AK5*R*5")
        self.assertEqual(message.state, "dead")
        self.assertIn("AK5*R*5", message.exception_ids.details)

    def test_sla_breach_raises_once(self):
        with self.jobs():
            message = self.send_order()
        message.sla_deadline = fields.Datetime.now() - timedelta(minutes=1)
        self.env["integration.message"]._cron_monitor_sla()
        self.env["integration.message"]._cron_monitor_sla()
        self.assertEqual(len(message.exception_ids), 1)
        self.assertEqual(message.exception_ids.category, "sla")

    def _age(self, message, minutes):
        self.env.flush_all()
        # Only this message is old: waiting messages of the database (demo data
        # of a database made a while ago) must not count in the detector's totals.
        self.env.cr.execute(
            "UPDATE integration_message SET write_date = CASE WHEN id = %s THEN "
            "now() at time zone 'UTC' - interval '%s minutes' "
            "ELSE now() at time zone 'UTC' END "
            "WHERE id = %s OR state IN %s",
            [message.id, minutes, message.id, PENDING_STATES],
        )
        self.env["integration.message"].invalidate_model()

    def test_stuck_message_without_job_is_requeued(self):
        with self.jobs():
            message = self.send_order()
        # The job vanished (e.g. deleted by hand): the detector must notice.
        self._age(message, 60)
        with self.jobs() as trap:
            requeued, raised = self.env["integration.message"]._cron_detect_stuck()
            self.assertEqual((requeued, raised), (1, 0))
            trap.assert_jobs_count(1)
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")

    def test_detector_leaves_a_started_job_to_the_dead_job_requeue(self):
        message = self.send_order()  # a real, stored job
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(job.state, "pending")
        # The runner started the job (claiming attempt 1) two hours ago: dead or
        # slow, the age alone says nothing; the dead-job requeue decides
        # (test_recovery), never this detector.
        job.write({"state": "started"})
        self.assertEqual((message.state, message.attempt_count), ("sending", 1))
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET date_started = now() at time zone 'UTC' "
            "- interval '2 hours' WHERE id = %s",
            [job.id],
        )
        job.invalidate_recordset()
        self._age(message, 60)
        self.assertEqual(self.env["integration.message"]._cron_detect_stuck(), (0, 0))
        self.assertEqual(job.state, "started")
        self.assertEqual((message.state, message.attempt_count), ("sending", 1))

    def test_running_job_is_left_alone(self):
        message = self.send_order()
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        job.write({"state": "started"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET date_started = now() at time zone 'UTC' "
            "WHERE id = %s",
            [job.id],
        )
        job.invalidate_recordset()
        self._age(message, 60)
        self.assertEqual(self.env["integration.message"]._cron_detect_stuck(), (0, 0))
        self.assertEqual(message.state, "sending")

    def test_stuck_message_out_of_attempts_is_raised(self):
        with self.jobs():
            message = self.send_order()
        message.write({"state": "sending", "attempt_count": 3})
        self._age(message, 60)
        requeued, raised = self.env["integration.message"]._cron_detect_stuck()
        self.assertEqual((requeued, raised), (0, 1))
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.exception_ids.category, "timeout")

    def test_worker_crash_loop_is_capped(self):
        with self.jobs() as trap:
            message = self.send_order()
            # Three attempts started (claimed at job start) and never finished.
            message.write({"state": "sending", "attempt_count": 4})
            self.run_jobs(trap)
        self.assertEqual(message.state, "dead")
        self.assertEqual(len(self.peer.requests), 0)

    def _payload_row(self, message):
        self.env["ir.attachment"].flush_model()
        self.env.cr.execute(
            "SELECT store_fname, db_datas IS NOT NULL, file_size, checksum "
            "FROM ir_attachment WHERE id = %s",
            [message.payload_attachment_id.id],
        )
        return self.env.cr.fetchone()

    def test_small_payloads_live_in_the_database_large_ones_in_the_filestore(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("distribution_integration_base.payload_database_max_kb", "1")
        small = b"x" * 1024
        large = b"y" * 1025
        with self.jobs():
            in_database = self.send_order(small, content_type="text/plain")
            in_file = self.send_order(large, content_type="text/plain")
        store_fname, in_row, size, checksum = self._payload_row(in_database)
        self.assertFalse(store_fname)
        self.assertTrue(in_row)
        self.assertEqual(size, 1024)
        self.assertEqual(checksum, hashlib.sha1(small).hexdigest())
        self.assertEqual(in_database._get_payload(), small)
        with in_database._open_payload() as stream:
            self.assertEqual(stream.read(), small)
        # The attachment reads like any other attachment of Odoo's.
        self.assertEqual(in_database.payload_attachment_id.raw, small)
        store_fname, in_row, size, _checksum = self._payload_row(in_file)
        self.assertTrue(store_fname)
        self.assertFalse(in_row)
        self.assertEqual(in_file._get_payload(), large)
        self.assertEqual(in_file.payload_attachment_id.raw, large)
        # 0: every payload in the filestore.
        params.set_param("distribution_integration_base.payload_database_max_kb", "0")
        with self.jobs():
            tiny = self.send_order(b"z", content_type="text/plain")
        self.assertTrue(self._payload_row(tiny)[0])
        self.assertEqual(tiny._get_payload(), b"z")

    def test_a_new_message_names_its_stored_job(self):
        # Outside the test trap: the job row is really stored, under the uuid
        # the message was created with.
        message = self.send_order()
        self.assertTrue(message.job_uuid)
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(len(job), 1)
        self.assertEqual(job.records, message)
        self.assertEqual(job.method_name, "_job_run")
        self.assertEqual(job.channel, "root.integration.test-partner")
        self.assertEqual(job.state, "pending")
        self.assertTrue(message.next_attempt_at)

    def test_retention_purges_payloads_then_metadata(self):
        self.flow_out.write(
            {"payload_retention_days": 7, "metadata_retention_days": 30}
        )
        with self.jobs() as trap:
            young, old, ancient = (
                self.send_order(),
                self.send_order(),
                self.send_order(),
            )
            pending = self.send_order()
            self.run_jobs(trap)
            pending.write({"state": "retrying"})
        for message, days in ((old, 10), (ancient, 40), (pending, 40)):
            self.env.cr.execute(
                "UPDATE integration_message "
                "SET create_date = now() - interval '%s days' "
                "WHERE id = %s",
                [days, message.id],
            )
        attachment = old.payload_attachment_id
        self.env.invalidate_all()
        self.env["integration.message"]._cron_purge_retention()
        self.assertFalse(attachment.exists())
        self.assertTrue(old.exists() and old.payload_purged)
        with self.assertRaisesRegex(UserError, "no longer kept"):
            old._get_payload()
        self.assertFalse(ancient.exists())
        self.assertFalse(young.payload_purged)
        self.assertTrue(pending.exists() and not pending.payload_purged)
