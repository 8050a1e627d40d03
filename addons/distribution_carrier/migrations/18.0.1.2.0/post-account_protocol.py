"""Accounts tracked by polling register their endpoint on the polling flow
(the channel layer does it on save; existing accounts are saved here)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["carrier.account"].with_context(active_test=True).search(
        []
    )._register_on_batch_flows()
