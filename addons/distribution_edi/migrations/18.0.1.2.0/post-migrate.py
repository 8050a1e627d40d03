"""Transport settings move from the trading partner to its endpoint.

Before 18.0.1.2.0 each trading partner chose its transport (HTTP, folder,
SFTP) and held the folders and SFTP settings; now the endpoint's protocol is
the switch and the endpoint holds them. The old columns are still in the
table here (Odoo drops the columns of removed fields at the end of the
update): copy them onto the endpoints, then point the edi-poll flow at the
kernel's collect handler.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

SETTINGS = (
    "outbox_path",
    "inbox_path",
    "file_settle_seconds",
    "sftp_host",
    "sftp_port",
    "sftp_host_key_fingerprint",
)
PROTOCOLS = {"folder": "folder", "sftp": "sftp", "http": "edi_http"}


def _old_columns(cr):
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'edi_trading_partner' AND column_name = ANY(%s)
        """,
        [["transport", *SETTINGS]],
    )
    return {name for (name,) in cr.fetchall()}


def _move_transport_settings(env):
    cr = env.cr
    columns = _old_columns(cr)
    if "transport" not in columns:
        return
    selected = ", ".join(
        name if name in columns else f"NULL AS {name}" for name in SETTINGS
    )
    # Active partners first: their settings win over archived ones'.
    cr.execute(
        f"""
        SELECT id, endpoint_id, transport, {selected}
          FROM edi_trading_partner
         WHERE endpoint_id IS NOT NULL AND transport IS NOT NULL
         ORDER BY active DESC NULLS LAST, id
        """  # column names come from SETTINGS, not from data
    )
    by_endpoint = {}
    for row in cr.dictfetchall():
        by_endpoint.setdefault(row["endpoint_id"], []).append(row)
    endpoints = env["integration.endpoint"].with_context(
        active_test=False, tracking_disable=True
    )
    for endpoint_id, rows in by_endpoint.items():
        endpoint = endpoints.browse(endpoint_id).exists()
        if not endpoint:
            continue
        chosen = rows[0]
        transport = chosen["transport"]
        if transport == "http":
            vals = {}
            if endpoint.protocol in ("folder", "sftp"):
                # The partner posted over HTTP whatever the endpoint said.
                vals["protocol"] = PROTOCOLS["http"]
        else:
            vals = {"protocol": PROTOCOLS[transport]}
            vals.update(
                {name: chosen[name] for name in SETTINGS if chosen[name] is not None}
            )
        if vals:
            endpoint.write(vals)
        others = [
            row
            for row in rows[1:]
            if (row["transport"], *(row[name] for name in SETTINGS))
            != (chosen["transport"], *(chosen[name] for name in SETTINGS))
        ]
        if others:
            partners = ", ".join(str(row["id"]) for row in others)
            note = (
                f"Trading partners {partners} of endpoint {endpoint.code} had other "
                f"transport settings than partner {chosen['id']}, whose settings the "
                "endpoint now holds: give them an endpoint of their own if they "
                "trade differently."
            )
            _logger.warning(note)
            endpoint.message_post(body=note)
        _logger.info(
            "Endpoint %s: transport %s taken from trading partner %s",
            endpoint.code,
            transport,
            chosen["id"],
        )


def _collect_with_the_kernel(env):
    flow = env.ref("distribution_edi.flow_edi_poll", raise_if_not_found=False)
    target = env.ref(
        "distribution_edi.flow_edi_interchange_in", raise_if_not_found=False
    )
    if flow and target and flow.handler != "integration.handler.collect":
        flow.write(
            {
                "handler": "integration.handler.collect",
                "collect_into_flow_id": target.id,
            }
        )
    parameters = env["ir.config_parameter"]
    minutes = parameters.get_param("distribution_edi.stale_claim_minutes")
    if minutes:
        parameters.set_param(
            "distribution_integration_base.stale_claim_minutes", minutes
        )
        parameters.set_param("distribution_edi.stale_claim_minutes", False)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _move_transport_settings(env)
    _collect_with_the_kernel(env)
