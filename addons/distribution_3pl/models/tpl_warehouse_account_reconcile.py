"""Inventory reconciliation settings of a 3PL warehouse account (item 6)."""

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import warehouse
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import ValidationError

CSV_COLLECT_FLOW = "distribution_3pl.flow_tpl_csv_collect"
STOCK_USER = "stock.group_stock_user"


class TplWarehouseAccount(models.Model):
    _inherit = "tpl.warehouse.account"

    reconcile_inventory = fields.Boolean(
        default=True,
        help="Compare the warehouse's stock reports (846, JSON, CSV) and "
        "adjustments (947) with Odoo's stock of the warehouse.",
    )
    variance_tolerance_qty = fields.Float(
        string="Tolerance (units per line)",
        digits="Product Unit of Measure",
        help="A reconciliation whose every difference is at most this many "
        "units, and whose total value is within the value tolerance, is "
        "accepted and applied without review.",
    )
    variance_tolerance_value = fields.Float(
        string="Tolerance (total value)",
        digits="Product Price",
        help="Total absolute value of the differences accepted without review.",
    )
    variance_reviewer_id = fields.Many2one(
        "res.users",
        string="Variance reviewer",
        help="The inventory manager asked to review variances above tolerance "
        "(an activity is scheduled for them).",
    )
    hold_location_id = fields.Many2one(
        "stock.location",
        string="On-hold stock location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where Odoo keeps the units the warehouse reports on hold "
        "(quarantine). Without it, on-hold quantities are not reconciled.",
    )
    snapshot_endpoint_id = fields.Many2one(
        "integration.endpoint",
        string="CSV stock reports from",
        check_company=True,
        domain="[('protocol', 'in', ('folder', 'sftp'))]",
        help="Folder or SFTP endpoint where the warehouse drops its stock "
        "reports as CSV (report_id,date,snapshot,item,lot,status,quantity); "
        "collected by flow tpl-csv-collect.",
    )
    reconciliation_review_count = fields.Integer(
        string="Variances to review", compute="_compute_reconciliation_stats"
    )
    last_reconciliation_id = fields.Many2one(
        "tpl.reconciliation",
        string="Last snapshot",
        compute="_compute_reconciliation_stats",
    )
    last_variance_value = fields.Float(
        string="Last variance value",
        digits="Product Price",
        compute="_compute_reconciliation_stats",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_reconciliation_stats(self):
        reconciliations = self.env["tpl.reconciliation"]
        counts = dict(
            reconciliations._read_group(
                [("account_id", "in", self.ids), ("state", "=", "to_review")],
                ["account_id"],
                ["__count"],
            )
        )
        for account in self:
            last = reconciliations.search(
                [
                    ("account_id", "=", account.id),
                    ("document_kind", "=", warehouse.INVENTORY_ADVICE),
                ],
                order="date desc, id desc",
                limit=1,
            )
            account.reconciliation_review_count = counts.get(account, 0)
            account.last_reconciliation_id = last
            account.last_variance_value = last.variance_value

    @api.constrains("snapshot_endpoint_id", "endpoint_id")
    def _check_snapshot_endpoint(self):
        for account in self:
            if account.snapshot_endpoint_id == account.endpoint_id:
                # One inbox, two collectors: each would take the other's files.
                raise ValidationError(
                    _(
                        "%s: CSV stock reports need a folder of their own, not "
                        "the account's endpoint (its collector reads X12 only).",
                        account.display_name,
                    )
                )

    # -- the document seam --------------------------------------------------------

    def _tpl_appliers(self):
        res = super()._tpl_appliers()
        reconciliations = self.env["tpl.reconciliation"]
        res[warehouse.INVENTORY_ADVICE] = reconciliations._tpl_apply_inventory_advice
        res[warehouse.INVENTORY_ADJUSTMENT] = (
            reconciliations._tpl_apply_inventory_adjustment
        )
        return res

    def _tpl_accepts(self, kind):
        if kind in (warehouse.INVENTORY_ADVICE, warehouse.INVENTORY_ADJUSTMENT):
            return self.reconcile_inventory
        return super()._tpl_accepts(kind)

    def _register_on_batch_flows(self):
        super()._register_on_batch_flows()
        flow = self.env.ref(CSV_COLLECT_FLOW, raise_if_not_found=False)
        if not flow:
            return  # during the module's install, before its data
        for account in self.filtered(
            lambda a: a.active and a.reconcile_inventory and a.snapshot_endpoint_id
        ):
            if account.snapshot_endpoint_id not in flow.sudo().endpoint_ids:
                flow.sudo().endpoint_ids = [
                    fields.Command.link(account.snapshot_endpoint_id.id)
                ]

    @api.model
    def _for_snapshot_endpoint(self, endpoint):
        """The account whose CSV stock reports arrive at ``endpoint``."""
        return self.sudo().search(
            [("snapshot_endpoint_id", "=", endpoint.id)], limit=1
        ) or self._for_endpoint(endpoint)

    # -- actions -------------------------------------------------------------------

    @entry_point("read", groups=STOCK_USER)
    def action_open_reconciliations_to_review(self):
        """The reconciliations counted by ``reconciliation_review_count``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_3pl.tpl_reconciliation_action"
        )
        action["domain"] = [
            ("account_id", "in", self.ids),
            ("state", "=", "to_review"),
        ]
        action["context"] = {}
        return action
