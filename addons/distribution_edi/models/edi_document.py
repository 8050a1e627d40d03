from odoo import fields, models

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
    interchange_control_number = fields.Char(string="Interchange", index=True)
    group_control_number = fields.Char(string="Group", index=True)
    set_control_number = fields.Char(string="Set control", index=True)
    reference = fields.Char(
        index=True, help="Order, shipment or invoice number the document carries."
    )
    display_reference = fields.Char(compute="_compute_display_reference")
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

    def _compute_display_reference(self):
        for document in self:
            document.display_reference = " ".join(
                part
                for part in (
                    document.code,
                    document.reference or "",
                    f"#{document.set_control_number}"
                    if document.set_control_number
                    else "",
                )
                if part
            )
