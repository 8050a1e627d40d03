from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def _integration_message_jobs(self):
        return self.filtered(
            lambda j: (
                j.model_name == "integration.message" and j.method_name == "_job_run"
            )
        )

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
