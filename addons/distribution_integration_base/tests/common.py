from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import TransactionCase
from odoo.tools import config

from ..kernel import crypto
from .loopback import LoopbackPeersMixin
from .partner_peer import PartnerServer


class IntegrationCase(LoopbackPeersMixin, TransactionCase):
    """Kernel test base: a master key, a partner peer, an endpoint and two flows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.master_key = crypto.generate_master_key()
        cls.startClassPatcher(
            patch.dict(config.options, {crypto.MASTER_KEY_OPTION: cls.master_key})
        )
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

    @contextmanager
    def jobs(self):
        """Trap queue_job jobs; ``run()`` performs those waiting, in order."""
        with trap_jobs() as trap:
            yield trap

    def run_jobs(self, trap, rounds=1):
        for _round in range(rounds):
            if not trap.enqueued_jobs:
                break
            trap.perform_enqueued_jobs()

    def send_order(self, payload=None, **kwargs):
        return self.dispatch._send(
            self.flow_out,
            self.endpoint,
            payload or {"order": "PO001", "lines": 2},
            **kwargs,
        )
