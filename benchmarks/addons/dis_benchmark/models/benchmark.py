import hashlib

from odoo import models


def trivial_work(payload):
    """The same small unit of work for both sides of the overhead benchmark."""
    return hashlib.sha256(payload).hexdigest()


class BenchmarkHandler(models.AbstractModel):
    _name = "integration.handler.benchmark_noop"
    _inherit = "integration.handler"
    _description = "Benchmark: hash the payload (no I/O)"
    _inbound_content_types = "application/json"

    def _send(self, message):
        trivial_work(message._get_payload())
        return {}

    def _process(self, message):
        trivial_work(message._get_payload())
        return {}


class BenchmarkBareJob(models.AbstractModel):
    _name = "dis.benchmark.bare"
    _description = "Benchmark: the same work as a bare queue_job job"

    def _run_bare(self, payload):
        return trivial_work(payload.encode())
