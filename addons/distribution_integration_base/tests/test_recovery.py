import logging
import os
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.addons.queue_job.job import Job
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.integration_message import ATTEMPT_LOCK_NAMESPACE, PENDING_STATES
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestDeadJobRecovery(IntegrationCase):
    """A job whose worker died is put back to pending once, by whichever
    requeuer the installed queue_job has; a slow job is never touched."""

    def setUp(self):
        super().setUp()
        self.messages = self.env["integration.message"]
        # queue_job releases with lock rows requeue dead jobs in their runner.
        self.builtin_requeuer = "queue.job.lock" in self.env

    def _started(self, seconds_ago, state="started"):
        message = self.send_order()
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        job.write({"state": state})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET date_started = CASE WHEN state = 'started' THEN "
            "now() at time zone 'UTC' - make_interval(secs => %s) END, "
            "date_enqueued = now() at time zone 'UTC' - make_interval(secs => %s) "
            "WHERE id = %s",
            [seconds_ago, seconds_ago, job.id],
        )
        job.invalidate_recordset()
        return message, job

    def _only_old(self, message):
        """Age ``message`` past the stuck threshold, and only it (demo data of an
        older database must not count in the detector's totals)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE integration_message SET write_date = CASE WHEN id = %s THEN "
            "now() at time zone 'UTC' - interval '1 hour' "
            "ELSE now() at time zone 'UTC' END WHERE id = %s OR state IN %s",
            [message.id, message.id, PENDING_STATES],
        )
        self.messages.invalidate_model()

    def _requeue(self):
        with mute_logger("odoo.addons.distribution_integration_base.models"):
            return self.messages._cron_requeue_dead_jobs()

    def test_dead_worker_job_goes_back_to_pending_once(self):
        message, job = self._started(seconds_ago=3600)
        self.assertEqual((message.state, message.attempt_count), ("sending", 1))
        requeued = self._requeue()
        if self.builtin_requeuer:
            # queue_job's runner owns this: the kernel must not requeue it too.
            self.assertNotIn(job.uuid, requeued)
            self.assertEqual(job.state, "started")
            return
        self.assertIn(job.uuid, requeued)
        self.assertEqual(job.state, "pending")
        self.assertNotIn(job.uuid, self._requeue())  # once
        # The crashed attempt stays counted; the runner's next start claims #2.
        self.assertEqual((message.state, message.attempt_count), ("sending", 1))
        job.write({"state": "started"})
        Job.load(self.env, job.uuid).perform()
        self.assertEqual((message.state, message.attempt_count), ("sent", 2))
        self.assertEqual(len(self.peer.requests), 1)

    def test_slow_job_of_a_live_worker_is_never_requeued(self):
        message, job = self._started(seconds_ago=3 * 3600)
        # Another connection runs the attempt: it holds the attempt lock as
        # _job_run does, for as long as its transaction lasts.
        with self.registry.cursor() as worker_cr:
            worker_cr.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)",
                [ATTEMPT_LOCK_NAMESPACE, message.id],
            )
            self.assertNotIn(job.uuid, self._requeue())
            self.assertEqual(job.state, "started")
            self._only_old(message)
            self.assertEqual(self.messages._cron_detect_stuck(), (0, 0))
            self.assertEqual(job.state, "started")
            worker_cr.rollback()  # the worker dies: its lock goes with it
        self.assertEqual(job.uuid in self._requeue(), not self.builtin_requeuer)

    def test_job_started_moments_ago_is_left_alone(self):
        _message, job = self._started(seconds_ago=2)
        self.assertNotIn(job.uuid, self._requeue())
        self.assertEqual(job.state, "started")

    def test_enqueued_job_of_a_dead_runner_goes_back_to_pending(self):
        _message, job = self._started(seconds_ago=600, state="enqueued")
        requeued = self._requeue()
        if self.builtin_requeuer:
            self.assertNotIn(job.uuid, requeued)
            return
        self.assertIn(job.uuid, requeued)
        self.assertEqual(job.state, "pending")

    def test_detector_covers_a_job_failed_behind_the_orm(self):
        message, job = self._started(seconds_ago=3600)
        # queue_job's requeuer fails a job found dead too often by SQL, without
        # the ORM: the message's stuck detection is what notices.
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed', exc_name = 'JobFoundDead' "
            "WHERE id = %s",
            [job.id],
        )
        job.invalidate_recordset()
        self._only_old(message)
        with (
            self.jobs() as trap,
            mute_logger("odoo.addons.distribution_integration_base.models"),
        ):
            self.assertEqual(self.messages._cron_detect_stuck(), (1, 0))
            self.assertEqual(message.state, "retrying")
            self.assertNotEqual(message.job_uuid, job.uuid)
            self.run_jobs(trap)
        self.assertEqual((message.state, message.attempt_count), ("sent", 2))


@tagged("post_install", "-at_install")
class TestFailedAttempts(IntegrationCase):
    def test_failed_job_takes_its_message_out_of_flight(self):
        message = self.send_order()
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        job.write({"state": "started"})
        self.assertEqual(message.state, "sending")
        # What queue_job stores when an error escapes the attempt.
        stored = Job.load(self.env, job.uuid)
        stored.set_failed(
            exc_name="psycopg2.errors.NotNullViolation",
            exc_message='null value in column "name" violates not-null constraint',
            exc_info="Traceback (most recent call last): ...",
        )
        stored.store()
        self.assertEqual(job.state, "failed")
        self.assertEqual(message.state, "dead")
        self.assertIn("not-null", message.last_error)
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "mapping")
        self.assertIn("not-null", exception.details)
        # The traceback is for managers only.
        self.assertEqual(exception.traceback, "Traceback (most recent call last): ...")
        self.assertEqual(
            message.last_error_details, "Traceback (most recent call last): ..."
        )
        # Retrying from the exception queue works as for any failure.
        with self.jobs() as trap:
            message.action_retry()
            self.run_jobs(trap)
        self.assertEqual(message.state, "sent")

    def test_failure_of_a_superseded_job_leaves_the_message_alone(self):
        with self.jobs():
            message = self.send_order()
        message.write({"state": "retrying", "job_uuid": "another-job"})
        released = message._release_failed_job("old-job", "boom")
        self.assertFalse(released)
        self.assertEqual(message.state, "retrying")

    def _duplicate_key_handler(self):
        """A handler whose store meets a unique key another worker took."""
        handler_class = type(self.env["integration.handler.http_json"])
        original = handler_class._send

        def send_then_store(handler, message):
            result = original(handler, message)
            handler.env["ir.config_parameter"].create(
                {"key": "database.uuid", "value": "taken by the other worker"}
            )
            return result

        return patch.object(handler_class, "_send", send_then_store)

    def test_concurrent_unique_violation_is_retried_within_seconds(self):
        failures_before = self.endpoint.circuit_failure_count
        with self.jobs() as trap:
            message = self.send_order()
            with (
                self._duplicate_key_handler(),
                self.assertLogs("odoo.sql_db", level="DEBUG") as logs,
            ):
                self.run_jobs(trap)
            bad_queries = [r for r in logs.records if "bad query" in r.getMessage()]
            self.assertTrue(bad_queries)
            # Expected and retried: below ERROR, so log-based alerting stays quiet.
            self.assertEqual({r.levelname for r in bad_queries}, {"INFO"})
            self.assertEqual(message.state, "retrying")
            self.assertEqual(message.error_category, "duplicate")
            self.assertIn("Concurrent update", message.last_error)
            self.assertEqual(message.attempt_count, 1)
            wait = (message.next_attempt_at - fields.Datetime.now()).total_seconds()
            self.assertLessEqual(wait, 6)  # shortly, not the flow's 10 s back-off
            self.assertFalse(message.exception_ids)
            # It says nothing about the partner's health.
            self.assertEqual(self.endpoint.circuit_failure_count, failures_before)
            queued = trap.enqueued_jobs[-1]
            self.assertEqual(queued.recordset, message)
            trap.perform_enqueued_jobs()
        self.assertEqual((message.state, message.attempt_count), ("sent", 2))

    def test_conflict_outside_a_job_keeps_its_error_level(self):
        with (
            self.assertLogs("odoo.sql_db", level="DEBUG") as logs,
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env["ir.config_parameter"].create(
                {"key": "database.uuid", "value": "duplicate"}
            )
        levels = {r.levelno for r in logs.records if "bad query" in r.getMessage()}
        self.assertEqual(levels, {logging.ERROR})


@tagged("post_install", "-at_install")
class TestRunnerVisibility(IntegrationCase):
    def test_settings_name_the_connection_of_the_active_runner(self):
        from odoo.addons.queue_job.jobrunner.runner import PG_ADVISORY_LOCK_ID

        with self.registry.cursor() as runner_cr:
            # What a runner does when it wins the election (it keeps the lock on
            # its session; a transaction lock shows the same in pg_locks).
            runner_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", [PG_ADVISORY_LOCK_ID]
            )
            if not runner_cr.fetchone()[0]:
                self.skipTest("a real job runner holds this database's lock")
            runner_cr.execute("SELECT pg_backend_pid()")
            runner_pid = runner_cr.fetchone()[0]
            active = self.env["queue.job"]._integration_active_runner()
            self.assertEqual(active["pid"], runner_pid)
            self.assertEqual(active["application_name"], f"odoo-{os.getpid()}")
            settings = self.env["res.config.settings"].create({})
            self.assertIn(f"connection {runner_pid} ", settings.integration_job_runner)
            runner_cr.rollback()
        self.assertIsNone(self.env["queue.job"]._integration_active_runner())
        settings = self.env["res.config.settings"].create({})
        self.assertIn("no job starts", settings.integration_job_runner)
