from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

# The kinds of things channels exchange codes for, and the Odoo model each one
# maps. The models belong to apps the kernel does not depend on: a domain is
# usable once its model is installed.
DOMAINS = [
    ("product", "Product / item"),
    ("uom", "Unit of measure"),
    ("carrier_service", "Carrier service"),
    ("carrier", "Carrier (SCAC)"),
    ("location", "Location"),
    ("partner", "Partner"),
]
DOMAIN_MODELS = {
    "product": "product.product",
    "uom": "uom.uom",
    "carrier_service": "delivery.carrier",
    "carrier": "delivery.carrier",
    "location": "stock.location",
    "partner": "res.partner",
}
# Several delivery methods may book the same carrier service (a free and a
# paid "standard", say), or ship with the same carrier (its ground and express
# by one SCAC): there the code does not have to name one record.
SHARED_CODE_DOMAINS = ("carrier_service", "carrier")


class IntegrationCrossReference(models.Model):
    """This Odoo record is that code at that partner.

    One row maps one record of a domain (a product, a unit, a delivery
    method...) to the code an endpoint uses for it, for a period. Rows without
    an endpoint hold a standard code list (``code_list``, e.g. X12 unit codes)
    that applies to every endpoint without a mapping of its own.
    """

    _name = "integration.cross.reference"
    _description = "Integration Cross-Reference"
    _inherit = ["mail.thread"]
    _order = "domain, endpoint_id, code_list, code, date_from desc, id"

    active = fields.Boolean(default=True, tracking=True)
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        index=True,
        ondelete="cascade",
        tracking=True,
        help="The partner this code is valid at. Empty: the standard code of the "
        "code list, for every endpoint without a mapping of its own.",
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True
    )
    domain = fields.Selection(DOMAINS, required=True, index=True, tracking=True)
    code_list = fields.Char(
        index=True,
        tracking=True,
        help="The code list the code belongs to when a partner speaks several "
        "(e.g. X12 or EDIFACT unit codes). Empty: the partner's own codes.",
    )
    res_model = fields.Char(
        string="Odoo model",
        compute="_compute_res_model",
        store=True,
        index=True,
    )
    res_id = fields.Many2oneReference(
        string="Odoo record",
        model_field="res_model",
        required=True,
        index=True,
        tracking=True,
    )
    code = fields.Char(
        string="External code",
        required=True,
        index=True,
        tracking=True,
        help="What the partner calls the record.",
    )
    date_from = fields.Date(
        string="Valid from", tracking=True, help="Empty: since always."
    )
    date_to = fields.Date(string="Valid until", tracking=True, help="Empty: no end.")
    note = fields.Text()

    _sql_constraints = [
        (
            "period_ordered",
            "CHECK(date_to IS NULL OR date_from IS NULL OR date_to >= date_from)",
            "A cross-reference cannot end before it starts.",
        ),
    ]

    @api.depends("domain")
    def _compute_res_model(self):
        for reference in self:
            reference.res_model = DOMAIN_MODELS.get(reference.domain)

    @api.depends("code", "res_model", "res_id", "endpoint_id")
    def _compute_display_name(self):
        for reference in self:
            record = reference._record().sudo()
            reference.display_name = _(
                "%(code)s at %(endpoint)s: %(record)s",
                code=reference.code or "",
                endpoint=reference.endpoint_id.display_name
                or reference.code_list
                or _("any endpoint"),
                record=record.display_name if record else "",
            )

    def _record(self):
        """The mapped Odoo record (empty when its model is not installed)."""
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return self.env["res.partner"].browse()
        return self.env[self.res_model].browse(self.res_id).exists()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "code" in vals:
                vals["code"] = (vals["code"] or "").strip()
        return super().create(vals_list)

    def write(self, vals):
        if "code" in vals:
            vals = dict(vals, code=(vals["code"] or "").strip())
        return super().write(vals)

    @api.constrains("domain", "res_model", "res_id")
    def _check_record(self):
        for reference in self:
            model = DOMAIN_MODELS.get(reference.domain)
            if model not in self.env:
                raise ValidationError(
                    _(
                        "Cross-references of %(domain)s need the app that provides "
                        "%(model)s.",
                        domain=reference.domain,
                        model=model,
                    )
                )
            if not self.env[model].sudo().browse(reference.res_id).exists():
                raise ValidationError(
                    _(
                        "Cross-reference %(code)s: choose the Odoo record it maps.",
                        code=reference.code,
                    )
                )

    @api.constrains(
        "active",
        "endpoint_id",
        "domain",
        "code_list",
        "res_id",
        "code",
        "date_from",
        "date_to",
    )
    def _check_no_overlap(self):
        """Two mappings valid on the same day must not disagree: one code
        names one record, one record has one code (per endpoint, domain and
        code list)."""
        for reference in self.filtered("active"):
            base = [
                ("id", "!=", reference.id),
                ("endpoint_id", "=", reference.endpoint_id.id),
                ("domain", "=", reference.domain),
                ("code_list", "=", reference.code_list or False),
            ]
            if reference.date_to:
                base += [
                    "|",
                    ("date_from", "=", False),
                    ("date_from", "<=", reference.date_to),
                ]
            if reference.date_from:
                base += [
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", reference.date_from),
                ]
            same_record = [
                ("res_model", "=", reference.res_model),
                ("res_id", "=", reference.res_id),
            ]
            same_code = [("code", "=", reference.code)]
            sides = [same_record]
            if reference.domain not in SHARED_CODE_DOMAINS:
                sides.append(same_code)
            clash = self.sudo().search(
                expression.AND([base, expression.OR(sides)]), limit=1
            )
            if clash:
                raise ValidationError(
                    _(
                        "%(new)s overlaps %(old)s: on any day, a record has one "
                        "code and a code names one record. End the older mapping "
                        "(Valid until) before the new one starts.",
                        new=reference.display_name,
                        old=clash.display_name,
                    )
                )

    # -- API for channels ---------------------------------------------------------

    @api.model
    def _valid_references(self, endpoint, domain, condition, on_date, code_list):
        """Mappings of ``domain`` matching ``condition`` valid ``on_date``, the
        endpoint's own before the standard code list's."""
        on_date = on_date or fields.Date.context_today(self)
        search_domain = expression.AND(
            [
                condition,
                [
                    ("domain", "=", domain),
                    (
                        "endpoint_id",
                        "in",
                        [endpoint.id, False] if endpoint else [False],
                    ),
                    ("code_list", "in", [code_list, False] if code_list else [False]),
                    "|",
                    ("date_from", "=", False),
                    ("date_from", "<=", on_date),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", on_date),
                ],
            ]
        )
        found = self.sudo().search(search_domain)
        # The endpoint's own mapping wins over the standard list; within each,
        # one for the code list wins over one for any list.
        return found.sorted(lambda r: (not r.endpoint_id, not r.code_list, r.id))

    @api.model
    def _to_external(self, endpoint, domain, record, on_date=None, code_list=None):
        """The code ``endpoint`` uses for ``record`` on ``on_date`` (default:
        today), or ``False`` when nothing maps it."""
        if not record:
            return False
        record.ensure_one()
        return self._to_external_many(
            endpoint, domain, record, on_date=on_date, code_list=code_list
        ).get(record.id, False)

    @api.model
    def _to_external_many(
        self, endpoint, domain, records, on_date=None, code_list=None
    ):
        """``{record id: code}`` of the ``records`` ``endpoint`` has a code for
        on ``on_date``, read in one query (a document of many lines reads
        its codes at once); records nothing maps are left out."""
        if not records:
            return {}
        found = self._valid_references(
            endpoint,
            domain,
            [("res_model", "=", records._name), ("res_id", "in", records.ids)],
            on_date,
            code_list,
        )
        codes = {}
        for reference in found:  # the winning mapping first (see above)
            codes.setdefault(reference.res_id, reference.code)
        return codes

    @api.model
    def _to_internal(self, endpoint, domain, code, on_date=None, code_list=None):
        """The Odoo record ``endpoint`` means by ``code`` on ``on_date``
        (default: today); an empty recordset when nothing maps it."""
        model = self.env[DOMAIN_MODELS[domain]]
        code = (code or "").strip()
        if not code:
            return model.browse()
        found = self._valid_references(
            endpoint, domain, [("code", "=", code)], on_date, code_list
        )[:1]
        return model.browse(found.res_id).exists() if found else model.browse()

    @api.model
    def _set_external(self, endpoint, domain, record, code, code_list=None):
        """Make ``code`` what ``endpoint`` uses for ``record`` from today on:
        the mapping valid today changes (tracked), or a new one starts; no
        code archives it."""
        record.ensure_one()
        current = self._valid_references(
            endpoint,
            domain,
            [("res_model", "=", record._name), ("res_id", "=", record.id)],
            None,
            code_list,
        ).filtered(
            lambda r: (
                r.endpoint_id == endpoint
                and (r.code_list or False) == (code_list or False)
            )
        )[:1]
        code = (code or "").strip()
        if not code:
            current.active = False
        elif current:
            if current.code != code:
                current.code = code
        else:
            current = self.create(
                {
                    "endpoint_id": endpoint.id,
                    "domain": domain,
                    "code_list": code_list or False,
                    "res_id": record.id,
                    "code": code,
                }
            )
        return current
