import hashlib

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError

from ..edi import X12

# The document kinds a trading partner can enable, per direction.
DOCUMENT_SWITCHES = {
    "order": "send_orders",
    "acknowledgement": "receive_acknowledgements",
    "order_response": "receive_order_responses",
    "change_response": "receive_change_responses",
    "despatch": "receive_despatch_advices",
    "invoice": "receive_invoices",
}


class EdiTradingPartner(models.Model):
    """How Odoo trades EDI with one supplier: identities, syntax, mappings and
    the rules applied to what the supplier sends. How files travel (HTTP,
    folder, SFTP) is the endpoint's protocol and transport settings."""

    _name = "edi.trading.partner"
    _description = "EDI Trading Partner"
    _inherit = ["integration.channel.account"]
    # The envelope settings live on an interchange profile, shared with any
    # channel that speaks X12 or EDIFACT; its fields read and write from here.
    _inherits = {"edi.interchange.profile": "profile_id"}
    _order = "partner_id"
    _rec_name = "name"

    _channel_endpoint_kind = "supplier_edi"
    # HTTP partners are reached through the kernel's session of the endpoint;
    # folder and SFTP partners through their file transport.
    _channel_clients = {
        "edi_http": "_channel_http_session",
        "rest": "_channel_http_session",
        "folder": "_channel_transport",
        "sftp": "_channel_transport",
    }
    _channel_capabilities = ("send_orders", "receive_documents", "acknowledge")

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    partner_id = fields.Many2one(
        "res.partner",
        string="Supplier",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    profile_id = fields.Many2one(
        "edi.interchange.profile",
        string="Interchange profile",
        required=True,
        ondelete="restrict",
        index=True,
        tracking=True,
        help="Envelope settings: dialect, versions, separators, identities, control "
        "numbers, test indicator. Created with the trading partner.",
    )
    test_indicator = fields.Boolean(
        compute="_compute_test_indicator",
        help="ISA15 = T / UNB test indicator 1: by default follows the endpoint's "
        "environment.",
    )

    # Documents
    send_orders = fields.Boolean(
        string="Send purchase orders (850 / ORDERS)", default=True, tracking=True
    )
    receive_acknowledgements = fields.Boolean(
        string="Receive acknowledgements (997 / CONTRL)", default=True
    )
    receive_order_responses = fields.Boolean(
        string="Receive order responses (855 / ORDRSP)", default=True
    )
    receive_change_responses = fields.Boolean(
        string="Receive change acknowledgements (865)",
        default=True,
        help="The supplier's answer to a revision or cancellation of an order. "
        "EDIFACT answers a change with an ORDRSP.",
    )
    receive_despatch_advices = fields.Boolean(
        string="Receive ship notices (856 / DESADV)", default=True
    )
    receive_invoices = fields.Boolean(
        string="Receive invoices (810 / INVOIC)", default=True
    )
    send_acknowledgements = fields.Boolean(
        string="Acknowledge what arrives (997 / CONTRL)", default=True
    )
    ack_window_minutes = fields.Integer(
        string="Acknowledgement expected within (minutes)",
        default=60,
        help="An order not acknowledged by then raises 'acknowledgement missing'.",
    )
    invoice_window_minutes = fields.Integer(
        string="Invoice expected within (minutes)",
        default=30 * 24 * 60,
        help="Goods received and not invoiced by then raise 'invoice missing'; "
        "the exception closes itself when the invoice arrives. 0: not watched.",
    )
    strict_syntax = fields.Boolean(
        help="Reject a received set for any syntax finding, not only fatal ones."
    )

    # Mappings and rules
    product_identification = fields.Selection(
        [
            ("both", "Supplier product code and GTIN"),
            ("vendor_code", "Supplier product code"),
            ("gtin", "GTIN / UPC (barcode)"),
        ],
        default="both",
        required=True,
        help="What identifies a product in the documents. The supplier code is the "
        "vendor pricelist's product code, else the internal reference.",
    )
    quantity_tolerance_percent = fields.Float(
        string="Accept quantity changes up to (%)",
        default=0.0,
        help="An order response changing a quantity by at most this much updates "
        "the purchase line; a larger change waits for the buyer.",
    )
    price_tolerance_percent = fields.Float(
        string="Accept price changes up to (%)", default=0.0
    )
    invoice_price_tolerance_percent = fields.Float(
        string="Invoice price tolerance (%)",
        default=0.0,
        help="Three-way match: invoiced unit price against the ordered price.",
    )
    invoice_quantity_tolerance_percent = fields.Float(
        string="Invoice quantity tolerance (%)",
        default=0.0,
        help="Three-way match: invoiced quantity against the received quantity.",
    )
    over_delivery_tolerance_percent = fields.Float(
        string="Accept more than ordered up to (%)",
        default=0.0,
        help="A ship notice may be received automatically, and billed, up to this "
        "much above the ordered quantity. Beyond it the receipt waits for the "
        "warehouse and the bill does not match.",
    )
    receipt_policy = fields.Selection(
        [
            ("prepare", "Prefill the receipt; the warehouse validates it"),
            ("validate", "Validate the receipt; the rest goes to a backorder"),
        ],
        string="On a ship notice",
        default="prepare",
        required=True,
    )
    document_ids = fields.One2many("edi.document", "trading_partner_id")
    document_count = fields.Integer(compute="_compute_document_count")

    _sql_constraints = [
        (
            "tolerances_positive",
            "CHECK(quantity_tolerance_percent >= 0 AND price_tolerance_percent >= 0 "
            "AND invoice_price_tolerance_percent >= 0 "
            "AND invoice_quantity_tolerance_percent >= 0)",
            "Tolerances cannot be negative.",
        ),
        (
            "over_delivery_tolerance_positive",
            "CHECK(over_delivery_tolerance_percent >= 0)",
            "Tolerances cannot be negative.",
        ),
        (
            "windows_positive",
            "CHECK(invoice_window_minutes >= 0)",
            "A window cannot be negative.",
        ),
    ]

    @api.depends("partner_id.name", "dialect")
    def _compute_name(self):
        for trading_partner in self:
            trading_partner.name = (
                f"{trading_partner.partner_id.name or ''} "
                f"({trading_partner.dialect or ''})"
            ).strip()

    @api.depends("endpoint_id.environment", "test_indicator_policy")
    def _compute_test_indicator(self):
        for trading_partner in self:
            trading_partner.test_indicator = bool(
                trading_partner.profile_id
            ) and trading_partner.profile_id._test_indicator(
                trading_partner.endpoint_id
            )

    def _compute_document_count(self):
        counts = dict(
            self.env["edi.document"]._read_group(
                [("trading_partner_id", "in", self.ids)],
                ["trading_partner_id"],
                ["__count"],
            )
        )
        for trading_partner in self:
            trading_partner.document_count = counts.get(trading_partner, 0)

    @api.onchange("dialect")
    def _onchange_dialect(self):
        self.update(
            self.env["edi.interchange.profile"]._dialect_defaults(
                self.dialect, self.our_qualifier
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("profile_id"):
                vals["profile_id"] = self._create_profile(vals).id
        partners = super().create(vals_list)
        return partners

    @api.model
    def _create_profile(self, vals):
        """A profile of the trading partner's own, from the envelope values
        given with it (they are taken out of ``vals``)."""
        profile_fields = self.env["edi.interchange.profile"]._fields
        own_fields = self._fields
        profile_vals = {
            name: vals.pop(name)
            for name in list(vals)
            if name in profile_fields and own_fields[name].inherited
        }
        company_id = vals.get("company_id") or self.env.company.id
        return self.env["edi.interchange.profile"].create(
            dict(profile_vals, company_id=company_id)
        )

    def write(self, vals):
        result = super().write(vals)
        if "company_id" in vals:
            # A profile of its own moves with its trading partner.
            for trading_partner in self:
                profile = trading_partner.profile_id
                if profile.trading_partner_ids == trading_partner:
                    profile.company_id = trading_partner.company_id
        return result

    def unlink(self):
        # A profile goes with the last trading partner using it (it was made
        # with it); its identities are then free for another.
        profiles = self.profile_id
        result = super().unlink()
        profiles.filtered(
            lambda p: not p.with_context(active_test=False).trading_partner_ids
        ).unlink()
        return result

    def _channel_batch_flows(self):
        """Folder and SFTP partners are collected by the batch flow edi-poll."""
        flows = super()._channel_batch_flows()
        if self.endpoint_id._has_file_transport():
            flows |= (
                self.env.ref("distribution_edi.flow_edi_poll", raise_if_not_found=False)
                or self.env["integration.flow"]
            )
        return flows

    # -- envelopes ---------------------------------------------------------------

    def _separators(self):
        self.ensure_one()
        return self.profile_id._separators()

    def _envelope(self, *, acknowledgement_requested=False):
        """Our envelope for one outgoing interchange (takes its control numbers)."""
        self.ensure_one()
        return self.profile_id._envelope(
            test=self.test_indicator,
            acknowledgement_requested=acknowledgement_requested,
        )

    def _next_set_control_number(self):
        self.ensure_one()
        return self.profile_id._next_set_control_number()

    def _content_type(self):
        return "application/edi-x12" if self.dialect == X12 else "application/edifact"

    def _file_name(self, code, control_number):
        suffix = "x12" if self.dialect == X12 else "edi"
        return f"{self.our_interchange_id}-{code}-{control_number}.{suffix}"

    def _uom_code(self, uom):
        """The unit code this supplier uses for ``uom``: its own cross-reference
        on the endpoint, else the dialect's standard code."""
        self.ensure_one()
        code = self.env["integration.cross.reference"]._to_external(
            self.endpoint_id, "uom", uom, code_list=self.dialect
        )
        if code:
            return code
        raise UserError(
            _(
                "No %(dialect)s unit code for '%(uom)s': add one under EDI Unit "
                "Codes (a cross-reference, for this supplier's endpoint or for all).",
                dialect=self.dialect,
                uom=uom.name,
            )
        )

    def _uom_from_code(self, code):
        self.ensure_one()
        return self.env["integration.cross.reference"]._to_internal(
            self.endpoint_id, "uom", code, code_list=self.dialect
        )

    @entry_point("read")
    def action_view_unit_codes(self):
        """The unit codes this supplier's documents use (standard and own)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_edi.edi_uom_code_action"
        )
        action["domain"] = [
            ("domain", "=", "uom"),
            ("endpoint_id", "in", [self.endpoint_id.id, False]),
            ("code_list", "in", [self.dialect, False]),
        ]
        action["context"] = {
            "default_domain": "uom",
            "default_endpoint_id": self.endpoint_id.id,
            "default_code_list": self.dialect,
        }
        return action

    def _edi_to_line_unit(self, purchase_line, code, quantity=None, price=None):
        """``quantity`` and unit ``price`` the supplier gave in its unit
        ``code``, in the unit of ``purchase_line`` (``None`` stays ``None``).

        Every document that states quantities (855, 856, 810 and EDIFACT)
        goes through here. A code without a mapping, or of a unit that cannot
        be converted to the line's, is refused: applying it unconverted would
        receive or bill the wrong quantity.
        """
        self.ensure_one()
        line_uom = purchase_line.product_uom
        if not code:
            return quantity, price
        uom = self._uom_from_code(code)
        if not uom:
            raise errors.PermanentError(
                _(
                    "%(partner)s gives %(product)s in unit %(code)r, which has no "
                    "%(dialect)s unit mapping: add it under EDI Unit Codes (a "
                    "cross-reference), then retry. Nothing of the document was "
                    "applied.",
                    partner=self.name,
                    product=purchase_line.product_id.display_name,
                    code=code,
                    dialect=self.dialect,
                ),
                category="mapping",
            )
        if uom == line_uom:
            return quantity, price
        if uom.category_id != line_uom.category_id:
            raise errors.PermanentError(
                _(
                    "%(partner)s gives %(product)s in %(code)s (%(uom)s), which "
                    "cannot be converted to the order line's %(line_uom)s. "
                    "Nothing of the document was applied.",
                    partner=self.name,
                    product=purchase_line.product_id.display_name,
                    code=code,
                    uom=uom.name,
                    line_uom=line_uom.name,
                ),
                category="mapping",
            )
        if quantity is not None:
            quantity = uom._compute_quantity(quantity, line_uom, round=False)
        if price is not None:
            price = uom._compute_price(price, line_uom)
        return quantity, price

    def _accepts(self, kind):
        self.ensure_one()
        switch = DOCUMENT_SWITCHES.get(kind)
        return bool(switch and self[switch])

    @entry_point("write")
    def action_test_transport(self):
        """Check the endpoint's transport: its URL, or both folders (local or SFTP)."""
        self.ensure_one()
        return self.endpoint_id.action_test_connection()

    @entry_point("read")
    def action_view_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_edi.edi_document_action"
        )
        action["domain"] = [("trading_partner_id", "=", self.id)]
        return action

    @api.model
    def _for_interchange(self, header, endpoint):
        """The trading partner an inbound interchange header comes from."""
        domain = [
            ("partner_interchange_id", "=", header.sender_id),
            ("our_interchange_id", "=", header.receiver_id),
            ("endpoint_id", "=", endpoint.id),
        ]
        found = self.sudo().search(domain)
        if len(found) > 1 and header.sender_qualifier:
            found = found.filtered(
                lambda p: p.partner_qualifier == header.sender_qualifier
            )
        return found[:1]

    @staticmethod
    def _payload_digest(payload):
        return hashlib.sha256(payload).hexdigest()
