from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        if vals.get("state") == "started":
            # queue_job commits the 'started' state before it runs the job, so
            # claiming the attempt here makes "sending" visible and counts an
            # attempt even if the worker then dies mid-call.
            for job in self.filtered(
                lambda j: (
                    j.model_name == "integration.message"
                    and j.method_name == "_job_run"
                )
            ):
                job.records.sudo().with_context(job_uuid=job.uuid)._claim_attempt()
        return super().write(vals)
