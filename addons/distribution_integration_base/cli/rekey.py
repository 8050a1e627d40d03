"""``odoo integration-rekey``: re-encrypt every credential under a new master key."""

import argparse
import os
import sys

import odoo
from odoo.cli import Command
from odoo.exceptions import UserError
from odoo.tools import config

from ..kernel import crypto

NEW_KEY_ENV = "ODOO_INTEGRATION_NEW_MASTER_KEY"


class IntegrationRekey(Command):
    """Re-encrypt all integration credentials under a new master key"""

    name = "integration-rekey"

    def run(self, cmdargs):
        parser = argparse.ArgumentParser(
            prog=f"{sys.argv[0].split(os.sep)[-1]} {self.name}",
            description="Decrypt every integration credential with the current master "
            "key (integration_master_key / ODOO_INTEGRATION_MASTER_KEY) and encrypt it "
            f"with the new key read from {NEW_KEY_ENV}. Nothing is written unless "
            "every secret could be decrypted. Afterwards, put the new key in the "
            "configuration.",
        )
        parser.add_argument("-c", "--config", help="Odoo configuration file")
        parser.add_argument("-d", "--database", required=True, help="database name")
        args, unknown = parser.parse_known_args(cmdargs)
        odoo_args = [f"--config={args.config}"] if args.config else []
        config.parse_config(odoo_args + unknown)

        try:
            old_box = crypto.SecretBox(
                crypto.load_master_key(config.get(crypto.MASTER_KEY_OPTION))
            )
            new_text = os.environ.get(NEW_KEY_ENV)
            if not new_text:
                raise crypto.MasterKeyMissing(
                    f"Set the new master key in the {NEW_KEY_ENV} environment variable "
                    f'(generate one with: python3 -c "import base64,os;'
                    f'print(base64.urlsafe_b64encode(os.urandom(32)).decode())").'
                )
            new_box = crypto.SecretBox(crypto.parse_master_key(new_text))
        except crypto.MasterKeyError as exc:
            sys.exit(f"integration-rekey: {exc}")

        registry = odoo.modules.registry.Registry(args.database)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            try:
                count = env["integration.credential"]._reencrypt_all(old_box, new_box)
            except UserError as exc:
                cr.rollback()
                sys.exit(f"integration-rekey: {exc.args[0]}")
        print(
            f"Re-encrypted {count} secret value(s) from master key {old_box.key_id} "
            f"to {new_box.key_id}. Now set integration_master_key (or "
            f"{crypto.MASTER_KEY_ENV}) to the new key and restart Odoo."
        )
