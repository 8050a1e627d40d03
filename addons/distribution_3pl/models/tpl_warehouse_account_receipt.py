"""Inbound receipts and customer returns on the 3PL warehouse account: what to
announce (943 / ASN), how long the warehouse has to confirm (944), what a
confirmation may differ by, and where damaged units go."""

import logging

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError, ValidationError

from .stock_picking_receipt import RECEIPT_WAITING_STATES

_logger = logging.getLogger(__name__)


class TplWarehouseAccountReceipt(models.Model):
    _inherit = "tpl.warehouse.account"

    announce_receipts = fields.Boolean(
        help="Announce incoming receipts and customer returns of the warehouse "
        "(943 / ASN) and validate them with its receipt advice (944).",
    )
    receipt_hours = fields.Float(
        string="944 expected within (h)",
        default=72.0,
        help="Hours the warehouse has, after an announcement, to confirm the "
        "receipt; later, the kernel raises an exception.",
    )
    receipt_tolerance_percent = fields.Float(
        string="Receipt tolerance (%)",
        default=0.0,
        help="How far, per line, what the warehouse received (plus what it "
        "refused) may differ from what was announced before the receipt goes "
        "to the exception queue instead of being validated.",
    )
    damaged_location_id = fields.Many2one(
        "stock.location",
        string="Damaged goods location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where Odoo keeps the units the warehouse reports damaged: damaged "
        "units of a receipt are received there, damaged stock of a snapshot is "
        "reconciled there. Empty: damaged receipts are scrapped and damaged "
        "stock is not reconciled.",
    )
    receipt_announced_count = fields.Integer(
        compute="_compute_receipt_announced_count",
        help="Receipts announced to the warehouse and not confirmed yet.",
    )

    @api.model
    def _receipts_announced_domain(self, warehouses):
        return [
            ("tpl_receipt_state", "in", RECEIPT_WAITING_STATES),
            ("picking_type_id.warehouse_id", "in", warehouses.ids),
            ("picking_type_code", "=", "incoming"),
            # Cancelled in Odoo: the warehouse no longer has to confirm it.
            ("state", "not in", ("done", "cancel")),
        ]

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_receipt_announced_count(self):
        pickings = self.env["stock.picking"]
        if not pickings.has_access("read"):
            self.receipt_announced_count = 0
            return
        # As the user: the count is what the button opens for the user.
        groups = pickings._read_group(
            self._receipts_announced_domain(self.warehouse_id),
            ["picking_type_id"],
            ["__count"],
        )
        by_warehouse = {}
        for picking_type, count in groups:
            warehouse_id = picking_type.warehouse_id.id
            by_warehouse[warehouse_id] = by_warehouse.get(warehouse_id, 0) + count
        for account in self:
            account.receipt_announced_count = by_warehouse.get(
                account.warehouse_id.id, 0
            )

    @entry_point("read")
    def action_open_receipts_announced(self):
        """The receipts announced to this warehouse and not yet confirmed."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Receipts announced to %s", self.name),
            "res_model": "stock.picking",
            "view_mode": "list,form",
            "domain": self._receipts_announced_domain(self.warehouse_id),
            "context": {"create": False},
        }

    # -- the document seam -----------------------------------------------------------

    def _tpl_appliers(self):
        res = super()._tpl_appliers()
        res[warehouse.RECEIPT_ADVICE] = self.env[
            "stock.picking"
        ]._tpl_apply_receipt_advice
        return res

    def _tpl_accepts(self, kind):
        if kind == warehouse.RECEIPT_ADVICE:
            self.ensure_one()
            return self.announce_receipts
        return super()._tpl_accepts(kind)

    # -- lookups and schedule ----------------------------------------------------------

    @api.model
    def _for_receipt(self, picking):
        """The account announcing ``picking``'s warehouse's receipts, if any."""
        warehouse_record = picking.picking_type_id.warehouse_id
        if not warehouse_record:
            return self.browse()
        return self.sudo().search(
            [
                ("warehouse_id", "=", warehouse_record.id),
                ("announce_receipts", "=", True),
            ],
            limit=1,
        )

    def _cron_announce_receipts(self):
        """Scheduled: announce the ready receipts and returns of every account.

        As for the release waves, one account's problem (its endpoint archived,
        a receipt it cannot write) never keeps the other accounts' waiting."""
        accounts = self.sudo().search(
            [("announce_receipts", "=", True), ("endpoint_id.active", "=", True)]
        )
        for account in accounts:
            try:
                with self.env.cr.savepoint():
                    account._announce_wave()
            except (UserError, ValidationError) as exc:
                _logger.warning(
                    "3PL receipt announcements of %s not sent: %s",
                    account.display_name,
                    exc.args[0] if exc.args else exc,
                )

    def _announce_wave(self):
        self.ensure_one()
        pickings = (
            self.env["stock.picking"]
            .sudo()
            .search(
                [
                    ("picking_type_id.warehouse_id", "=", self.warehouse_id.id),
                    ("picking_type_code", "=", "incoming"),
                    ("state", "=", "assigned"),
                    ("tpl_receipt_state", "=", "none"),
                    ("company_id", "=", self.company_id.id),
                ],
                order="scheduled_date, id",
            )
        )
        # Receipts waiting for their supplier's ship notice are announced when
        # it is applied, not here (they would hold the wave otherwise); those
        # in a unit without a code would take the wave's places for nothing.
        ready = pickings.filtered(
            lambda p: not p._tpl_awaits_ship_notice() and not p._tpl_unit_problem(self)
        )
        return ready[: self.wave_size or None]._tpl_announce()
