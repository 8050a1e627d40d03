"""The delivery method's carrier service code moves to the kernel's
cross-references (domain carrier_service, on its account's endpoint); the old
column goes once copied."""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "delivery_carrier", "carrier_service_code"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    cr.execute(
        """
        SELECT carrier.id, carrier.carrier_service_code, account.endpoint_id
          FROM delivery_carrier carrier
          JOIN carrier_account account ON account.id = carrier.carrier_account_id
         WHERE COALESCE(carrier.carrier_service_code, '') != ''
        """
    )
    references = env["integration.cross.reference"]
    for carrier_id, code, endpoint_id in cr.fetchall():
        references._set_external(
            env["integration.endpoint"].browse(endpoint_id),
            "carrier_service",
            env["delivery.carrier"].browse(carrier_id),
            code,
        )
    cr.execute("ALTER TABLE delivery_carrier DROP COLUMN carrier_service_code")
