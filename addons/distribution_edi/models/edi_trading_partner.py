import datetime
import hashlib

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError, ValidationError

from ..edi import EDIFACT, X12
from ..edi.syntax import EDIFACT_SEPARATORS, X12_SEPARATORS, Separators
from ..edi.writer import EdifactEnvelope, X12Envelope
from .edi_document import format_interchange_number

DIALECTS = [("X12", "ASC X12"), ("EDIFACT", "UN/EDIFACT")]
X12_VERSIONS = [("004010", "004010"), ("005010", "005010")]
EDIFACT_VERSIONS = [("D96A", "D.96A")]
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
    test_indicator = fields.Boolean(
        compute="_compute_test_indicator",
        help="ISA15 = T / UNB test indicator 1: follows the endpoint's environment.",
    )

    # Syntax
    dialect = fields.Selection(DIALECTS, required=True, default="X12", tracking=True)
    x12_version = fields.Selection(
        X12_VERSIONS, string="X12 version", default="004010", tracking=True
    )
    edifact_version = fields.Selection(
        EDIFACT_VERSIONS, string="EDIFACT directory", default="D96A"
    )
    edifact_syntax = fields.Selection(
        [("UNOA", "UNOA"), ("UNOB", "UNOB"), ("UNOC", "UNOC (Latin-1)")],
        string="EDIFACT syntax",
        default="UNOC",
    )
    segment_terminator = fields.Char(size=1, default="~")
    element_separator = fields.Char(size=1, default="*")
    component_separator = fields.Char(size=1, default=">")
    repetition_separator = fields.Char(
        size=1, default="^", help="X12 005010 (ISA11) and EDIFACT syntax 4 only."
    )
    release_character = fields.Char(size=1, help="EDIFACT only (UNA).")
    write_newlines = fields.Boolean(
        string="Newline after each segment",
        default=True,
        help="Easier to read; every translator accepts it.",
    )

    # Identities
    our_qualifier = fields.Char(string="Our qualifier", default="ZZ", size=4)
    our_interchange_id = fields.Char(
        string="Our interchange ID",
        required=True,
        size=35,
        tracking=True,
        help="ISA06 / UNB sender: how the supplier knows us.",
    )
    our_application_id = fields.Char(
        string="Our application ID (GS02)", help="Defaults to our interchange ID."
    )
    partner_qualifier = fields.Char(string="Supplier qualifier", default="ZZ", size=4)
    partner_interchange_id = fields.Char(
        string="Supplier interchange ID",
        required=True,
        size=35,
        tracking=True,
        help="ISA08 / UNB recipient.",
    )
    partner_application_id = fields.Char(
        string="Supplier application ID (GS03)",
        help="Defaults to the supplier's interchange ID.",
    )

    # Control numbers: database sequences, so they never repeat, even when two
    # transactions send at once.
    interchange_sequence_id = fields.Many2one(
        "ir.sequence", readonly=True, copy=False, ondelete="restrict"
    )
    group_sequence_id = fields.Many2one(
        "ir.sequence", readonly=True, copy=False, ondelete="restrict"
    )
    set_sequence_id = fields.Many2one(
        "ir.sequence", readonly=True, copy=False, ondelete="restrict"
    )
    next_interchange_number = fields.Integer(
        string="Next interchange number (as a number)",
        related="interchange_sequence_id.number_next_actual",
        readonly=True,
    )
    next_interchange_control_number = fields.Char(
        string="Next interchange control number",
        compute="_compute_next_interchange_control_number",
        help="The control number (ISA13 / UNB 0020) of the next interchange sent, "
        "written as documents show it.",
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
    uom_code_ids = fields.One2many(
        "edi.uom.code",
        "trading_partner_id",
        string="Unit codes",
        help="Overrides of the default unit-of-measure codes for this supplier.",
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
            "identity_unique",
            "unique(company_id, partner_qualifier, partner_interchange_id, "
            "our_interchange_id)",
            "Another trading partner already uses these interchange IDs.",
        ),
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

    @api.depends("next_interchange_number", "dialect")
    def _compute_next_interchange_control_number(self):
        for trading_partner in self:
            trading_partner.next_interchange_control_number = (
                format_interchange_number(
                    trading_partner.next_interchange_number, trading_partner.dialect
                )
                if trading_partner.interchange_sequence_id
                else False
            )

    @api.depends("endpoint_id.environment")
    def _compute_test_indicator(self):
        for trading_partner in self:
            trading_partner.test_indicator = (
                trading_partner.endpoint_id.environment != "production"
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
        defaults = X12_SEPARATORS if self.dialect == X12 else EDIFACT_SEPARATORS
        self.segment_terminator = defaults.segment
        self.element_separator = defaults.element
        self.component_separator = defaults.component
        self.repetition_separator = "^" if self.dialect == X12 else ""
        self.release_character = defaults.release if self.dialect == EDIFACT else ""
        if self.dialect == EDIFACT:
            self.our_qualifier = self.our_qualifier or "14"

    @api.constrains(
        "dialect",
        "segment_terminator",
        "element_separator",
        "component_separator",
        "repetition_separator",
        "release_character",
    )
    def _check_separators(self):
        for trading_partner in self:
            try:
                trading_partner._separators().check()
            except Exception as exc:
                raise ValidationError(
                    _("%(partner)s: %(error)s", partner=trading_partner.name, error=exc)
                ) from exc

    @api.constrains("our_interchange_id", "partner_interchange_id", "dialect")
    def _check_identities(self):
        for trading_partner in self:
            for value in (
                trading_partner.our_interchange_id,
                trading_partner.partner_interchange_id,
            ):
                if trading_partner.dialect == X12 and len(value or "") > 15:
                    raise ValidationError(
                        _(
                            "X12 interchange IDs have at most 15 characters "
                            "(ISA06/ISA08): %s",
                            value,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners._ensure_sequences()
        return partners

    def _channel_batch_flows(self):
        """Folder and SFTP partners are collected by the batch flow edi-poll."""
        flows = super()._channel_batch_flows()
        if self.endpoint_id._has_file_transport():
            flows |= (
                self.env.ref("distribution_edi.flow_edi_poll", raise_if_not_found=False)
                or self.env["integration.flow"]
            )
        return flows

    def _ensure_sequences(self):
        sequences = self.env["ir.sequence"].sudo()
        for trading_partner in self:
            values = {}
            for field_name, label in (
                ("interchange_sequence_id", "interchange"),
                ("group_sequence_id", "group"),
                ("set_sequence_id", "set"),
            ):
                if not trading_partner[field_name]:
                    values[field_name] = sequences.create(
                        {
                            "name": f"EDI {label} numbers: {trading_partner.name}",
                            "code": f"edi.{label}.{trading_partner.id}",
                            "implementation": "standard",
                            "company_id": trading_partner.company_id.id,
                            "padding": 1,
                        }
                    ).id
            if values:
                trading_partner.sudo().write(values)

    # -- envelopes ---------------------------------------------------------------

    def _separators(self):
        self.ensure_one()
        defaults = X12_SEPARATORS if self.dialect == X12 else EDIFACT_SEPARATORS
        return Separators(
            self.segment_terminator or defaults.segment,
            self.element_separator or defaults.element,
            self.component_separator or defaults.component,
            self.repetition_separator or "",
            (self.release_character or "") if self.dialect == EDIFACT else "",
            defaults.decimal,
        )

    def _next_control_number(self, field_name):
        return int(self[field_name].sudo().next_by_id())

    def _envelope(self, *, acknowledgement_requested=False):
        """Our envelope for one outgoing interchange (takes its control numbers)."""
        self.ensure_one()
        moment = fields.Datetime.context_timestamp(self, datetime.datetime.now())
        interchange_number = self._next_control_number("interchange_sequence_id")
        if self.dialect == X12:
            return X12Envelope(
                sender_id=self.our_interchange_id,
                receiver_id=self.partner_interchange_id,
                control_number=interchange_number,
                group_control_number=self._next_control_number("group_sequence_id"),
                sender_qualifier=self.our_qualifier or "ZZ",
                receiver_qualifier=self.partner_qualifier or "ZZ",
                application_sender_id=self.our_application_id or "",
                application_receiver_id=self.partner_application_id or "",
                version=self.x12_version,
                test=self.test_indicator,
                acknowledgement_requested=acknowledgement_requested,
                timestamp=moment.replace(tzinfo=None),
                separators=self._separators(),
            )
        return EdifactEnvelope(
            sender_id=self.our_interchange_id,
            receiver_id=self.partner_interchange_id,
            control_number=str(interchange_number),
            sender_qualifier=self.our_qualifier or "",
            receiver_qualifier=self.partner_qualifier or "",
            syntax_identifier=self.edifact_syntax or "UNOC",
            test=self.test_indicator,
            acknowledgement_requested=acknowledgement_requested,
            timestamp=moment.replace(tzinfo=None),
            separators=self._separators(),
        )

    def _next_set_control_number(self):
        number = self._next_control_number("set_sequence_id")
        # ST02 is 4 to 9 characters; UNH 0062 up to 14.
        return str(number).zfill(4) if self.dialect == X12 else str(number)

    def _content_type(self):
        return "application/edi-x12" if self.dialect == X12 else "application/edifact"

    def _file_name(self, code, control_number):
        suffix = "x12" if self.dialect == X12 else "edi"
        return f"{self.our_interchange_id}-{code}-{control_number}.{suffix}"

    def _uom_code(self, uom):
        """The unit code this supplier uses for ``uom``."""
        self.ensure_one()
        codes = self.env["edi.uom.code"].sudo()
        for domain in (
            [("trading_partner_id", "=", self.id)],
            [("trading_partner_id", "=", False)],
        ):
            code = codes.search(
                domain + [("uom_id", "=", uom.id), ("dialect", "=", self.dialect)],
                limit=1,
            )
            if code:
                return code.code
        raise UserError(
            _(
                "No %(dialect)s unit code for '%(uom)s': add one under EDI > Unit "
                "codes (or on the trading partner).",
                dialect=self.dialect,
                uom=uom.name,
            )
        )

    def _uom_from_code(self, code):
        codes = self.env["edi.uom.code"].sudo()
        for domain in (
            [("trading_partner_id", "=", self.id)],
            [("trading_partner_id", "=", False)],
        ):
            found = codes.search(
                domain + [("code", "=", code), ("dialect", "=", self.dialect)], limit=1
            )
            if found:
                return found.uom_id
        return self.env["uom.uom"]

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
                    "%(dialect)s unit mapping: add it under EDI > Unit codes or on "
                    "the trading partner, then retry. Nothing of the document was "
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
