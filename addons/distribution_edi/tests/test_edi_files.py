"""Folder and SFTP exchange with mock-edi trading over a directory.

The mock reads what Odoo writes into its drop directory and writes its answers
into its pickup directory, which the batch flow edi-poll (the kernel's collect
handler) collects: over the local file system, and over SFTP through a real
OpenSSH server. The folders and SFTP settings are the endpoint's.
"""

import os
import tempfile
import time
from pathlib import Path

from odoo.addons.distribution_integration_base.tests.sftp_peer import (
    SftpPeerUnavailable,
    SftpServer,
)
from odoo.tests import tagged

from .common import EdiCase


class FileTradingCase(EdiCase):
    def setUp(self):
        super().setUp()
        self.mock.expect("POST", "/_mock/reset")

    def collect(self, trap):
        """One run of the batch flow, then what its commit would do."""
        flow = self.env.ref("distribution_edi.flow_edi_poll")
        # This test's endpoint only: the demo supplier's folders need not exist.
        collected = self.dispatch._run_batch_flows(flow, endpoints=self.endpoint)
        self.env.cr.postcommit.run()
        self.run_jobs(trap)
        self.assert_applied(self.messages("edi-interchange-in"))
        return collected

    def cycle(self, trading_partner, pickup_dir):
        self.use_partner(trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 6), ("CABLE-2M", 4)])
            self.run_jobs(trap)
            sent = self.messages("edi-order-out", res_id=order.id)
            self.assertEqual(sent.state, "sent", sent.last_error)
            scan = self.mock.expect("POST", "/_mock/drop/scan")
            self.assertTrue(scan, "the mock found our file")
            self.mock.expect("POST", "/_mock/advance?all")
            self.assertEqual(len(list(Path(pickup_dir).glob("*.edi"))), 4)
            self.collect(trap)
        return order, sent


@tagged("post_install", "-at_install")
class TestEdiFolder(FileTradingCase):
    @classmethod
    def setUpClass(cls):
        root = tempfile.mkdtemp(prefix="dis-edi-folder-")
        cls.drop_dir = os.path.join(root, "to-supplier")
        cls.pickup_dir = os.path.join(root, "from-supplier")
        os.makedirs(cls.drop_dir)
        os.makedirs(cls.pickup_dir)
        cls.mock_options = {
            "drop_dir": cls.drop_dir,
            "pickup_dir": cls.pickup_dir,
            "drop_settle_ms": 0,
        }
        super().setUpClass()
        cls.endpoint.write(
            {
                "protocol": "folder",
                "outbox_path": cls.drop_dir,
                "inbox_path": cls.pickup_dir,
                "file_settle_seconds": 0,
            }
        )

    def test_full_cycle_over_a_folder(self):
        order, sent = self.cycle(self.trading_partner, self.pickup_dir)
        self.assertEqual(sent.state, "acknowledged")
        self.assertEqual(order.edi_state, "confirmed")
        self.assertEqual(order.order_line.mapped("qty_received"), [6, 4])
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")
        # Collected files moved aside once committed; none is left to read twice.
        processed = Path(self.pickup_dir, "processed")
        self.assertEqual(len(list(processed.glob("*.edi"))), 4)
        self.assertFalse(list(Path(self.pickup_dir).glob("*.edi")))
        with self.jobs() as trap:
            self.collect(trap)
        self.assertEqual(len(self.messages("edi-interchange-in")), 4)
        # Our acknowledgements went back through the same folder.
        self.assertEqual(len(self.messages("edi-ack-out")), 3)

    def test_claim_left_by_a_crashed_poller_is_collected(self):
        # A poller died between claiming a file and its commit: the file stays
        # "<name>.processing", which no claim takes. The kernel's scheduled
        # action gives such claims back; the next collection takes them.
        processed = Path(self.pickup_dir, "processed")
        before = set(processed.glob("*")) if processed.exists() else set()
        self.use_partner(self.trading_partner)
        with self.jobs() as trap:
            order = self.create_order([("BRKT-050", 3)])
            self.run_jobs(trap)
            self.mock.expect("POST", "/_mock/drop/scan")
            self.mock.expect("POST", "/_mock/advance?all")
            answers = sorted(Path(self.pickup_dir).glob("*.edi"))
            self.assertEqual(len(answers), 4)
            claimed = answers[0].with_name(answers[0].name + ".processing")
            answers[0].rename(claimed)
            an_hour_ago = time.time() - 3600
            os.utime(claimed, (an_hour_ago, an_hour_ago))
            self.env["integration.endpoint"]._cron_recover_stale_claims()
            self.collect(trap)
        self.assertFalse(claimed.exists())
        self.assertEqual(len(self.messages("edi-interchange-in")), 4)
        self.assertEqual(order.order_line.qty_received, 3)
        self.assertEqual(order.invoice_ids.edi_match_state, "matched")
        for path in set(processed.glob("*")) - before:
            path.unlink()

    def test_rollback_gives_files_back(self):
        Path(self.pickup_dir, "late.edi").write_bytes(b"ISA*garbage~")
        os.utime(Path(self.pickup_dir, "late.edi"), (1, 1))
        flow = self.env.ref("distribution_edi.flow_edi_poll")
        with self.jobs():
            self.dispatch._run_batch_flows(flow, endpoints=self.endpoint)
        self.assertTrue(Path(self.pickup_dir, "late.edi.processing").exists())
        self.env.cr.postrollback.run()
        self.assertTrue(Path(self.pickup_dir, "late.edi").exists())
        Path(self.pickup_dir, "late.edi").unlink()


@tagged("post_install", "-at_install")
class TestEdiSftp(FileTradingCase):
    @classmethod
    def setUpClass(cls):
        try:
            cls.sftp = SftpServer().start()
        except SftpPeerUnavailable as exc:
            cls.skipTest(cls, str(exc))
        cls.drop_dir = cls.sftp.path("to-supplier")
        cls.pickup_dir = cls.sftp.path("from-supplier")
        cls.mock_options = {
            "drop_dir": str(cls.drop_dir),
            "pickup_dir": str(cls.pickup_dir),
            "drop_settle_ms": 0,
        }
        try:
            super().setUpClass()
        except Exception:
            cls.sftp.stop()
            raise
        cls.addClassCleanup(cls.sftp.stop)
        credential = cls.env["integration.credential"].create(
            {
                "name": "SFTP key",
                "endpoint_id": cls.endpoint.id,
                "kind": "ssh_key",
                "username": cls.sftp.username,
                "private_key": cls.sftp.private_key_pem,
            }
        )
        assert credential.has_secret or credential.sudo().private_key_token
        cls.endpoint.write(
            {
                "protocol": "sftp",
                "sftp_host": cls.sftp.host,
                "sftp_port": cls.sftp.port,
                "sftp_host_key_fingerprint": cls.sftp.host_key_fingerprint,
                "outbox_path": str(cls.drop_dir),
                "inbox_path": str(cls.pickup_dir),
                "file_settle_seconds": 0,
            }
        )

    def test_full_cycle_over_sftp(self):
        order, sent = self.cycle(self.trading_partner, self.pickup_dir)
        self.assertEqual(sent.state, "acknowledged")
        self.assertEqual(order.edi_state, "confirmed")
        bill = order.invoice_ids
        self.assertEqual(bill.edi_match_state, "matched", bill.edi_match_details)
        self.assertEqual(len(list(Path(self.pickup_dir, "processed").glob("*.edi"))), 4)

    def test_wrong_host_key_is_refused(self):
        self.endpoint.sftp_host_key_fingerprint = (
            "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        )
        self.trading_partner.action_test_transport()
        self.assertFalse(self.endpoint.last_check_ok)
        self.assertIn(self.sftp.host_key_fingerprint, self.endpoint.last_check_message)
