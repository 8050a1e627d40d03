"""Inventory reconciliation with a 3PL warehouse (item 6).

A stock report of the warehouse (846, JSON snapshot, CSV file; full or delta;
by item, lot and status) is compared with Odoo's quants of the warehouse in a
few set-based SQL statements: the report goes to a temporary table, Odoo's
stock is aggregated per product, lot and status by the database, and one
``INSERT ... SELECT`` writes a line per difference. Nothing is read into the
ORM row by row, so 100,000 items take seconds and memory stays flat
(benchmarks/tpl_reconcile.py). A 947 adjustment becomes the same record, its
lines carrying the reported change.

Within the account's tolerance the result is applied at once; above it an
inventory manager approves or rejects it. Applying goes through Odoo's own
inventory adjustments (``stock.quant`` ``inventory_quantity`` then
``action_apply_inventory``), so the moves and their history are Odoo's.
"""

import hashlib
from decimal import Decimal, InvalidOperation

from markupsafe import Markup
from psycopg2.extras import execute_values

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero

from .tpl_warehouse_account import UNIT_CODE_LIST

STOCK_USER = "stock.group_stock_user"
STOCK_MANAGER = "stock.group_stock_manager"
STATUSES = [
    ("available", "Available"),
    ("damaged", "Damaged"),
    ("on_hold", "On hold"),
]
CAUSES = [
    ("in_transit", "Goods in transit"),
    ("unconfirmed_shipment", "Unconfirmed shipment"),
    ("unconfirmed_receipt", "Unconfirmed receipt"),
    ("adjustment", "Reported by the warehouse (947)"),
    ("unknown", "Unknown"),
]
DOCUMENT_KINDS = [
    (warehouse.INVENTORY_ADVICE, "Stock snapshot"),
    (warehouse.INVENTORY_ADJUSTMENT, "Adjustment (947)"),
]
# Items named in an exception at most; the count says how many there were.
SHOWN_UNKNOWN = 50


class SnapshotError(ValueError):
    """A stock report that cannot be reconciled as a whole (why, in words)."""


def snapshot_rows(document, adjustment=False):
    """``(item, gtin, lot, status, quantity, unit)`` rows of a snapshot dict
    (the codec's ``inventory_advice``) or of a 947 (``inventory_adjustment``);
    ``unit``: the warehouse's unit code, upper case ("": the stock unit).

    A generator, so a report of any size is streamed to the database page
    by page. Raises :class:`SnapshotError` naming the entry that is wrong: a
    report read in part would turn its missing half into variances.
    """
    key = "adjustments" if adjustment else "items"
    entries = document.get(key)
    if not isinstance(entries, list):
        raise SnapshotError(f"the report has no list of {key}")
    statuses = dict(STATUSES)
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise SnapshotError(f"entry {number} is no object")
        item = str(entry.get("item") or "").strip()
        gtin = str(entry.get("gtin") or "").strip()
        if not (item or gtin):
            raise SnapshotError(f"entry {number} names no item")
        status = entry.get("status") or "available"
        if status not in statuses:
            raise SnapshotError(f"entry {number}: unknown stock status {status!r}")
        try:
            quantity = Decimal(str(entry.get("quantity")))
        except (InvalidOperation, ValueError):
            quantity = None
        if (
            quantity is None
            or not quantity.is_finite()
            or (quantity < 0 and not adjustment)
        ):
            raise SnapshotError(
                f"entry {number} ({item or gtin}): {entry.get('quantity')!r} "
                "is no quantity"
            )
        unit = str(entry.get("uom") or "").strip().upper()
        lot = str(entry.get("lot") or "").strip()
        yield (item, gtin, lot, status, quantity, unit)


def report_digest(snapshot, rows):
    """A fingerprint of a report's content: the same whatever the order of its
    rows or the writing of its numbers (``5`` / ``5.000``), so that a resend is
    told from another report under the same number. Rows are summed as
    independent hashes: streamed, with no sorting in memory. A row in "EA"
    (what every report counted in before units were read) hashes as before."""
    total = 0
    for item, gtin, lot, status, quantity, unit in rows:
        number = quantity.normalize() if quantity else Decimal(0)
        parts = [item, gtin, lot, status, format(number, "f")]
        if unit not in ("", "EA"):
            parts.append(unit)
        row = "\x1f".join(parts)
        total += int.from_bytes(hashlib.sha256(row.encode()).digest(), "big")
    return f"{snapshot}:{total % (1 << 256):064x}"


class TplReconciliation(models.Model):
    _name = "tpl.reconciliation"
    _description = "3PL Inventory Reconciliation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    account_id = fields.Many2one(
        "tpl.warehouse.account",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    warehouse_id = fields.Many2one(
        related="account_id.warehouse_id", store=True, string="Warehouse"
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True
    )
    report_id = fields.Char(
        string="Warehouse report", required=True, readonly=True, index=True
    )
    document_kind = fields.Selection(
        DOCUMENT_KINDS, required=True, readonly=True, default=warehouse.INVENTORY_ADVICE
    )
    snapshot = fields.Selection(
        [("full", "Full"), ("delta", "Changes only")],
        required=True,
        readonly=True,
        default="full",
        help="Full: everything the warehouse holds, so what Odoo has and the "
        "report lacks is a difference. Changes only: the items reported.",
    )
    date = fields.Date(string="Report date", readonly=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_review", "To review"),
            ("approved", "Approved"),
            ("applied", "Applied"),
            ("rejected", "Rejected"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    auto_accepted = fields.Boolean(
        readonly=True, help="Within the account's tolerance: applied without review."
    )
    line_ids = fields.One2many(
        "tpl.reconciliation.line", "reconciliation_id", readonly=True
    )
    line_count = fields.Integer(readonly=True)
    variance_qty = fields.Float(
        string="Variance (units)", digits="Product Unit of Measure", readonly=True
    )
    variance_value = fields.Float(
        string="Variance value", digits="Product Price", readonly=True
    )
    max_line_variance = fields.Float(
        string="Largest difference",
        digits="Product Unit of Measure",
        readonly=True,
    )
    unknown_items = fields.Text(
        readonly=True, help="Items of the report no product matches (not reconciled)."
    )
    message_id = fields.Many2one(
        "integration.message", string="Source message", readonly=True, index=True
    )
    content_digest = fields.Char(
        readonly=True,
        copy=False,
        help="Fingerprint of the report's content: the same report number "
        "received again with other content is refused, not taken for a resend.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, string="Approved by")
    approved_at = fields.Datetime(readonly=True)
    applied_at = fields.Datetime(readonly=True)
    move_ids = fields.Many2many(
        "stock.move",
        "tpl_reconciliation_stock_move_rel",
        "reconciliation_id",
        "move_id",
        string="Inventory adjustments",
        readonly=True,
    )

    _sql_constraints = [
        (
            "report_unique",
            "unique(account_id, document_kind, report_id)",
            "A warehouse report is reconciled once.",
        )
    ]

    def write(self, vals):
        # Stock users may write the record (chatter, activities), but its
        # report, lines and decision change only through the channel and
        # action_approve/action_reject: an RPC write of ``state`` would approve
        # without a manager, or reopen an applied report to apply it twice.
        if not self.env.su:
            mixins = set(self.env["mail.thread"]._fields) | set(
                self.env["mail.activity.mixin"]._fields
            )
            locked = sorted(set(vals) - mixins)
            if locked:
                raise AccessError(
                    _(
                        "3PL reconciliations change only through their review "
                        "(Approve, Reject), not by writing %s.",
                        ", ".join(locked),
                    )
                )
        return super().write(vals)

    # -- the document seam: appliers ----------------------------------------------

    @api.model
    def _tpl_apply_inventory_advice(self, account, snapshot, message, handler):
        """A stock report (846 / JSON / CSV): the reconciliation it makes."""
        return self._tpl_reconcile(
            account, snapshot, message, handler, warehouse.INVENTORY_ADVICE
        )

    @api.model
    def _tpl_apply_inventory_adjustment(self, account, advice, message, handler):
        """A 947: the same review rules as a snapshot's differences."""
        return self._tpl_reconcile(
            account, advice, message, handler, warehouse.INVENTORY_ADJUSTMENT
        )

    @api.model
    def _tpl_reconcile(self, account, document, message, handler, kind):
        adjustment = kind == warehouse.INVENTORY_ADJUSTMENT
        if not isinstance(document, dict):
            document = {}  # refused below for want of a report number
        report = str(
            (
                document.get("adjustment_number")
                if adjustment
                else document.get("report_id")
            )
            or ""
        ).strip()
        label = _("Adjustment") if adjustment else _("Stock report")

        def refuse(category, title, details=None, record=None):
            handler._raise_exception(
                message,
                category,
                title,
                details,
                assignee=account.variance_reviewer_id or account.reviewer_id,
                record=record,
                problem_key=f"{kind}-{account.id}-{report}",
            )
            return self.browse()

        if not report:
            return refuse(
                "validation", _("%s from the 3PL without a report number.", label)
            )
        existing = self.sudo().search(
            [
                ("account_id", "=", account.id),
                ("document_kind", "=", kind),
                ("report_id", "=", report),
            ]
        )
        snapshot = "delta" if adjustment else (document.get("snapshot") or "full")
        try:
            digest = report_digest(
                snapshot, snapshot_rows(document, adjustment=adjustment)
            )
        except SnapshotError:
            digest = None  # refused below, unless it is a resend
        if existing:
            if existing.content_digest and digest != existing.content_digest:
                # Another content under a number already reconciled: applying
                # either silently would hide the other; a person decides.
                return refuse(
                    "business_rule",
                    _("%(label)s %(report)s came again with other content: it was "
                      "not reconciled; %(existing)s stands as received first.",
                      label=label, report=report, existing=existing.display_name),
                    record=existing,
                )  # fmt: skip
            return existing  # the same report again: no second effect
        if snapshot not in ("full", "delta"):
            return refuse(
                "validation",
                _("%(label)s %(report)s: snapshot %(kind)r is neither full nor delta.",
                  label=label, report=report, kind=snapshot),
            )  # fmt: skip
        try:
            date = fields.Date.to_date(document.get("date") or None)
        except (TypeError, ValueError):
            return refuse(
                "validation",
                _("%(label)s %(report)s: %(date)r is no date (YYYY-MM-DD).",
                  label=label, report=report, date=document.get("date")),
            )  # fmt: skip
        try:
            self._load_snapshot(snapshot_rows(document, adjustment=adjustment))
        except SnapshotError as exc:
            return refuse(
                "validation",
                _("%(label)s %(report)s cannot be read: nothing was reconciled.",
                  label=label, report=report),
                str(exc),
            )  # fmt: skip
        unconvertible = self._resolve_snapshot(account)
        if unconvertible:
            self._drop_snapshot()
            shown = ", ".join(
                f"{item} ({unit})" for item, unit in unconvertible[:SHOWN_UNKNOWN]
            )
            if len(unconvertible) > SHOWN_UNKNOWN:
                shown += _(" and %s more", len(unconvertible) - SHOWN_UNKNOWN)
            return refuse(
                "mapping",
                _("%(label)s %(report)s counts in units Odoo cannot convert to the "
                  "products' stock units: nothing was reconciled.",
                  label=label, report=report),
                _("Lines (item and unit): %(lines)s. Add a cross-reference of "
                  "domain Unit of measure (code list %(list)s) for a unit code "
                  "that maps nothing, or ask the warehouse to count these items "
                  "in their stock unit.", lines=shown, list=UNIT_CODE_LIST),
            )  # fmt: skip
        reconciliation = self.sudo().create(
            {
                "name": f"{account.name} / {report}",
                "account_id": account.id,
                "report_id": report,
                "document_kind": kind,
                "snapshot": snapshot,
                "date": date or fields.Date.context_today(self),
                "message_id": message.id if message else False,
                "content_digest": digest,
            }
        )
        unknown = reconciliation._compare()
        if unknown:
            refuse(
                "mapping",
                _("%(label)s %(report)s names %(count)s item(s) no product matches: "
                  "they were not reconciled.", label=label, report=report,
                  count=len(unknown)),
                reconciliation.unknown_items,
                record=reconciliation,
            )  # fmt: skip
        if adjustment:
            reconciliation._post_adjustment_reasons(document)
        reconciliation._decide()
        return reconciliation

    # -- comparison (set-based) ------------------------------------------------------

    def _status_locations(self):
        """``{status: location}`` Odoo keeps each warehouse status in."""
        account = self.account_id
        locations = {"available": self.warehouse_id.lot_stock_id}
        if account.damaged_location_id:
            locations["damaged"] = account.damaged_location_id
        if account.hold_location_id:
            locations["on_hold"] = account.hold_location_id
        return locations

    @api.model
    def _load_snapshot(self, rows):
        """Stream ``rows`` into this transaction's temporary table
        ``tpl_snap``, a page at a time (memory does not grow with the report)."""
        cr = self.env.cr
        self._drop_snapshot()
        cr.execute(
            "CREATE TEMP TABLE tpl_snap (item varchar, gtin varchar, lot varchar,"
            " status varchar, qty numeric, unit varchar)"
        )
        execute_values(cr._obj, "INSERT INTO tpl_snap VALUES %s", rows, page_size=5000)

    @api.model
    def _drop_snapshot(self):
        self.env.cr.execute(
            "DROP TABLE IF EXISTS tpl_snap, tpl_snap_item, tpl_snap_unit,"
            " tpl_snap_key, tpl_odoo_key"
        )

    @api.model
    def _resolve_snapshot(self, account):
        """Find the product of each item of the loaded report and read its
        units; return the ``(item, unit)`` of lines in a unit Odoo cannot
        convert to their product's stock unit (empty: all can).

        The warehouse counts in each product's stock unit, as the channel's
        orders and announcements do; a line may name its unit (X12 code,
        read through the endpoint's unit cross-references): it is converted.
        A unit that maps nothing, or a unit of another kind (kilograms for a
        product counted in units), cannot be: the report is refused whole,
        since reading its other lines alone would turn these into variances.
        """
        cr = self.env.cr
        params = {
            "company": account.company_id.id,
            "endpoint": account.endpoint_id.id,
            "today": fields.Date.context_today(account),
        }
        # The product of each item: the endpoint's cross-reference, else the
        # internal reference, else the barcode (account._product_of, set-based).
        cr.execute(
            """
            CREATE TEMP TABLE tpl_snap_item AS
                SELECT DISTINCT item, gtin, NULL::integer AS product_id FROM tpl_snap;
            UPDATE tpl_snap_item i SET product_id = x.res_id
              FROM (SELECT DISTINCT ON (r.code) r.code, r.res_id
                      FROM integration_cross_reference r
                      JOIN product_product p ON p.id = r.res_id AND p.active
                     WHERE r.domain = 'product' AND r.active AND r.code_list IS NULL
                       AND (r.endpoint_id = %(endpoint)s OR r.endpoint_id IS NULL)
                       AND (r.date_from IS NULL OR r.date_from <= %(today)s)
                       AND (r.date_to IS NULL OR r.date_to >= %(today)s)
                  ORDER BY r.code, r.endpoint_id NULLS LAST, r.date_from DESC NULLS LAST
                   ) x
             WHERE x.code = i.item;
            UPDATE tpl_snap_item i SET product_id = x.id
              FROM (SELECT DISTINCT ON (p.default_code) p.default_code, p.id
                      FROM product_product p
                      JOIN product_template t ON t.id = p.product_tmpl_id
                     WHERE p.active AND p.default_code IS NOT NULL
                       AND (t.company_id IS NULL OR t.company_id = %(company)s)
                  ORDER BY p.default_code, p.id) x
             WHERE i.product_id IS NULL AND x.default_code = i.item;
            UPDATE tpl_snap_item i SET product_id = x.id
              FROM (SELECT DISTINCT ON (p.barcode) p.barcode, p.id
                      FROM product_product p
                      JOIN product_template t ON t.id = p.product_tmpl_id
                     WHERE p.active AND p.barcode IS NOT NULL
                       AND (t.company_id IS NULL OR t.company_id = %(company)s)
                  ORDER BY p.barcode, p.id) x
             WHERE i.product_id IS NULL AND i.gtin <> '' AND x.barcode = i.gtin;
            """,
            params,
        )
        # Few distinct units per report: each (code, stock unit) pair is read
        # once through the ORM's conversion, the rows converted by the database.
        cr.execute(
            """
            SELECT DISTINCT s.unit, t.uom_id
              FROM tpl_snap s
              JOIN tpl_snap_item i ON i.item = s.item AND i.gtin = s.gtin
              JOIN product_product p ON p.id = i.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE s.unit <> ''
            """
        )
        pairs = cr.fetchall()
        # One cross-reference look-up per code, however many stock units.
        meant = {code: account._tpl_uom_of(code) for code in {c for c, _u in pairs}}
        uoms = self.env["uom.uom"].sudo()
        ratios = []
        refused = set()
        for code, uom_id in pairs:
            stock_uom = uoms.browse(uom_id)
            uom = meant[code]
            if not uom or uom.category_id != stock_uom.category_id:
                refused.add((code, uom_id))
                continue
            ratio = uom._compute_quantity(1.0, stock_uom, round=False)
            # Odoo's factors are floats: 12 significant digits drop their
            # binary noise (12.000000000000002 dozens to units).
            ratios.append((code, uom_id, Decimal(f"{ratio:.12g}")))
        cr.execute(
            "CREATE TEMP TABLE tpl_snap_unit (unit varchar, uom_id int, ratio numeric)"
        )
        if ratios:
            execute_values(cr._obj, "INSERT INTO tpl_snap_unit VALUES %s", ratios)
        if not refused:
            return []
        cr.execute(
            """
            SELECT DISTINCT s.item, s.gtin, s.unit, t.uom_id
              FROM tpl_snap s
              JOIN tpl_snap_item i ON i.item = s.item AND i.gtin = s.gtin
              JOIN product_product p ON p.id = i.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE s.unit <> ''
             ORDER BY 1, 2, 3
            """
        )
        return [
            (item or gtin, code)
            for item, gtin, code, uom_id in cr.fetchall()
            if (code, uom_id) in refused
        ]

    def _compare(self):
        """Write one line per difference between the loaded report
        (:meth:`_load_snapshot`, :meth:`_resolve_snapshot`) and Odoo's quants;
        returns the ``(item, gtin)`` no product matches."""
        self.ensure_one()
        self.flush_recordset()
        self.env.flush_all()
        cr = self.env.cr
        adjustment = self.document_kind == warehouse.INVENTORY_ADJUSTMENT
        locations = self._status_locations()
        params = {
            "reconciliation": self.id,
            "company": self.company_id.id,
            "company_key": str(self.company_id.id),
            "statuses": list(locations),
            "view_path": self.warehouse_id.view_location_id.parent_path,
            "damaged_path": locations.get(
                "damaged", self.env["stock.location"]
            ).parent_path
            or "",
            "hold_path": locations.get(
                "on_hold", self.env["stock.location"]
            ).parent_path
            or "",
            "available_id": locations["available"].id,
            "damaged_id": locations.get("damaged", locations["available"]).id,
            "hold_id": locations.get("on_hold", locations["available"]).id,
            "uid": self.env.uid,
        }
        cr.execute(
            """
            CREATE TEMP TABLE tpl_snap_key AS
                SELECT i.product_id,
                       CASE WHEN t.tracking = 'none' THEN '' ELSE s.lot END AS lot,
                       s.status, ROUND(SUM(s.qty * COALESCE(u.ratio, 1)), 9) AS qty
                  FROM tpl_snap s
                  JOIN tpl_snap_item i ON i.item = s.item AND i.gtin = s.gtin
                  JOIN product_product p ON p.id = i.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
             LEFT JOIN tpl_snap_unit u ON u.unit = s.unit AND u.uom_id = t.uom_id
                 WHERE s.status = ANY(%(statuses)s)
              GROUP BY 1, 2, 3;
            """,
            params,
        )
        # Odoo's stock of the warehouse per product, lot and status; a delta
        # report is compared on the products it names only.
        delta_filter = (
            "AND q.product_id IN (SELECT product_id FROM tpl_snap_key)"
            if self.snapshot == "delta"
            else ""
        )
        cr.execute(
            f"""
            CREATE TEMP TABLE tpl_odoo_key AS
                SELECT q.product_id,
                       CASE WHEN t.tracking = 'none' THEN ''
                            ELSE COALESCE(l.name, '') END AS lot,
                       CASE WHEN %(damaged_path)s <> ''
                                 AND loc.parent_path LIKE %(damaged_path)s || '%%'
                            THEN 'damaged'
                            WHEN %(hold_path)s <> ''
                                 AND loc.parent_path LIKE %(hold_path)s || '%%'
                            THEN 'on_hold'
                            ELSE 'available' END AS status,
                       SUM(q.quantity) AS qty
                  FROM stock_quant q
                  JOIN stock_location loc ON loc.id = q.location_id
                  JOIN product_product p ON p.id = q.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
             LEFT JOIN stock_lot l ON l.id = q.lot_id
                 WHERE loc.usage = 'internal' AND q.company_id = %(company)s
                   AND (loc.parent_path LIKE %(view_path)s || '%%'
                        OR (%(damaged_path)s <> ''
                            AND loc.parent_path LIKE %(damaged_path)s || '%%')
                        OR (%(hold_path)s <> ''
                            AND loc.parent_path LIKE %(hold_path)s || '%%'))
                   {delta_filter}
              GROUP BY 1, 2, 3;
            """,
            params,
        )
        join = (
            "LEFT JOIN" if self.snapshot == "delta" or adjustment else "FULL OUTER JOIN"
        )
        # A 947 reports a change: the warehouse's count is Odoo's plus it.
        tpl_qty = (
            "COALESCE(o.qty, 0) + COALESCE(s.qty, 0)"
            if adjustment
            else "COALESCE(s.qty, 0)"
        )
        cr.execute(
            f"""
            INSERT INTO tpl_reconciliation_line
                (reconciliation_id, company_id, product_id, lot_name, status,
                 location_id, odoo_qty, tpl_qty, difference, unit_cost, value,
                 cause, create_uid, write_uid, create_date, write_date)
            SELECT %(reconciliation)s, %(company)s, d.product_id, d.lot, d.status,
                   CASE d.status WHEN 'damaged' THEN %(damaged_id)s
                                 WHEN 'on_hold' THEN %(hold_id)s
                                 ELSE %(available_id)s END,
                   d.odoo_qty, d.tpl_qty, d.tpl_qty - d.odoo_qty, d.cost,
                   (d.tpl_qty - d.odoo_qty) * d.cost,
                   %(cause)s, %(uid)s, %(uid)s,
                   now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM (SELECT COALESCE(s.product_id, o.product_id) AS product_id,
                           COALESCE(s.lot, o.lot) AS lot,
                           COALESCE(s.status, o.status) AS status,
                           COALESCE(o.qty, 0) AS odoo_qty,
                           {tpl_qty} AS tpl_qty,
                           COALESCE((p.standard_price ->> %(company_key)s)::numeric, 0)
                               AS cost,
                           u.rounding
                      FROM tpl_snap_key s
                      {join} tpl_odoo_key o
                        ON o.product_id = s.product_id AND o.lot = s.lot
                       AND o.status = s.status
                      JOIN product_product p
                        ON p.id = COALESCE(s.product_id, o.product_id)
                      JOIN product_template t ON t.id = p.product_tmpl_id
                      JOIN uom_uom u ON u.id = t.uom_id) d
             WHERE ABS(d.tpl_qty - d.odoo_qty) >= d.rounding / 2
            """,
            {**params, "cause": "adjustment" if adjustment else "unknown"},
        )
        cr.execute(
            """
            UPDATE tpl_reconciliation_line ln SET lot_id = x.id
              FROM (SELECT DISTINCT ON (product_id, name) product_id, name, id
                      FROM stock_lot
                     WHERE company_id = %(company)s OR company_id IS NULL
                  ORDER BY product_id, name, company_id NULLS LAST, id) x
             WHERE ln.reconciliation_id = %(reconciliation)s AND ln.lot_name <> ''
               AND x.product_id = ln.product_id AND x.name = ln.lot_name
            """,
            params,
        )
        if not adjustment:
            self._probable_causes(params)
        cr.execute(
            """
            SELECT COUNT(*), COALESCE(SUM(ABS(difference)), 0),
                   COALESCE(SUM(ABS(value)), 0), COALESCE(MAX(ABS(difference)), 0)
              FROM tpl_reconciliation_line WHERE reconciliation_id = %(reconciliation)s
            """,
            params,
        )
        count, units, value, largest = cr.fetchone()
        cr.execute(
            "SELECT item, gtin FROM tpl_snap_item"
            " WHERE product_id IS NULL ORDER BY 1, 2"
        )
        unknown = cr.fetchall()
        self._drop_snapshot()
        self.env["tpl.reconciliation.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])
        shown = ", ".join(item or gtin for item, gtin in unknown[:SHOWN_UNKNOWN])
        if len(unknown) > SHOWN_UNKNOWN:
            shown += _(" and %s more", len(unknown) - SHOWN_UNKNOWN)
        self.write(
            {
                "line_count": count,
                "variance_qty": float(units),
                "variance_value": float(value),
                "max_line_variance": float(largest),
                "unknown_items": shown or False,
            }
        )
        return unknown

    def _probable_causes(self, params):
        """Name the likely reason of each difference from Odoo's open moves:
        goods between a transit location and the warehouse, deliveries the
        warehouse holds but has not confirmed, receipts not yet booked."""
        self.env.cr.execute(
            """
            UPDATE tpl_reconciliation_line ln SET cause = 'in_transit'
              FROM (SELECT DISTINCT m.product_id
                      FROM stock_move m
                      JOIN stock_location src ON src.id = m.location_id
                      JOIN stock_location dst ON dst.id = m.location_dest_id
                     WHERE m.state NOT IN ('draft', 'done', 'cancel')
                       AND m.company_id = %(company)s
                       AND ((src.usage = 'transit'
                             AND dst.parent_path LIKE %(view_path)s || '%%')
                         OR (dst.usage = 'transit'
                             AND src.parent_path LIKE %(view_path)s || '%%'))) x
             WHERE ln.reconciliation_id = %(reconciliation)s
               AND ln.product_id = x.product_id;
            UPDATE tpl_reconciliation_line ln SET cause = 'unconfirmed_shipment'
              FROM (SELECT DISTINCT m.product_id
                      FROM stock_move m
                      JOIN stock_picking pk ON pk.id = m.picking_id
                      JOIN stock_location src ON src.id = m.location_id
                     WHERE m.state NOT IN ('draft', 'done', 'cancel')
                       AND pk.tpl_release_state IN ('released', 'exception')
                       AND src.parent_path LIKE %(view_path)s || '%%') x
             WHERE ln.reconciliation_id = %(reconciliation)s AND ln.cause = 'unknown'
               AND ln.difference < 0 AND ln.product_id = x.product_id;
            UPDATE tpl_reconciliation_line ln SET cause = 'unconfirmed_receipt'
              FROM (SELECT DISTINCT m.product_id
                      FROM stock_move m
                      JOIN stock_location src ON src.id = m.location_id
                      JOIN stock_location dst ON dst.id = m.location_dest_id
                     WHERE m.state NOT IN ('draft', 'done', 'cancel')
                       AND src.usage IN ('supplier', 'customer')
                       AND dst.parent_path LIKE %(view_path)s || '%%') x
             WHERE ln.reconciliation_id = %(reconciliation)s AND ln.cause = 'unknown'
               AND ln.difference > 0 AND ln.product_id = x.product_id;
            """,
            params,
        )

    def _post_adjustment_reasons(self, advice):
        """What the warehouse says about each change (W1901 reason, note),
        for the reviewer: the lines hold only the quantities."""
        reasons = []
        for entry in advice.get("adjustments") or ():
            code = entry.get("reason_code") or ""
            why = entry.get("reason") or warehouse.ADJUSTMENT_REASONS.get(code, "")
            reasons.append(
                Markup("<li>%s</li>")
                % " ".join(
                    filter(
                        None,
                        [
                            entry.get("item"),
                            entry.get("lot"),
                            str(entry.get("quantity")),
                            f"({code} {why})".strip() if code or why else "",
                            entry.get("note"),
                        ],
                    )
                )
            )
        if reasons:
            self.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (_("Reasons given by the warehouse:"), Markup("").join(reasons))
            )

    # -- decision --------------------------------------------------------------

    def _within_tolerance(self):
        self.ensure_one()
        account = self.account_id
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        return (
            not self.unknown_items
            and float_compare(
                self.max_line_variance,
                account.variance_tolerance_qty,
                precision_digits=digits,
            )
            <= 0
            and float_compare(
                self.variance_value,
                account.variance_tolerance_value,
                precision_digits=2,
            )
            <= 0
        )

    def _decide(self):
        """Apply what is within tolerance; ask for review otherwise."""
        self.ensure_one()
        if self._within_tolerance():
            try:
                with self.env.cr.savepoint():
                    self._apply_adjustments()
            except UserError as exc:
                # Within tolerance but not applicable as it stands (a tracked
                # item without lot, say): a person decides.
                self.env.invalidate_all()
                return self._ask_review(
                    _("Within the account's tolerance but not applied: %s", exc)
                )
            self.auto_accepted = True
            self.message_post(
                body=_(
                    "%(count)s difference(s), %(value)s in value: within the "
                    "account's tolerance, applied without review.",
                    count=self.line_count,
                    value=self.variance_value,
                )
            )
            return None
        return self._ask_review(
            _(
                "%(count)s difference(s), %(units)s unit(s), %(value)s in value: "
                "above the account's tolerance, waiting for an inventory manager.",
                count=self.line_count,
                units=self.variance_qty,
                value=self.variance_value,
            )
        )

    def _ask_review(self, note):
        self.state = "to_review"
        self.message_post(body=note)
        reviewer = self.account_id.variance_reviewer_id
        if reviewer:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=reviewer.id,
                summary=_("Review the 3PL stock variances"),
            )

    # -- actions ---------------------------------------------------------------

    def _lock_for_review(self):
        """Two managers deciding at once: the second waits for the first and
        then sees its decision (or is retried), never applying twice."""
        if self:
            self.env.cr.execute(
                "SELECT id FROM tpl_reconciliation WHERE id IN %s FOR UPDATE",
                [tuple(self.ids)],
            )
            self.invalidate_recordset(["state"])

    @entry_point("write", groups=STOCK_MANAGER)
    def action_approve(self):
        """Approve the differences and apply them as inventory adjustments
        (inventory managers only: segregation of duties)."""
        self._lock_for_review()
        for reconciliation in self:
            if reconciliation.state != "to_review":
                raise UserError(
                    _("%s is not waiting for review.", reconciliation.display_name)
                )
        approver = self.env.user
        for reconciliation in self.sudo():
            reconciliation.write(
                {
                    "state": "approved",
                    "approved_by_id": approver.id,
                    "approved_at": fields.Datetime.now(),
                }
            )
            reconciliation.activity_feedback(["mail.mail_activity_data_todo"])
            reconciliation._apply_adjustments()
        return True

    @entry_point("write", groups=STOCK_MANAGER)
    def action_reject(self):
        """Reject the differences: Odoo's stock stays as it is."""
        self._lock_for_review()
        for reconciliation in self:
            if reconciliation.state != "to_review":
                raise UserError(
                    _("%s is not waiting for review.", reconciliation.display_name)
                )
        for reconciliation in self.sudo():
            reconciliation.state = "rejected"
            reconciliation.activity_unlink(["mail.mail_activity_data_todo"])
            reconciliation.message_post(
                body=_("Rejected by %s: Odoo's stock unchanged.", self.env.user.name)
            )
        return True

    @entry_point("read", groups=STOCK_USER)
    def action_open_moves(self):
        """The inventory adjustments this reconciliation made."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.stock_move_action"
        )
        action["domain"] = [("id", "in", self.sudo().move_ids.ids)]
        action["context"] = {}
        return action

    # -- applying --------------------------------------------------------------

    @api.model
    def _compared_quants(self, quants, line, lot, other_paths):
        """The quants a line's Odoo quantity was summed from: internal, of its
        lot, and for available stock outside the damaged/on-hold locations."""
        tracked = line.product_id.tracking != "none"
        return quants.filtered(
            lambda q: (
                q.location_id.usage == "internal"
                and (q.lot_id == lot or not tracked)
                and (
                    line.status != "available"
                    or not any(
                        q.location_id.parent_path.startswith(path)
                        for path in other_paths
                    )
                )
            )
        )

    def _apply_adjustments(self):
        """Book the lines with Odoo's inventory adjustments; refuse when the
        stock moved since the comparison (the report would be stale)."""
        self.ensure_one()
        quants = self.env["stock.quant"].sudo()
        lots = self.env["stock.lot"].sudo()
        name = _("3PL reconciliation %s", self.name)
        touched = quants
        problems = []
        locations = self._status_locations()
        other_paths = [
            location.parent_path
            for status, location in locations.items()
            if status != "available"
        ]
        for line in self.line_ids:
            product = line.product_id
            lot = line.lot_id
            if line.lot_name and not lot and product.tracking != "none":
                lot = lots.create(
                    {
                        "name": line.lot_name,
                        "product_id": product.id,
                        "company_id": self.company_id.id,
                    }
                )
                line.lot_id = lot
            if product.tracking != "none" and not lot:
                problems.append(
                    _("%s: the warehouse reports no lot for a tracked product.",
                      product.display_name)
                )  # fmt: skip
                continue
            root = (
                self.warehouse_id.view_location_id
                if line.status == "available"
                else line.location_id
            )
            found = self._compared_quants(
                quants._gather(product, root, lot_id=lot or None, strict=False),
                line,
                lot,
                other_paths,
            )
            rounding = product.uom_id.rounding
            if float_compare(
                sum(found.mapped("quantity")),
                line.odoo_qty,
                precision_rounding=rounding,
            ):
                problems.append(
                    _("%(product)s %(lot)s: Odoo's stock changed since the report "
                      "(%(now)s, was %(then)s).", product=product.display_name,
                      lot=line.lot_name, now=sum(found.mapped("quantity")),
                      then=line.odoo_qty)
                )  # fmt: skip
                continue
            difference = line.difference
            if difference > 0:
                quant = found.filtered(
                    lambda q, location=line.location_id: q.location_id == location
                )[:1] or quants.create(
                    {
                        "product_id": product.id,
                        "location_id": line.location_id.id,
                        "lot_id": lot.id,
                    }
                )
                quant.write(
                    {
                        "inventory_quantity": quant.quantity + difference,
                        "inventory_quantity_set": True,
                    }
                )
                touched |= quant
                continue
            remaining = -difference
            for quant in found.sorted("quantity", reverse=True):
                if float_is_zero(remaining, precision_rounding=rounding):
                    break
                taken = min(quant.quantity, remaining)
                quant.write(
                    {
                        "inventory_quantity": quant.quantity - taken,
                        "inventory_quantity_set": True,
                    }
                )
                remaining -= taken
                touched |= quant
        if problems:
            raise UserError(
                _("%(name)s cannot be applied:\n%(problems)s",
                  name=self.display_name, problems="\n".join(problems))
            )  # fmt: skip
        last_move = self.env["stock.move"].sudo().search([], order="id desc", limit=1)
        if touched:
            wizard = touched.with_context(inventory_name=name).action_apply_inventory()
            if wizard:
                raise UserError(
                    _("%(name)s cannot be applied: %(why)s.",
                      name=self.display_name, why=wizard.get("name"))
                )  # fmt: skip
        moves = (
            self.env["stock.move"]
            .sudo()
            .search(
                [
                    ("id", ">", last_move.id),
                    ("is_inventory", "=", True),
                    ("reference", "=", name),
                ]
            )
        )
        self.write(
            {
                "state": "applied",
                "applied_at": fields.Datetime.now(),
                "move_ids": [fields.Command.set(moves.ids)],
            }
        )
        self.message_post(
            body=_(
                "Applied as %(count)s inventory adjustment(s) (%(name)s).",
                count=len(moves),
                name=name,
            )
        )


class TplReconciliationLine(models.Model):
    _name = "tpl.reconciliation.line"
    _description = "3PL Inventory Reconciliation Line"
    _order = "reconciliation_id, id"

    reconciliation_id = fields.Many2one(
        "tpl.reconciliation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="reconciliation_id.company_id", store=True, index=True
    )
    state = fields.Selection(related="reconciliation_id.state")
    product_id = fields.Many2one("product.product", required=True, index=True)
    lot_id = fields.Many2one("stock.lot", string="Lot")
    lot_name = fields.Char(
        string="Lot reported", help="The lot as the warehouse names it."
    )
    status = fields.Selection(STATUSES, required=True, default="available")
    location_id = fields.Many2one("stock.location", required=True)
    odoo_qty = fields.Float(string="Odoo", digits="Product Unit of Measure")
    tpl_qty = fields.Float(string="3PL", digits="Product Unit of Measure")
    difference = fields.Float(digits="Product Unit of Measure")
    unit_cost = fields.Float(digits="Product Price")
    value = fields.Float(digits="Product Price")
    cause = fields.Selection(CAUSES, string="Probable cause", default="unknown")
