"""Point the demo endpoints at the compose services (run by `demo-init` through
`odoo shell`; `env` is the shell's environment).

The demo data names 127.0.0.1, right for a developer's machine; inside compose
each sandbox partner is a service of its own.
"""

from odoo import Command
from odoo.addons.distribution_integration_base.kernel import crypto
from odoo.tools import config

COMPOSE_URLS = {
    "distribution_edi.endpoint_mock_edi": "http://mock-edi:8080",
    "distribution_carrier.endpoint_ltl_sandbox_demo": "http://ltl-sandbox:8099/ltl",
    "distribution_carrier.endpoint_karrio_demo": "http://karrio:5002",
    "distribution_3pl.endpoint_3pl_demo": "http://warehouse-3pl:8098",
}
# The warehouse-3pl service's own demo secrets (sandbox/warehouse_3pl defaults).
TPL_API_KEY = "sandbox-api-key"
TPL_WEBHOOK_SECRET = "sandbox-webhook-secret"
TPL_FOLDERS = {"outbox_path": "/tmp/3pl/pickup", "inbox_path": "/tmp/3pl/drop"}

for xmlid, url in COMPOSE_URLS.items():
    endpoint = env.ref(xmlid, raise_if_not_found=False)  # noqa: F821
    if endpoint and endpoint.base_url != url:
        endpoint.base_url = url
        print(f"{endpoint.code}: {url}")


def master_key_configured():
    try:
        crypto.load_master_key(config.get(crypto.MASTER_KEY_OPTION))
    except (crypto.MasterKeyMissing, crypto.MasterKeyInvalid):
        return False
    return True


def connect_3pl_demo(account):
    """The sandbox warehouse wants its API key on every call and signs what it
    pushes: with a master key both secrets are stored and the account trades
    over HTTP (945s pushed to the gateway); without one no secret can be
    stored, so it trades through the shared folders instead (945s collected by
    the scheduled flow tpl-collect)."""
    endpoint = account.endpoint_id
    if not master_key_configured():
        endpoint.write({"protocol": "folder", "file_settle_seconds": 0, **TPL_FOLDERS})
        print(f"{endpoint.code}: no master key, trading through /tmp/3pl folders")
        return
    credentials = env["integration.credential"]  # noqa: F821
    endpoint.protocol = "edi_http"
    # A run without a key linked the folder collection: nothing to collect now.
    collect = env.ref("distribution_3pl.flow_tpl_collect")  # noqa: F821
    collect.endpoint_ids = [Command.unlink(endpoint.id)]
    if not account.credential_id:
        account.credential_id = credentials.create(
            {
                "name": "Sandbox 3PL API key",
                "endpoint_id": endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": f"Bearer {TPL_API_KEY}",
            }
        )
    if not endpoint.inbound_credential_id:
        endpoint.write(
            {
                "inbound_auth": "hmac",
                "inbound_credential_id": credentials.create(
                    {
                        "name": "Sandbox 3PL webhook secret",
                        "endpoint_id": endpoint.id,
                        "kind": "hmac_secret",
                        "secret": TPL_WEBHOOK_SECRET,
                    }
                ).id,
            }
        )
    print(f"{endpoint.code}: HTTP, 945s pushed to the inbound gateway")


tpl_account = env.ref("distribution_3pl.tpl_account_demo", raise_if_not_found=False)  # noqa: F821
if tpl_account:
    connect_3pl_demo(tpl_account)
env.cr.commit()  # noqa: F821
