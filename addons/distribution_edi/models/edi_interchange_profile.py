import datetime

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..edi import EDIFACT, X12
from ..edi.syntax import EDIFACT_SEPARATORS, X12_SEPARATORS, Separators
from ..edi.writer import EdifactEnvelope, X12Envelope
from .edi_document import format_interchange_number

DIALECTS = [("X12", "ASC X12"), ("EDIFACT", "UN/EDIFACT")]
X12_VERSIONS = [("004010", "004010"), ("005010", "005010")]
EDIFACT_VERSIONS = [("D96A", "D.96A")]


class EdiInterchangeProfile(models.Model):
    """How interchanges with one partner are enveloped: dialect and versions,
    separators, both identities and their qualifiers, control numbers and the
    test indicator.

    Nothing here is about purchasing: a supplier's trading partner points to a
    profile, and any other channel speaking X12 or EDIFACT (a 3PL's 940/945)
    can point to one the same way.
    """

    _name = "edi.interchange.profile"
    _description = "EDI Interchange Profile"
    _inherit = ["mail.thread"]
    _order = "name, id"

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    trading_partner_ids = fields.One2many("edi.trading.partner", "profile_id")

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
    test_indicator_policy = fields.Selection(
        [
            ("environment", "Follows the endpoint's environment"),
            ("test", "Always test"),
            ("production", "Always production"),
        ],
        string="Test indicator",
        default="environment",
        required=True,
        tracking=True,
        help="ISA15 / UNB test indicator. Usually follows the endpoint: test "
        "endpoints send test interchanges.",
    )

    # Identities
    our_qualifier = fields.Char(string="Our qualifier", default="ZZ", size=4)
    our_interchange_id = fields.Char(
        string="Our interchange ID",
        required=True,
        size=35,
        tracking=True,
        help="ISA06 / UNB sender: how the partner knows us.",
    )
    our_application_id = fields.Char(
        string="Our application ID (GS02)", help="Defaults to our interchange ID."
    )
    partner_qualifier = fields.Char(string="Partner qualifier", default="ZZ", size=4)
    partner_interchange_id = fields.Char(
        string="Partner interchange ID",
        required=True,
        size=35,
        tracking=True,
        help="ISA08 / UNB recipient.",
    )
    partner_application_id = fields.Char(
        string="Partner application ID (GS03)",
        help="Defaults to the partner's interchange ID.",
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

    _sql_constraints = [
        (
            "identity_unique",
            "unique(company_id, partner_qualifier, partner_interchange_id, "
            "our_interchange_id)",
            "Another interchange profile already uses these interchange IDs.",
        ),
    ]

    @api.depends("our_interchange_id", "partner_interchange_id", "dialect")
    def _compute_name(self):
        for profile in self:
            profile.name = (
                f"{profile.our_interchange_id or ''} / "
                f"{profile.partner_interchange_id or ''} ({profile.dialect or ''})"
            )

    @api.depends("next_interchange_number", "dialect")
    def _compute_next_interchange_control_number(self):
        for profile in self:
            profile.next_interchange_control_number = (
                format_interchange_number(
                    profile.next_interchange_number, profile.dialect
                )
                if profile.interchange_sequence_id
                else False
            )

    @api.model
    def _dialect_defaults(self, dialect, our_qualifier):
        """Separators (and qualifier) a new dialect starts with."""
        defaults = X12_SEPARATORS if dialect == X12 else EDIFACT_SEPARATORS
        values = {
            "segment_terminator": defaults.segment,
            "element_separator": defaults.element,
            "component_separator": defaults.component,
            "repetition_separator": "^" if dialect == X12 else "",
            "release_character": defaults.release if dialect == EDIFACT else "",
        }
        if dialect == EDIFACT:
            values["our_qualifier"] = our_qualifier or "14"
        return values

    @api.onchange("dialect")
    def _onchange_dialect(self):
        self.update(self._dialect_defaults(self.dialect, self.our_qualifier))

    @api.constrains(
        "dialect",
        "segment_terminator",
        "element_separator",
        "component_separator",
        "repetition_separator",
        "release_character",
    )
    def _check_separators(self):
        for profile in self:
            try:
                profile._separators().check()
            except Exception as exc:
                raise ValidationError(
                    _("%(profile)s: %(error)s", profile=profile.name, error=exc)
                ) from exc

    @api.constrains("our_interchange_id", "partner_interchange_id", "dialect")
    def _check_identities(self):
        for profile in self:
            for value in (profile.our_interchange_id, profile.partner_interchange_id):
                if profile.dialect == X12 and len(value or "") > 15:
                    raise ValidationError(
                        _(
                            "X12 interchange IDs have at most 15 characters "
                            "(ISA06/ISA08): %s",
                            value,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        profiles = super().create(vals_list)
        profiles._ensure_sequences()
        return profiles

    def _ensure_sequences(self):
        sequences = self.env["ir.sequence"].sudo()
        for profile in self:
            values = {}
            for field_name, label in (
                ("interchange_sequence_id", "interchange"),
                ("group_sequence_id", "group"),
                ("set_sequence_id", "set"),
            ):
                if not profile[field_name]:
                    values[field_name] = sequences.create(
                        {
                            "name": f"EDI {label} numbers: {profile.name}",
                            "code": f"edi.profile.{label}.{profile.id}",
                            "implementation": "standard",
                            "company_id": profile.company_id.id,
                            "padding": 1,
                        }
                    ).id
            if values:
                profile.sudo().write(values)

    # -- envelopes ---------------------------------------------------------------

    def _test_indicator(self, endpoint):
        """Whether interchanges sent through ``endpoint`` are marked as test."""
        self.ensure_one()
        if self.test_indicator_policy == "environment":
            return endpoint.environment != "production"
        return self.test_indicator_policy == "test"

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

    def _envelope(self, *, test, acknowledgement_requested=False):
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
                test=test,
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
            test=test,
            acknowledgement_requested=acknowledgement_requested,
            timestamp=moment.replace(tzinfo=None),
            separators=self._separators(),
        )

    def _next_set_control_number(self):
        number = self._next_control_number("set_sequence_id")
        # ST02 is 4 to 9 characters; UNH 0062 up to 14.
        return str(number).zfill(4) if self.dialect == X12 else str(number)
