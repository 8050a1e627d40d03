"""Each trading partner gets an interchange profile of its own holding its
envelope settings (its control-number sequences included, so numbering goes
on), then the moved columns and the old unit-code table go."""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists, table_exists

_logger = logging.getLogger(__name__)

PROFILE_COLUMNS = (
    "dialect",
    "x12_version",
    "edifact_version",
    "edifact_syntax",
    "segment_terminator",
    "element_separator",
    "component_separator",
    "repetition_separator",
    "release_character",
    "write_newlines",
    "our_qualifier",
    "our_interchange_id",
    "our_application_id",
    "partner_qualifier",
    "partner_interchange_id",
    "partner_application_id",
    "interchange_sequence_id",
    "group_sequence_id",
    "set_sequence_id",
)


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "edi_trading_partner", "our_interchange_id"):
        _migrate_profiles(cr)
    if table_exists(cr, "edi_uom_code"):
        cr.execute("DROP TABLE edi_uom_code")


def _migrate_profiles(cr):
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    env.flush_all()  # the data just loaded may have given partners a profile
    columns = ", ".join(PROFILE_COLUMNS)
    cr.execute(
        f"""
        SELECT id, company_id, {columns}
          FROM edi_trading_partner
         WHERE profile_id IS NULL
         ORDER BY id
        """
    )
    partners = env["edi.trading.partner"].with_context(active_test=False)
    for row in cr.dictfetchall():
        values = {
            column: row[column]
            for column in PROFILE_COLUMNS
            if row[column] is not None or column == "write_newlines"
        }
        values["write_newlines"] = bool(values.get("write_newlines"))
        profiles = env["edi.interchange.profile"]
        # A profile with these identities already (loaded with the data of this
        # version) is the partner's: identities are unique per company.
        profile = profiles.search(
            [
                ("company_id", "=", row["company_id"]),
                ("partner_qualifier", "=", values.get("partner_qualifier")),
                ("partner_interchange_id", "=", values.get("partner_interchange_id")),
                ("our_interchange_id", "=", values.get("our_interchange_id")),
            ],
            limit=1,
        ) or profiles.create(dict(values, company_id=row["company_id"]))
        _logger.info(
            "Trading partner %s: interchange profile %s", row["id"], profile.id
        )
        partners.browse(row["id"]).write({"profile_id": profile.id})
    env.flush_all()
    for column in PROFILE_COLUMNS:
        cr.execute(f"ALTER TABLE edi_trading_partner DROP COLUMN IF EXISTS {column}")
    cr.execute("ALTER TABLE edi_trading_partner ALTER COLUMN profile_id SET NOT NULL")
