"""Unit codes move from edi.uom.code to the kernel's cross-references, and the
envelope settings of trading partners to interchange profiles.

Envelope columns of edi_trading_partner stop being required here (they are
copied into profiles and dropped by the post-migration).

Defaults (no trading partner) become cross-references without an endpoint;
a trading partner's own codes become cross-references on its endpoint. The
code list is the dialect. XML ids follow their records, so the (noupdate)
default data is not created twice. The post-migration drops the old table.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError
from odoo.tools.sql import column_exists, table_exists

_logger = logging.getLogger(__name__)


# Required columns that move to edi.interchange.profile: new rows no longer
# fill them.
REQUIRED_PROFILE_COLUMNS = ("dialect", "our_interchange_id", "partner_interchange_id")


def migrate(cr, version):
    if not version:
        return
    for column in REQUIRED_PROFILE_COLUMNS:
        if column_exists(cr, "edi_trading_partner", column):
            cr.execute(
                f"ALTER TABLE edi_trading_partner ALTER COLUMN {column} DROP NOT NULL"
            )
    if table_exists(cr, "edi_uom_code"):
        _migrate_unit_codes(cr)


def _migrate_unit_codes(cr):
    if not table_exists(cr, "integration_cross_reference"):
        raise RuntimeError(
            "distribution_edi 18.0.1.2.0 keeps its unit codes in the kernel's "
            "cross-references: upgrade distribution_integration_base with it."
        )
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    references = env["integration.cross.reference"].with_context(active_test=False)
    cr.execute(
        """
        SELECT code.id, code.uom_id, code.dialect, code.code, partner.endpoint_id
          FROM edi_uom_code code
          LEFT JOIN edi_trading_partner partner ON partner.id = code.trading_partner_id
         WHERE code.trading_partner_id IS NULL OR partner.endpoint_id IS NOT NULL
         ORDER BY code.trading_partner_id NULLS FIRST, code.id
        """
    )
    for old_id, uom_id, dialect, code, endpoint_id in cr.fetchall():
        values = {
            "endpoint_id": endpoint_id,
            "domain": "uom",
            "code_list": dialect,
            "res_id": uom_id,
            "code": code,
        }
        existing = references.search(
            [(key, "=", value or False) for key, value in values.items()], limit=1
        )
        try:
            with cr.savepoint():
                reference = existing or references.create(values)
        except ValidationError as exc:
            # Two trading partners on one endpoint with different codes for a
            # unit: the first one kept; the endpoint has one code per unit now.
            _logger.warning("Unit code %s (%s) not migrated: %s", code, dialect, exc)
            continue
        cr.execute(
            """
            UPDATE ir_model_data
               SET model = 'integration.cross.reference', res_id = %s
             WHERE model = 'edi.uom.code' AND res_id = %s
            """,
            (reference.id, old_id),
        )
