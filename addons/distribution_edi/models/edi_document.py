from odoo import _, _lt, api, fields, models
from odoo.addons.distribution_integration_base.kernel import errors

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

    # -- a partner's acknowledgement of what we sent ---------------------------

    @api.model
    def _edi_apply_acknowledgement(self, message, trading_partner, document):
        """Record a partner's 997 / CONTRL on the documents we sent it, and
        acknowledge their messages; returns the first order concerned."""
        sent = (
            self.env["edi.document"]
            .sudo()
            .search(
                [
                    ("trading_partner_id", "=", trading_partner.id),
                    ("direction", "=", "outbound"),
                    ("kind", "!=", "acknowledgement"),
                ]
                + (
                    [("group_control_number", "=", document["acknowledged_group"])]
                    if document.get("acknowledged_group")
                    else [
                        (
                            "interchange_control_number",
                            "=",
                            document["acknowledged_interchange"],
                        )
                    ]
                )
            )
        )
        if document.get("acknowledged_group") and document.get("functional_id"):
            functional = {"PO": "850"}.get(document["functional_id"])
            if functional:
                sent = sent.filtered(lambda doc: doc.code == functional)
        verdicts = {s["control_number"]: s for s in document.get("sets", [])}
        group_status = document.get("group_status") or ""
        group_errors = document.get("group_errors") or []
        matched = self.env["edi.document"]
        for sent_document in sent:
            verdict = verdicts.get(sent_document.set_control_number)
            if verdicts and verdict is None:
                if len(verdicts) == 1 and not document.get("acknowledged_group"):
                    # CONTRL names its message by UNH reference.
                    verdict = next(iter(verdicts.values()))
                else:
                    continue
            status = (verdict or {}).get("status") or group_status
            details = "\n".join(group_errors + (verdict or {}).get("errors", []))
            state = {
                "A": "accepted",
                "E": "accepted_with_errors",
                "R": "rejected",
                "M": "rejected",
                "W": "rejected",
                "X": "rejected",
                "P": "accepted_with_errors",
            }.get(status, "accepted")
            sent_document.write(
                {
                    "ack_state": state,
                    "ack_details": details or False,
                    "acknowledged_at": fields.Datetime.now(),
                }
            )
            matched |= sent_document
        if matched:
            matched.purchase_id._edi_lock_for_document()
        if not matched:
            raise errors.PermanentError(
                _(
                    "%(partner)s acknowledged %(what)s, which we never sent.",
                    partner=trading_partner.name,
                    what=_("group %s", document["acknowledged_group"])
                    if document.get("acknowledged_group")
                    else _("interchange %s", document["acknowledged_interchange"]),
                ),
                category="mapping",
            )
        dispatch = self.env["integration.dispatch"]
        for sent_message in matched.message_id:
            verdicts_for_message = matched.filtered(
                lambda doc, m=sent_message: doc.message_id == m
            )
            rejected = verdicts_for_message.filtered(
                lambda doc: doc.ack_state == "rejected"
            )
            if sent_message.state not in ("sent", "acknowledged", "dead"):
                # An acknowledgement can overtake our own bookkeeping: the
                # partner filed the interchange, so it was sent.
                sent_message.sudo().write({"state": "sent"})
            details = "\n".join(
                f"{doc.code} {doc.set_control_number} ({doc.reference}): "
                f"{doc.ack_details or doc.ack_state}"
                for doc in rejected
            )
            dispatch._acknowledge(
                sent_message,
                accepted=not rejected,
                details=details or None,
                ack_message=message,
            )
            for order in verdicts_for_message.purchase_id:
                order.with_context(edi_applying_partner_document=True).edi_state = (
                    "rejected"
                    if rejected
                    else (
                        "acknowledged"
                        if order.edi_state in ("queued", "sent")
                        else order.edi_state
                    )
                )
        return matched.purchase_id[:1]
