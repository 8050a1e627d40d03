"""Test scaffolding shared by the kernel's and every channel's tests.

:class:`IntegrationTestMixin` gives a test class a master key of its own, and
``jobs()`` / ``run_jobs()`` to trap the queue_job jobs the dispatcher queues and
run them in the test's transaction. Channel test bases mix it in.
"""

from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import TransactionCase
from odoo.tools import config

from ..kernel import crypto
from .loopback import LoopbackPeersMixin
from .partner_peer import PartnerServer


class IntegrationTestMixin:
    """Master key, job trapping and running, for test classes of any channel.

    ``job_rounds``: how many times ``run_jobs`` runs what is queued (jobs queue
    further jobs: a received interchange queues its documents).
    ``jobs_must_settle``: fail the test when jobs are still queued after those
    rounds (a chain of jobs that never ends).
    """

    job_rounds = 1
    jobs_must_settle = False

    @classmethod
    def patch_master_key(cls):
        """Give the test class a master key of its own (config option patched
        for the class); returns it."""
        cls.master_key = crypto.generate_master_key()
        cls.startClassPatcher(
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: cls.master_key})
        )
        return cls.master_key

    @contextmanager
    def jobs(self):
        """Trap queue_job jobs; ``run_jobs(trap)`` performs those waiting, in order."""
        with trap_jobs() as trap:
            yield trap

    def run_jobs(self, trap, rounds=None):
        """Run the trapped jobs, and those they queue, up to ``rounds`` times."""
        for _round in range(self.job_rounds if rounds is None else rounds):
            if not trap.enqueued_jobs:
                return
            for job in trap.enqueued_jobs:
                # Jobs queued by a request to our HTTP server (a webhook) hold
                # that request's cursor, closed since: run them in the test's.
                if job.env.cr is not self.env.cr:
                    env = self.env(user=job.env.uid, context=job.env.context)
                    job.recordset = job.recordset.with_env(env)
                    # queue_job 18.0.1 keeps an env beside the recordset; later
                    # releases read it from the recordset (a property).
                    if not isinstance(getattr(type(job), "env", None), property):
                        job.env = env
            trap.perform_enqueued_jobs()
        if self.jobs_must_settle and trap.enqueued_jobs:
            self.fail("jobs kept queuing more jobs")


class IntegrationCase(IntegrationTestMixin, LoopbackPeersMixin, TransactionCase):
    """Kernel test base: a master key, a partner peer, an endpoint and two flows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.peer = PartnerServer().start()
        cls.addClassCleanup(cls.peer.stop)
        cls.company = cls.env.company
        cls.endpoint = cls.env["integration.endpoint"].create(
            {
                "name": "Test partner",
                "code": "test-partner",
                "kind": "supplier_edi",
                "base_url": cls.peer.url,
                "connect_timeout": 2.0,
                "read_timeout": 2.0,
                "circuit_failure_threshold": 3,
                "circuit_cooldown_seconds": 60,
            }
        )
        cls.api_key = cls.env["integration.credential"].create(
            {
                "name": "Outbound key",
                "endpoint_id": cls.endpoint.id,
                "kind": "api_key",
                "header_name": "X-Api-Key",
                "secret": "outbound-api-key-value",
            }
        )
        cls.flow_out = cls.env["integration.flow"].create(
            {
                "name": "Orders out",
                "code": "orders-out",
                "direction": "outbound",
                "handler": "integration.handler.http_json",
                "http_path": "/orders",
                "retry_max_attempts": 3,
                "retry_initial_delay": 10,
                "retry_max_delay": 600,
                "sla_minutes": 30,
            }
        )
        cls.flow_in = cls.env["integration.flow"].create(
            {
                "name": "Customers in",
                "code": "customers-in",
                "direction": "inbound",
                "trigger": "inbound",
                "handler": "integration.handler.partner_upsert",
                "data_domain": "customers",
            }
        )
        # Demo data may already name an owner for customers: make it this endpoint.
        ownership = cls.env["integration.ownership"]
        rule = ownership.search(
            [("data_domain", "=", "customers"), ("company_id", "=", cls.company.id)]
        )
        values = {"owner": "endpoint", "endpoint_id": cls.endpoint.id}
        if rule:
            rule.write(values)
        else:
            ownership.create(dict(values, data_domain="customers"))
        cls.dispatch = cls.env["integration.dispatch"]

    def setUp(self):
        super().setUp()
        self.peer.requests.clear()
        self.peer.script.clear()
        self.peer.default = {"status": 200, "body": {"id": "EXT-1"}}

    def send_order(self, payload=None, **kwargs):
        return self.dispatch._send(
            self.flow_out,
            self.endpoint,
            payload or {"order": "PO001", "lines": 2},
            **kwargs,
        )
