from odoo import _lt, api, fields, models

ACK_STATES = [
    ("not_expected", "No acknowledgement expected"),
    ("pending", "Waiting for acknowledgement"),
    ("accepted", "Accepted"),
    ("accepted_with_errors", "Accepted with errors"),
    ("rejected", "Rejected"),
]
KINDS = [
    ("order", "Purchase order (850 / ORDERS)"),
    ("order_response", "Order response (855 / ORDRSP)"),
    ("change_response", "Change acknowledgement (865)"),
    ("despatch", "Ship notice (856 / DESADV)"),
    ("invoice", "Invoice (810 / INVOIC)"),
    ("acknowledgement", "Acknowledgement (997 / CONTRL)"),
]


# What each kind of document means, after its code ("855 Order response").
KIND_MEANINGS = {
    "order": _lt("Purchase order"),
    "order_response": _lt("Order response"),
    "change_response": _lt("Change acknowledgement"),
    "despatch": _lt("Ship notice"),
    "invoice": _lt("Invoice"),
    "acknowledgement": _lt("Acknowledgement"),
}
# EDIFACT's own names where they differ from X12's.
EDIFACT_MEANINGS = {"despatch": _lt("Despatch advice")}


def format_interchange_number(value, dialect):
    """One way to write an interchange control number wherever it is shown:
    X12's nine digits of ISA13; EDIFACT's UNB 0020 as sent."""
    value = str(value or "").strip()
    if dialect == "X12" and value.isdigit():
        return value.zfill(9)
    return value


class EdiDocument(models.Model):
    """One transaction set exchanged with a trading partner, with its control
    numbers: what a 997 or CONTRL is matched against."""

    _name = "edi.document"
    _description = "EDI Document"
    _order = "id desc"
    _rec_name = "display_reference"

    trading_partner_id = fields.Many2one(
        "edi.trading.partner", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        related="trading_partner_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="trading_partner_id.partner_id", store=True)
    direction = fields.Selection(
        [("outbound", "Sent"), ("inbound", "Received")], required=True
    )
    kind = fields.Selection(KINDS, required=True)
    code = fields.Char(string="Set", required=True, help="850, ORDRSP, 997...")
    interchange_control_number = fields.Char(
        string="Interchange control number", index=True
    )
    group_control_number = fields.Char(string="Group", index=True)
    set_control_number = fields.Char(string="Set control", index=True)
    reference = fields.Char(
        index=True, help="Order, shipment or invoice number the document carries."
    )
    display_reference = fields.Char(compute="_compute_display_reference")
    document_label = fields.Char(
        string="Document",
        compute="_compute_document_label",
        help="The document's code and what it is, e.g. 855 Order response.",
    )
    interchange_number = fields.Char(
        string="Interchange",
        compute="_compute_interchange_number",
        help="The interchange control number (ISA13 / UNB 0020), written as sent.",
    )
    message_id = fields.Many2one(
        "integration.message",
        string="Message",
        index=True,
        ondelete="set null",
        help="The logged message that carried (outbound) or applied (inbound) it.",
    )
    message_state = fields.Selection(related="message_id.state")
    purchase_id = fields.Many2one(
        "purchase.order", string="Purchase order", index=True, ondelete="set null"
    )
    ack_state = fields.Selection(
        ACK_STATES, string="Acknowledgement", default="not_expected", index=True
    )
    ack_details = fields.Text(string="Acknowledgement errors")
    acknowledged_at = fields.Datetime()

    @api.depends("code", "kind", "trading_partner_id.dialect")
    def _compute_document_label(self):
        for document in self:
            # Whoever may read the document may read its dialect.
            dialect = document.sudo().trading_partner_id.dialect
            meanings = EDIFACT_MEANINGS if dialect == "EDIFACT" else {}
            meaning = meanings.get(document.kind) or KIND_MEANINGS.get(document.kind)
            document.document_label = " ".join(
                part for part in (document.code, meaning and str(meaning)) if part
            )

    @api.depends("interchange_control_number", "trading_partner_id.dialect")
    def _compute_interchange_number(self):
        for document in self:
            document.interchange_number = format_interchange_number(
                document.interchange_control_number,
                document.sudo().trading_partner_id.dialect,
            )

    @api.depends("document_label", "reference", "set_control_number")
    def _compute_display_reference(self):
        for document in self:
            document.display_reference = " ".join(
                part
                for part in (
                    document.document_label,
                    document.reference or "",
                    f"#{document.set_control_number}"
                    if document.set_control_number
                    else "",
                )
                if part
            )
