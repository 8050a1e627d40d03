"""CSV stock reports of a 3PL warehouse (``tpl-csv-collect`` → ``tpl-csv-in``).

flow             handler                          effect
tpl-csv-collect  integration.handler.collect      the CSV folder → tpl-csv-in
tpl-csv-in       integration.handler.tpl_csv_in   account._tpl_apply(inventory_advice)

The file: a header ``report_id,date,snapshot,item,lot,status,quantity`` and
one row per item, lot and status, all of one report. An optional ``uom``
column gives the unit a row counts in (its X12 code; empty: the product's
stock unit), converted like an 846's.
"""

import csv
import io

from odoo import _, models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..tpl.guard import document_problem

CSV_COLUMNS = ("report_id", "date", "snapshot", "item", "lot", "status", "quantity")
CSV_UNIT_COLUMN = "uom"


def read_snapshot_csv(data):
    """The snapshot dict (the codec's ``inventory_advice`` shape) of a CSV
    report; ``ValueError`` saying what is wrong and where."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 text ({exc.reason})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or ()
    except csv.Error as exc:
        raise ValueError(f"the header cannot be read: {exc}") from exc
    missing = [c for c in CSV_COLUMNS if c not in fieldnames]
    if missing:
        raise ValueError(
            f"the header lacks column(s) {', '.join(missing)} "
            f"(expected {','.join(CSV_COLUMNS)})"
        )
    # Read when the header names it: a unit column left unread would take
    # dozens for units.
    columns = CSV_COLUMNS + tuple(c for c in (CSV_UNIT_COLUMN,) if c in fieldnames)
    snapshot = None
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(row.get(c) is None for c in columns):
                raise ValueError(f"line {line}: {len(columns)} columns expected")
            header = (row["report_id"].strip(), row["date"].strip(), row["snapshot"])
            if snapshot is None:
                snapshot = {
                    "report_id": header[0],
                    "date": header[1] or None,
                    "snapshot": header[2].strip() or "full",
                    "items": [],
                }
            elif header[0] != snapshot["report_id"]:
                raise ValueError(
                    f"line {line}: report {header[0]!r} in the file of report "
                    f"{snapshot['report_id']!r} (one report per file)"
                )
            snapshot["items"].append(
                {
                    "item": row["item"].strip(),
                    "gtin": "",
                    "lot": row["lot"].strip(),
                    "status": row["status"].strip() or "available",
                    "quantity": row["quantity"].strip(),
                    "uom": (row.get(CSV_UNIT_COLUMN) or "").strip(),
                }
            )
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from exc
    if snapshot is None:
        raise ValueError("the file has a header but no rows")
    if not snapshot["report_id"]:
        raise ValueError("the rows name no report_id")
    return snapshot


class TplCsvInHandler(models.AbstractModel):
    _name = "integration.handler.tpl_csv_in"
    _inherit = "integration.handler.inbound"
    _description = "3PL: read the warehouse's CSV stock report"

    def _process(self, message):
        account = self.env["tpl.warehouse.account"]._for_snapshot_endpoint(
            message.endpoint_id
        )
        try:
            snapshot = read_snapshot_csv(message._get_payload())
        except ValueError as exc:
            raise errors.PermanentError(
                _("The warehouse's CSV stock report cannot be read: %s", exc),
                category="validation",
            ) from exc
        reconciliation = account._tpl_apply(
            warehouse.INVENTORY_ADVICE, snapshot, message, self
        )
        return HandlerResult(
            external_ref=None if document_problem(snapshot) else snapshot["report_id"],
            record=reconciliation or None,
        )
