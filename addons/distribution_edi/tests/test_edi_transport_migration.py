"""The 18.0.1.2.0 migration: transport settings move from trading partners to
their endpoints.

The columns the partner had before are put back for the test (inside its
transaction, so they vanish with it) and the migration's own functions run.
"""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATION = (
    Path(__file__).resolve().parents[1]
    / "migrations"
    / "18.0.1.2.0"
    / "post-migrate.py"
)
FINGERPRINT = "SHA256:" + "B" * 43


def load_migration():
    spec = importlib.util.spec_from_file_location("edi_migration_18_0_1_2_0", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestTransportMigration(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.supplier = cls.env["res.partner"].create(
            {"name": "Migrated supplier", "is_company": True}
        )

    def endpoint(self, code, **values):
        return self.env["integration.endpoint"].create(
            dict({"name": code, "code": code, "kind": "supplier_edi"}, **values)
        )

    def trading_partner(self, endpoint, our_id, **old_columns):
        partner = self.env["edi.trading.partner"].create(
            {
                "partner_id": self.supplier.id,
                "endpoint_id": endpoint.id,
                "our_interchange_id": our_id,
                "partner_interchange_id": "MIGRATED",
            }
        )
        assignments = ", ".join(f"{name} = %s" for name in old_columns)
        self.env.cr.execute(
            f"UPDATE edi_trading_partner SET {assignments} WHERE id = %s",
            [*old_columns.values(), partner.id],
        )
        return partner

    def test_settings_move_to_the_endpoint_and_poll_uses_the_kernel(self):
        migration = load_migration()
        self.env.cr.execute(
            """
            ALTER TABLE edi_trading_partner
                ADD COLUMN transport varchar, ADD COLUMN outbox_path varchar,
                ADD COLUMN inbox_path varchar, ADD COLUMN file_settle_seconds int,
                ADD COLUMN sftp_host varchar, ADD COLUMN sftp_port int,
                ADD COLUMN sftp_host_key_fingerprint varchar
            """
        )
        sftp = self.endpoint("migrated-sftp")
        first = self.trading_partner(
            sftp,
            "FIRST",
            transport="sftp",
            outbox_path="/out",
            inbox_path="/in",
            file_settle_seconds=9,
            sftp_host="sftp.supplier.example",
            sftp_port=2222,
            sftp_host_key_fingerprint=FINGERPRINT,
        )
        self.trading_partner(sftp, "SECOND", transport="folder", outbox_path="/x")
        posted_over_http = self.endpoint("migrated-http")
        # The endpoint said folder (decoration only, before this version).
        self.env.cr.execute(
            "UPDATE integration_endpoint SET protocol = 'folder' WHERE id = %s",
            [posted_over_http.id],
        )
        self.trading_partner(posted_over_http, "HTTP", transport="http")

        self.env.invalidate_all()  # the migration reads what SQL wrote
        migration._move_transport_settings(self.env)
        self.env.invalidate_all()

        self.assertRecordValues(
            sftp,
            [
                {
                    "protocol": "sftp",
                    "outbox_path": "/out",
                    "inbox_path": "/in",
                    "file_settle_seconds": 9,
                    "sftp_host": "sftp.supplier.example",
                    "sftp_port": 2222,
                    "sftp_host_key_fingerprint": FINGERPRINT,
                }
            ],
        )
        # The second partner's different settings are not silently dropped.
        note = sftp.message_ids.filtered(
            lambda m: "other transport settings" in (m.body or "")
        )
        self.assertEqual(len(note), 1)
        self.assertIn(str(first.id), note.body)
        self.assertEqual(posted_over_http.protocol, "edi_http")

        flow = self.env.ref("distribution_edi.flow_edi_poll")
        self.env.cr.execute(  # as before the update
            "UPDATE integration_flow SET handler = 'integration.handler.edi_poll' "
            "WHERE id = %s",
            [flow.id],
        )
        flow.invalidate_recordset()
        self.env["ir.config_parameter"].set_param(
            "distribution_edi.stale_claim_minutes", "40"
        )
        migration._collect_with_the_kernel(self.env)
        self.assertEqual(flow.handler, "integration.handler.collect")
        self.assertEqual(
            flow.collect_into_flow_id,
            self.env.ref("distribution_edi.flow_edi_interchange_in"),
        )
        self.assertEqual(self.env["integration.endpoint"]._stale_claim_seconds(), 2400)
