from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

DATA_DOMAINS = [
    ("products", "Products"),
    ("vendors", "Vendors"),
    ("customers", "Customers"),
    ("prices", "Prices"),
    ("inventory", "Inventory"),
    ("financial_postings", "Financial postings"),
]


class IntegrationOwnership(models.Model):
    """Which system is the system of record for a master-data domain.

    Odoo owns every domain that has no rule. An inbound flow that changes a
    domain is applied only when it comes from the owning endpoint; otherwise
    the message is refused into the exception queue.
    """

    _name = "integration.ownership"
    _description = "Master Data Ownership"
    _inherit = ["mail.thread"]
    _order = "company_id, data_domain"
    _rec_name = "data_domain"

    data_domain = fields.Selection(
        DATA_DOMAINS, string="Master-data domain", required=True, tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    owner = fields.Selection(
        [("odoo", "Odoo"), ("endpoint", "External endpoint")],
        required=True,
        default="odoo",
        tracking=True,
    )
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        string="Owning endpoint",
        tracking=True,
        domain="[('company_id', '=', company_id)]",
    )
    note = fields.Text()

    _sql_constraints = [
        (
            "domain_company_unique",
            "unique(data_domain, company_id)",
            "A master-data domain has one system of record per company.",
        )
    ]

    @api.depends("data_domain", "owner", "endpoint_id")
    def _compute_display_name(self):
        labels = dict(DATA_DOMAINS)
        for rule in self:
            owner = (
                rule.endpoint_id.display_name if rule.owner == "endpoint" else "Odoo"
            )
            rule.display_name = _(
                "%(domain)s: %(owner)s",
                domain=labels.get(rule.data_domain),
                owner=owner,
            )

    @api.constrains("owner", "endpoint_id")
    def _check_owner(self):
        for rule in self:
            if rule.owner == "endpoint" and not rule.endpoint_id:
                raise ValidationError(
                    _("Choose the endpoint that owns %s.", rule.data_domain)
                )

    @api.model
    def _owner_endpoint(self, data_domain, company):
        """The endpoint owning ``data_domain`` in ``company`` (empty: Odoo owns it)."""
        rule = self.sudo().search(
            [("data_domain", "=", data_domain), ("company_id", "=", company.id)],
            limit=1,
        )
        return (
            rule.endpoint_id
            if rule.owner == "endpoint"
            else self.env["integration.endpoint"]
        )
