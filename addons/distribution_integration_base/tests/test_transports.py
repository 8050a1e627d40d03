"""Endpoint transports and the generic collect handler, with real peers.

Files are collected from a real folder and from a real OpenSSH server
(``sftp_peer``) into the kernel's partner master-data flow, so the whole path
(claim, receive, process, file away) runs without any channel installed.
"""

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..kernel import errors, transports
from .common import IntegrationCase
from .sftp_peer import SftpPeerUnavailable, SftpServer

AN_HOUR_AGO = time.time() - 3600
DISPATCH_LOGGER = (
    "odoo.addons.distribution_integration_base.models.integration_dispatch"
)


def drop(folder, name, data, modified=AN_HOUR_AGO):
    """A file as a partner leaves it: whole, and settled."""
    path = Path(folder, name)
    path.write_bytes(data)
    os.utime(path, (modified, modified))
    return path


class CollectCase(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collect_flow = cls.env["integration.flow"].create(
            {
                "name": "Customers collected",
                "code": "customers-collect",
                "direction": "inbound",
                "trigger": "schedule",
                "mode": "batch",
                "handler": "integration.handler.collect",
                "collect_into_flow_id": cls.flow_in.id,
                "endpoint_ids": [(6, 0, cls.endpoint.ids)],
            }
        )

    def customer(self, ref, name):
        return json.dumps({"ref": ref, "name": name}).encode()

    def collect(self, trap):
        collected = self.dispatch._run_batch_flows(self.collect_flow)
        self.run_jobs(trap)
        return collected

    def received(self):
        return self.env["integration.message"].search(
            [("flow_id", "=", self.flow_in.id), ("endpoint_id", "=", self.endpoint.id)]
        )


@tagged("post_install", "-at_install")
class TestFolderCollect(CollectCase):
    def setUp(self):
        super().setUp()
        root = tempfile.mkdtemp(prefix="dis-collect-")
        self.addCleanup(shutil.rmtree, root, True)
        self.outbox = os.path.join(root, "out")
        self.inbox = os.path.join(root, "in")
        os.makedirs(self.outbox)
        os.makedirs(self.inbox)
        self.endpoint.write(
            {
                "protocol": "folder",
                "outbox_path": self.outbox,
                "inbox_path": self.inbox,
                "file_settle_seconds": 2,
            }
        )

    def test_files_become_messages_of_the_target_flow_and_are_filed_once_committed(
        self,
    ):
        drop(self.inbox, "c1.json", self.customer("C-1", "First customer"))
        drop(self.inbox, "empty.json", b"  \n")
        drop(self.inbox, "new.json", b"{}", modified=time.time())  # still written
        with self.jobs() as trap:
            self.collect(trap)
        message = self.received()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.payload_attachment_id.name, "c1.json")
        self.assertEqual(message.external_ref, "c1.json")
        self.assertEqual(message.content_type, "application/json")
        self.assertEqual(message.state, "done", message.last_error)
        partner = self.env["res.partner"].browse(message.res_id)
        self.assertEqual(partner.name, "First customer")
        # Claimed until the transaction commits; filed away then.
        self.assertEqual(
            sorted(os.listdir(self.inbox)),
            ["c1.json.processing", "empty.json.processing", "new.json"],
        )
        self.env.cr.postcommit.run()
        self.assertEqual(
            sorted(os.listdir(self.inbox)), ["failed", "new.json", "processed"]
        )
        self.assertEqual(os.listdir(Path(self.inbox, "processed")), ["c1.json"])
        reason = Path(self.inbox, "failed", "empty.json.reason.txt").read_text()
        self.assertEqual(reason, "empty file\n")

    def test_the_same_file_collected_twice_has_one_effect(self):
        data = self.customer("C-2", "Twice")
        drop(self.inbox, "a.json", data)
        drop(self.inbox, "a-again.json", data)
        with self.jobs() as trap:
            self.collect(trap)
        self.assertEqual(len(self.received()), 1)

    def test_rollback_gives_the_files_back(self):
        drop(self.inbox, "late.json", self.customer("C-3", "Late"))
        with self.jobs():
            self.dispatch._run_batch_flows(self.collect_flow)
        self.assertEqual(os.listdir(self.inbox), ["late.json.processing"])
        self.env.cr.postrollback.run()
        self.assertEqual(os.listdir(self.inbox), ["late.json"])
        self.assertAlmostEqual(
            os.stat(Path(self.inbox, "late.json")).st_mtime, AN_HOUR_AGO, delta=1
        )

    def test_scheduled_action_gives_back_claims_of_a_crashed_collector(self):
        crashed = drop(self.inbox, "crashed.json.processing", b"{}")
        busy = drop(self.inbox, "busy.json.processing", b"{}", modified=time.time())
        cron = self.env.ref(
            "distribution_integration_base.ir_cron_integration_recover_stale_claims"
        )
        self.assertEqual(cron.model_id.model, "integration.endpoint")
        self.assertEqual(
            self.env["integration.endpoint"]._cron_recover_stale_claims(), 1
        )
        self.assertTrue(Path(self.inbox, "crashed.json").exists())
        self.assertFalse(crashed.exists())
        self.assertTrue(busy.exists())  # claimed just now: still someone's

    def test_outbound_put_through_the_endpoint_transport(self):
        with self.endpoint._transport() as exchange:
            self.assertIsInstance(exchange, transports.FolderTransport)
            self.assertEqual(exchange.put("order.json", b"{}"), "order.json")
            self.assertEqual(exchange.put("order.json", b"{}"), "order-1.json")
        self.assertEqual(
            sorted(os.listdir(self.outbox)), ["order-1.json", "order.json"]
        )

    def test_connection_test_checks_both_folders(self):
        self.endpoint.action_test_connection()
        self.assertTrue(self.endpoint.last_check_ok, self.endpoint.last_check_message)
        self.endpoint.inbox_path = os.path.join(self.inbox, "missing")
        self.endpoint.action_test_connection()
        self.assertFalse(self.endpoint.last_check_ok)
        self.assertIn("missing does not exist", self.endpoint.last_check_message)

    def test_an_unreachable_inbox_is_an_exception_of_the_batch_run(self):
        self.endpoint.inbox_path = os.path.join(self.inbox, "gone")
        with self.jobs(), mute_logger(DISPATCH_LOGGER):
            self.dispatch._run_batch_flows(self.collect_flow)
        exception = self.env["integration.exception"].search(
            [("flow_id", "=", self.collect_flow.id)]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("gone", exception.name)


@tagged("post_install", "-at_install")
class TestTransportSettings(CollectCase):
    def test_collect_flow_needs_an_inbound_flow_to_feed(self):
        with self.assertRaisesRegex(ValidationError, "Collect into"):
            self.collect_flow.collect_into_flow_id = False
        with self.assertRaisesRegex(ValidationError, "another, inbound"):
            self.collect_flow.collect_into_flow_id = self.flow_out
        with self.assertRaisesRegex(ValidationError, "another, inbound"):
            self.collect_flow.collect_into_flow_id = self.collect_flow

    def test_file_protocols_need_their_settings(self):
        with self.assertRaisesRegex(ValidationError, "folder to collect from"):
            self.endpoint.write({"protocol": "folder", "outbox_path": "/out"})
        with self.assertRaisesRegex(ValidationError, "host key"):
            self.endpoint.write(
                {
                    "protocol": "sftp",
                    "sftp_host": "127.0.0.1",
                    "outbox_path": "/out",
                    "inbox_path": "/in",
                }
            )
        with self.assertRaisesRegex(ValidationError, "MD5 fingerprints"):
            self.endpoint.write(
                {
                    "protocol": "sftp",
                    "sftp_host": "127.0.0.1",
                    "sftp_host_key_fingerprint": "MD5:12:34:56",
                    "outbox_path": "/out",
                    "inbox_path": "/in",
                }
            )

    def test_protocol_chooses_the_transport(self):
        with self.endpoint._transport() as exchange:  # rest
            self.assertIsInstance(exchange, transports.HttpTransport)
            self.assertIn("answered HTTP", exchange.check())
        self.endpoint.protocol = "soap"
        with self.assertRaisesRegex(errors.PermanentError, "no transport"):
            self.endpoint._transport()

    def test_http_endpoints_have_nothing_to_collect(self):
        with self.jobs():
            self.assertTrue(self.dispatch._run_batch_flows(self.collect_flow))
        self.assertFalse(self.received())
        self.assertFalse(
            self.env["integration.exception"].search(
                [("flow_id", "=", self.collect_flow.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestSftpCollect(CollectCase):
    @classmethod
    def setUpClass(cls):
        try:
            cls.sftp = SftpServer().start()
        except SftpPeerUnavailable as exc:
            cls.skipTest(cls, str(exc))
        cls.addClassCleanup(cls.sftp.stop)
        super().setUpClass()
        cls.env["integration.credential"].create(
            {
                "name": "SFTP key",
                "endpoint_id": cls.endpoint.id,
                "kind": "ssh_key",
                "username": cls.sftp.username,
                "private_key": cls.sftp.private_key_pem,
            }
        )
        cls.api_key.active = False
        cls.outbox = str(cls.sftp.path("out"))
        cls.inbox = str(cls.sftp.path("in"))
        cls.endpoint.write(
            {
                "protocol": "sftp",
                "sftp_host": cls.sftp.host,
                "sftp_port": cls.sftp.port,
                "sftp_host_key_fingerprint": cls.sftp.host_key_fingerprint,
                "outbox_path": cls.outbox,
                "inbox_path": cls.inbox,
                "file_settle_seconds": 0,
            }
        )

    def test_files_collected_over_sftp(self):
        drop(self.inbox, "c9.json", self.customer("C-9", "Over SFTP"))
        with self.jobs() as trap:
            self.collect(trap)
        message = self.received()
        self.assertEqual(message.state, "done", message.last_error)
        self.env.cr.postcommit.run()
        self.assertEqual(os.listdir(Path(self.inbox, "processed")), ["c9.json"])

    def test_stale_claims_recovered_over_sftp(self):
        drop(self.inbox, "left.json.processing", b"{}")
        self.assertEqual(
            self.env["integration.endpoint"]._cron_recover_stale_claims(), 1
        )
        self.assertTrue(Path(self.inbox, "left.json").exists())
        Path(self.inbox, "left.json").unlink()

    def test_wrong_host_key_is_refused_and_the_offered_one_shown(self):
        self.endpoint.action_test_connection()
        self.assertTrue(self.endpoint.last_check_ok, self.endpoint.last_check_message)
        self.endpoint.sftp_host_key_fingerprint = "SHA256:" + "A" * 43
        self.endpoint.action_test_connection()
        self.assertFalse(self.endpoint.last_check_ok)
        self.assertIn(self.sftp.host_key_fingerprint, self.endpoint.last_check_message)
