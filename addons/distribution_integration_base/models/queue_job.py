from odoo import api, models
from odoo.addons.queue_job.jobrunner.runner import PG_ADVISORY_LOCK_ID


class QueueJob(models.Model):
    _inherit = "queue.job"

    def _integration_message_jobs(self):
        return self.filtered(
            lambda j: (
                j.model_name == "integration.message" and j.method_name == "_job_run"
            )
        )

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        # queue_job's "is this job stored already?" before it stores a job the
        # dispatch has just built (``integration_fresh_job``, see
        # integration.message._enqueue): its uuid4 is new, the answer is no.
        if (
            self.env.context.get("integration_fresh_job")
            and len(domain) == 1
            and tuple(domain[0][:2]) == ("uuid", "in")
            and len(domain[0][2]) == 1
        ):
            return self.browse()
        return super().search(domain, offset=offset, limit=limit, order=order)

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get("integration_fresh_job"):
            # The dispatch's jobs, one per message on the ingest path: nobody
            # follows them, so skip mail's follower and tracking work.
            self = self.with_context(tracking_disable=True)  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("state") == "started":
            # queue_job commits the 'started' state before it runs the job, so
            # claiming the attempt here makes "sending" visible and counts an
            # attempt even if the worker then dies mid-call.
            for job in self._integration_message_jobs():
                job.records.sudo().with_context(job_uuid=job.uuid)._claim_attempt()
        elif vals.get("state") == "failed":
            # queue_job stores a failure from a cursor of its own, committed:
            # the message leaves its in-flight state in the same commit.
            for job in self._integration_message_jobs():
                job.records.sudo()._release_failed_job(
                    job.uuid,
                    vals.get("exc_message") or vals.get("exc_name") or "",
                    details=vals.get("exc_info"),
                )
        return super().write(vals)

    @api.model
    def _integration_active_runner(self):
        """The connection of the queue_job runner holding this database's runner
        lock (one node's runner is active, the others stand by), or None.

        ``application_name`` is Odoo's ``odoo-<pid>`` of the runner process, or
        what ``ODOO_PGAPPNAME`` names each node.
        """
        self.env.cr.execute(
            """
            SELECT activity.pid, activity.application_name,
                   host(activity.client_addr),
                   activity.backend_start at time zone 'UTC'
              FROM pg_locks lock
              JOIN pg_stat_activity activity ON activity.pid = lock.pid
             WHERE lock.locktype = 'advisory'
               AND lock.granted
               AND lock.objsubid = 1
               AND lock.database = (SELECT oid FROM pg_database
                                     WHERE datname = current_database())
               AND (lock.classid::bigint << 32) | lock.objid::bigint = %s
            """,
            [PG_ADVISORY_LOCK_ID],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        return dict(
            zip(("pid", "application_name", "client_addr", "since"), row, strict=True)
        )
