import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import float_compare

from ..edi import documents
from ..edi.writer import write_edifact, write_x12
from .edi_effects import as_float, edi_raise

ORDER_FLOW = "edi-order-out"
EDI_STATES = [
    ("none", "Not traded by EDI"),
    ("queued", "Order queued"),
    ("sent", "Order sent"),
    ("acknowledged", "Syntax accepted"),
    ("rejected", "Rejected by the supplier's translator"),
    ("confirmed", "Confirmed"),
    ("changed", "Confirmed with changes"),
    ("refused", "Refused by the supplier"),
    ("on_hold", "On hold at the supplier"),
    ("change_accepted", "Change accepted"),
    ("change_rejected", "Change refused by the supplier"),
    ("cancel_confirmed", "Cancellation confirmed"),
    ("cancel_rejected", "Cancellation refused by the supplier"),
]
# Line fields whose change after sending is a new revision of the order.
REVISION_LINE_FIELDS = {"product_id", "product_qty", "price_unit", "date_planned"}
LINE_STATUSES = [
    ("accepted", "Accepted"),
    ("changed", "Changed"),
    ("backordered", "Backordered"),
    ("price_pending", "Accepted, price to follow"),
    ("on_hold", "On hold at the supplier"),
    ("rejected", "Rejected"),
    ("waiting", "Waiting for the buyer"),
    ("delivered", "Delivered in full"),
]


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "integration.consumer.mixin"]

    edi_trading_partner_id = fields.Many2one(
        "edi.trading.partner",
        string="EDI trading partner",
        compute="_compute_edi_trading_partner",
        store=True,
        readonly=True,
    )
    edi_state = fields.Selection(
        EDI_STATES, string="EDI status", default="none", copy=False, tracking=True
    )
    edi_revision = fields.Integer(
        string="EDI revision",
        copy=False,
        readonly=True,
        help="0 for the original order; each change sent afterwards adds one.",
    )
    edi_sent_digest = fields.Char(copy=False, readonly=True)
    edi_correlation_id = fields.Char(
        string="EDI correlation", copy=False, readonly=True, index=True
    )
    edi_last_document_at = fields.Datetime(
        string="Last EDI document applied",
        copy=False,
        readonly=True,
        help="When the supplier's last document was applied to this order.",
    )
    edi_document_ids = fields.One2many(
        "edi.document", "purchase_id", string="EDI documents"
    )
    edi_document_count = fields.Integer(compute="_compute_edi_document_count")
    edi_supplier_changed = fields.Boolean(
        string="Supplier changed the order",
        compute="_compute_edi_supplier_changed",
        help="A line's confirmed quantity or price differs from the order, or "
        "the supplier answered a line with a status or note: the lines show what "
        "it confirmed.",
    )

    @api.depends("partner_id", "company_id")
    def _compute_edi_trading_partner(self):
        trading_partners = self.env["edi.trading.partner"].sudo()
        for order in self:
            order.edi_trading_partner_id = trading_partners.search(
                [
                    ("partner_id", "=", order.partner_id.commercial_partner_id.id),
                    ("company_id", "=", order.company_id.id),
                    ("send_orders", "=", True),
                ],
                limit=1,
            )

    @api.depends(
        "order_line.edi_status",
        "order_line.edi_note",
        "order_line.edi_confirmed_qty",
        "order_line.edi_confirmed_price",
    )
    def _compute_edi_supplier_changed(self):
        for order in self:
            order.edi_supplier_changed = any(
                line._edi_supplier_changed() for line in order.order_line
            )

    def _compute_edi_document_count(self):
        for order in self:
            order.edi_document_count = len(order.edi_document_ids)

    @entry_point("write")
    def button_confirm(self):
        result = super().button_confirm()
        self.filtered(
            lambda o: o.state in ("purchase", "done") and o.edi_trading_partner_id
        )._edi_schedule_send()
        return result

    @entry_point("write")
    def button_cancel(self):
        result = super().button_cancel()
        # The supplier holds the order: tell it, as the order's last revision.
        self.filtered(
            lambda o: o.state == "cancel" and o.edi_state not in ("none", "refused")
        )._edi_schedule_send(only_if_sent=True)
        return result

    def write(self, vals):
        result = super().write(vals)
        if {"partner_ref", "date_planned", "picking_type_id"} & vals.keys():
            self._edi_schedule_send(only_if_sent=True)
        return result

    # -- sending -----------------------------------------------------------------

    def _edi_schedule_send(self, only_if_sent=False):
        """Send the order (or its new revision) once the transaction is about to
        commit, so that several edits in one save become one revision."""
        if self.env.context.get("edi_applying_partner_document"):
            return
        orders = self.filtered(
            lambda o: (
                o.edi_trading_partner_id
                and (
                    o.state in ("purchase", "done")
                    or (o.state == "cancel" and o.edi_state != "none")
                )
                and (o.edi_state != "none" or not only_if_sent)
            )
        )
        if not orders:
            return
        data = self.env.cr.precommit.data.setdefault("edi.orders_to_send", set())
        if not data:
            self.env.cr.precommit.add(self._edi_send_scheduled)
        data.update(orders.ids)

    @api.model
    def _edi_send_scheduled(self):
        ids = self.env.cr.precommit.data.pop("edi.orders_to_send", set())
        self.browse(sorted(ids)).exists()._edi_send_order()

    def _edi_send_order(self):
        """Queue the 850 / ORDERS of each order through the kernel.

        The same content is never sent twice; a changed order goes as a new
        revision (BEG01 05 / BGM 1225 5) under its own idempotency key.
        """
        dispatch = self.env["integration.dispatch"]
        messages = self.env["integration.message"]
        for order in self:
            trading_partner = order.edi_trading_partner_id
            if not trading_partner or not trading_partner.send_orders:
                continue
            content = order._edi_order_content(trading_partner)
            digest = hashlib.sha256(
                json.dumps(
                    [content, order.state == "cancel"], sort_keys=True, default=str
                ).encode()
            ).hexdigest()
            if digest == order.edi_sent_digest:
                continue
            revision = order.edi_revision + 1 if order.edi_sent_digest else 0
            if order.state == "cancel":
                purpose = "cancel"
            else:
                purpose = "replace" if revision else "original"
            content.update(
                number=order.name,
                purpose=purpose,
                date=fields.Date.to_string(
                    fields.Date.context_today(order, order.date_approve)
                    if order.date_approve
                    else fields.Date.context_today(order)
                ),
            )
            envelope = trading_partner._envelope()
            control = trading_partner._next_set_control_number()
            transaction_set = documents.order_set(
                content,
                trading_partner.dialect,
                control,
            )
            writer = write_x12 if trading_partner.dialect == "X12" else write_edifact
            try:
                payload = writer(
                    envelope, [transaction_set], newline=trading_partner.write_newlines
                )
            except Exception as exc:
                raise UserError(
                    _(
                        "Purchase order %(order)s cannot be written as EDI for "
                        "%(partner)s: %(error)s",
                        order=order.name,
                        partner=trading_partner.name,
                        error=exc,
                    )
                ) from exc
            correlation = order.edi_correlation_id or f"PO {order.name} {order.id}"
            message = dispatch._send(
                ORDER_FLOW,
                trading_partner.endpoint_id,
                payload,
                record=order,
                partner=order.partner_id.commercial_partner_id,
                idempotency_key=f"{order.name}:revision-{revision}",
                correlation_id=correlation,
                content_type=trading_partner._content_type(),
                filename=trading_partner._file_name(transaction_set.code, control),
                external_ref=order.name,
            )
            messages |= message
            self.env["edi.document"].sudo().create(
                {
                    "trading_partner_id": trading_partner.id,
                    "direction": "outbound",
                    "kind": "order",
                    "code": transaction_set.code,
                    "interchange_control_number": str(envelope.control_number),
                    "group_control_number": str(
                        getattr(envelope, "group_control_number", "")
                    ),
                    "set_control_number": control,
                    "reference": order.name,
                    "message_id": message.id,
                    "purchase_id": order.id,
                    "ack_state": "pending"
                    if trading_partner.receive_acknowledgements
                    else "not_expected",
                }
            )
            order.sudo().write(
                {
                    "edi_revision": revision,
                    "edi_sent_digest": digest,
                    "edi_correlation_id": correlation,
                    "edi_state": "queued",
                }
            )
            order._message_log(
                body=_(
                    "EDI %(code)s revision %(revision)s queued as %(message)s.",
                    code=transaction_set.code,
                    revision=revision,
                    message=message.name,
                )
            )
        return messages

    def _edi_order_content(self, trading_partner):
        """What the order says to the supplier (stable for the same order)."""
        self.ensure_one()
        ship_to = (
            self.picking_type_id.warehouse_id.partner_id or self.company_id.partner_id
        )
        lines = []
        for line in self.order_line.filtered(
            lambda line: not line.display_type and line.product_id
        ):
            vendor_code, gtin = line._edi_product_identifiers(trading_partner)
            lines.append(
                {
                    "line_id": line.id,
                    "vendor_code": vendor_code,
                    "gtin": gtin,
                    "description": (line.name or "").splitlines()[0][:80]
                    if line.name
                    else "",
                    "quantity": _decimal(line.product_qty),
                    "uom": trading_partner._uom_code(line.product_uom),
                    "price": _decimal(line.price_unit),
                    "date": fields.Date.to_string(line.date_planned.date())
                    if line.date_planned
                    else None,
                }
            )
        if not lines:
            raise UserError(
                _("Purchase order %s has no product lines to send.", self.name)
            )
        return {
            "currency": self.currency_id.name,
            "requested_date": fields.Date.to_string(self.date_planned.date())
            if self.date_planned
            else None,
            "buyer": {
                "name": self.company_id.name,
                "id": trading_partner.our_interchange_id,
            },
            "supplier": {
                "name": self.partner_id.commercial_partner_id.name,
                "id": trading_partner.partner_interchange_id,
            },
            "ship_to": {
                "name": ship_to.name or "",
                "code": self.picking_type_id.warehouse_id.code or "",
                "street": ship_to.street or "",
                "city": ship_to.city or "",
                "state": ship_to.state_id.code or "",
                "zip": ship_to.zip or "",
                "country": ship_to.country_id.code or "",
            },
            "lines": lines,
        }

    @api.model
    def _edi_find(self, trading_partner, number):
        """The purchase order ``number`` placed with ``trading_partner``."""
        return self.sudo().search(
            [
                ("name", "=", number),
                (
                    "partner_id.commercial_partner_id",
                    "=",
                    trading_partner.partner_id.commercial_partner_id.id,
                ),
                ("company_id", "=", trading_partner.company_id.id),
            ],
            limit=1,
        )

    # -- three-way match -----------------------------------------------------------

    def _edi_traded(self):
        """These orders placed with a supplier that has an EDI trading partner
        (who may bill by EDI even for an order sent another way)."""
        if not self:
            return self
        suppliers = self.partner_id.commercial_partner_id
        trading = (
            self.env["edi.trading.partner"]
            .sudo()
            .search([("partner_id", "in", suppliers.ids)])
            .partner_id
        )
        return self.filtered(
            lambda order: order.partner_id.commercial_partner_id in trading
        )

    def _edi_lock_for_match(self):
        """Make changes to either side of these orders' three-way match (their
        receipts, their bills) run one after the other.

        Each side first rewrites the orders' rows (documents through
        ``_edi_lock_for_document``): of two concurrent transactions, the later
        fails (a serialization error, or a transient error for a document) and
        is retried on the committed state (by the job runner, or by Odoo's RPC
        retry), where it sees the other. Here a person waits: block for the
        row rather than fail at once.
        """
        if self:
            self.env.cr.execute(
                "UPDATE purchase_order SET edi_last_document_at = "
                "edi_last_document_at WHERE id IN %s",
                [tuple(sorted(self.ids))],
            )

    def _edi_rematch_bills(self, note):
        """Take the three-way match of these orders' draft EDI bills again;
        close the exceptions of those that match now (``note`` gets the bill).

        Runs as superuser: whoever validates a receipt may not read bills, and
        their match must follow the goods all the same.
        """
        bills = self.sudo().order_line.invoice_lines.move_id.filtered(
            lambda move: (
                move.state == "draft"
                and move.edi_match_state in ("matched", "mismatch", "waiting_receipt")
            )
        )
        for bill in bills:
            was = bill.edi_match_state
            if not bill._edi_three_way_match() and was == "mismatch":
                bill._edi_resolve_match_exceptions(note % bill.display_name)
        return bills

    # -- the invoice window -------------------------------------------------------

    def _edi_received_not_invoiced(self):
        """Lines whose received quantity no bill covers yet."""
        return self.order_line.filtered(
            lambda line: (
                not line.display_type
                and float_compare(
                    line.qty_received,
                    line.qty_invoiced,
                    precision_rounding=line.product_uom.rounding,
                )
                > 0
            )
        )

    def _edi_expect_invoice(self):
        """Goods were received: the supplier's invoice is now expected within
        its trading partner's window (an earlier window still running stays)."""
        now = fields.Datetime.now()
        expectations = self.env["integration.expectation"]
        for order in self:
            trading_partner = order.edi_trading_partner_id
            if (
                order.edi_state == "none"
                or not trading_partner.receive_invoices
                or not trading_partner.invoice_window_minutes
                or not order._edi_received_not_invoiced()
            ):
                continue
            documents_of_order = order.edi_document_ids.sorted("id", reverse=True)
            message = (
                documents_of_order.filtered(lambda d: d.kind == "despatch")[:1]
                or documents_of_order.filtered(lambda d: d.kind == "order")[:1]
            ).message_id
            expectations._expect(
                order,
                "edi_invoice",
                now + timedelta(minutes=trading_partner.invoice_window_minutes),
                message=message or None,
                endpoint=trading_partner.endpoint_id,
                description=_(
                    "No invoice from %(partner)s for the goods received on "
                    "%(order)s within %(minutes)s minutes",
                    partner=trading_partner.name or order.partner_id.name,
                    order=order.name,
                    minutes=trading_partner.invoice_window_minutes,
                ),
            )

    def _edi_invoice_registered(self):
        """A bill was registered: once every received quantity is billed, the
        window closes and its exception resolves itself."""
        for order in self:
            if order._edi_received_not_invoiced():
                continue
            self.env["integration.expectation"]._fulfil(
                order,
                "edi_invoice",
                note=_("The invoice for %s arrived.", order.name),
            )

    def _integration_expectation_late(self, expectation):
        """The invoice window ran out: say which received lines no bill covers,
        or that none is missing (a return, a bill entered another way)."""
        self.ensure_one()
        if expectation.kind != "edi_invoice":
            return {}
        missing = self._edi_received_not_invoiced()
        if not missing:
            return False
        return {
            "details": "\n".join(
                _(
                    "%(product)s: %(received)s received, %(invoiced)s invoiced",
                    product=line.product_id.display_name,
                    received=line.qty_received,
                    invoiced=line.qty_invoiced,
                )
                for line in missing
            )
        }

    def _integration_message_domain(self):
        # The order's whole exchange (its answers too) shares its correlation.
        domain = super()._integration_message_domain()
        if self.edi_correlation_id:
            domain = expression.OR(
                [domain, [("correlation_id", "=", self.edi_correlation_id)]]
            )
        return domain

    @entry_point("read")
    def action_view_edi_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_edi.edi_document_action"
        )
        action["domain"] = [("purchase_id", "=", self.id)]
        action["context"] = {}
        return action

    # -- supplier documents applied to the order ------------------------------

    @api.model
    def _edi_find_for_document(self, trading_partner, number):
        """The order a supplier's document names, or a clear mapping error."""
        order = self._edi_find(trading_partner, number)
        if not order:
            raise errors.PermanentError(
                _(
                    "%(partner)s sent a document for purchase order %(number)s, "
                    "which does not exist for this supplier.",
                    partner=trading_partner.name,
                    number=number,
                ),
                category="mapping",
            )
        return order

    def _edi_lock_for_document(self):
        """Apply documents of one order one after the other.

        The runner may apply an order's ship notice and invoice at once; each
        would miss what the other does (the invoice its receipt). The kernel's
        lock takes the orders' rows: the later of two concurrent jobs fails
        transiently and is retried on the committed state.
        """
        self.env["integration.handler"]._lock_for_update(self)
        self.with_context(edi_applying_partner_document=True).write(
            {"edi_last_document_at": fields.Datetime.now()}
        )

    def _edi_line_for(self, line_data):
        """The line of this order a supplier's line names (our line number,
        else its product code or GTIN naming exactly one line)."""
        lines = self.order_line.filtered(lambda line: not line.display_type)
        line_id = line_data.get("line_id") or ""
        if line_id.isdigit():
            found = lines.filtered(lambda line: line.id == int(line_id))
            if found:
                return found
        # Without our line number: the supplier's product code, then the GTIN,
        # when it names exactly one line.
        matchers = (
            ("vendor_code", lambda line, code: code in line._edi_vendor_codes()),
            ("gtin", lambda line, gtin: line.product_id.barcode == gtin),
        )
        for key, matches in matchers:
            value = line_data.get(key)
            found = value and lines.filtered(
                lambda line, value=value, matches=matches: matches(line, value)
            )
            if found and len(found) == 1:
                return found
        return self.env["purchase.order.line"]

    def _edi_apply_order_response(self, message, trading_partner, document):
        """Apply the supplier's 855 / ORDRSP to this order; returns the order."""
        self.ensure_one()
        order = self.with_context(edi_applying_partner_document=True)
        if order._edi_answers_change(document):
            # EDIFACT has no change acknowledgement: an ORDRSP answers both.
            return order._edi_apply_change_response(message, trading_partner, document)
        if document.get("order_rejected"):
            order.edi_state = "refused"
            order.order_line.write({"edi_status": "rejected"})
            edi_raise(
                self.env,
                message,
                "business_rule",
                _(
                    "%(partner)s refused purchase order %(order)s",
                    partner=trading_partner.name,
                    order=order.name,
                ),
                _(
                    "The supplier refused the whole order (%s). Cancel the order or "
                    "agree a new one with the supplier.",
                    document.get("response_type"),
                ),
                assignee=order.user_id,
            )
            return order
        decisions = []
        changed = False
        answered = self.env["purchase.order.line"]
        for line_data in document.get("lines", []):
            line = order._edi_line_for(line_data)
            if not line:
                decisions.append(
                    _(
                        "Line %(line)s (%(code)s) of the response matches no line "
                        "of %(order)s.",
                        line=line_data.get("line_id"),
                        code=line_data.get("vendor_code") or line_data.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            answered |= line
            line_decisions, line_changed = order._edi_apply_response_line(
                trading_partner, line, line_data
            )
            decisions += line_decisions
            changed = changed or line_changed
        if not document.get("order_held"):
            # BAK02 AE / AK (and an ORDRSP without lines): what the supplier
            # does not detail, it accepts as ordered.
            for line in (
                order.order_line.filtered(
                    lambda line: not line.display_type and not line.edi_status
                )
                - answered
            ):
                line.write(
                    {
                        "edi_status": "accepted",
                        "edi_status_code": documents.LINE_ACCEPTED,
                        "edi_confirmed_qty": line.product_qty,
                        "edi_confirmed_price": line.price_unit,
                    }
                )
        if document.get("order_held"):
            order.edi_state = "on_hold"
            decisions.insert(
                0,
                _(
                    "The supplier holds the whole order (%s): nothing ships until "
                    "it releases it. Follow it up with the supplier.",
                    document.get("response_type"),
                ),
            )
        else:
            order.edi_state = "changed" if (changed or decisions) else "confirmed"
        if decisions:
            edi_raise(
                self.env,
                message,
                "business_rule",
                _(
                    "%(order)s: %(count)s answer(s) from %(partner)s need the buyer",
                    order=order.name,
                    count=len(decisions),
                    partner=trading_partner.name,
                ),
                "\n".join(decisions),
                assignee=order.user_id,
            )
        order._integration_log_event(
            body=_(
                "Order response from %(partner)s applied (%(message)s).",
                partner=trading_partner.name,
                message=message.name,
            )
        )
        return order

    def _edi_answers_change(self, document):
        """Whether an ORDRSP answers a revision or cancellation of the order."""
        if document.get("code") != "ORDRSP":
            return False
        if any(line.get("change_action") for line in document.get("lines", [])):
            return True
        return self.edi_revision > 0 and self.edi_state in (
            "queued",
            "sent",
            "acknowledged",
        )

    def _edi_apply_response_line(
        self, trading_partner, line, line_data, *, change=False
    ):
        """Apply the supplier's verdict on one line; return (decisions for the
        buyer, whether the line was changed as the supplier said).

        Quantities and prices are converted from the supplier's unit to the
        line's. ``change``: the verdict answers a revision of the line, so a
        refusal leaves the line as the buyer asked and the buyer decides.
        """
        code = line_data.get("status") or documents.LINE_ACCEPTED
        meaning = documents.line_meaning(code)
        words = documents.LINE_STATUS_WORDS.get(code, code)
        reason = line_data.get("reason") or ""
        reason_text = f" ({reason})" if reason else ""
        label = line.product_id.display_name
        unit = line_data.get("uom")

        def in_line_unit(key, default):
            value = as_float(line_data.get(key), None)
            if value is None:
                return default
            return trading_partner._edi_to_line_unit(line, unit, quantity=value)[0]

        confirmed = in_line_unit("confirmed_quantity", line.product_qty)
        backordered = in_line_unit("backordered_quantity", 0.0)
        price = as_float(line_data.get("price"), None)
        price = (
            line.price_unit
            if price is None
            else trading_partner._edi_to_line_unit(line, unit, price=price)[1]
        )
        values = {
            "edi_status_code": code,
            "edi_confirmed_qty": confirmed,
            "edi_confirmed_price": price,
            "edi_backordered_qty": backordered,
            "edi_backorder_date": line_data.get("backorder_date") or False,
            "edi_note": reason[:250] or False,
            "edi_status": "accepted",
        }
        decisions = []
        changed = False
        if meaning in (
            documents.MEANING_REJECTED,
            documents.MEANING_DELETED,
        ):
            values.update(edi_confirmed_qty=0.0, edi_backordered_qty=0.0)
            if change:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier refused the change (%(words)s)"
                        "%(reason)s. Put the line back as it was, or agree the "
                        "change with the supplier.",
                        product=label,
                        words=words,
                        reason=reason_text,
                    )
                )
            else:
                values["edi_status"] = "rejected"
                decisions.append(
                    _(
                        "%(product)s: %(words)s by the supplier%(reason)s. Cancel "
                        "the line or source it elsewhere.",
                        product=label,
                        words=words,
                        reason=reason_text,
                    )
                )
            line.write(values)
            return decisions, changed
        if meaning is None:
            values["edi_status"] = "waiting"
            decisions.append(
                _(
                    "%(product)s: the supplier answered with status %(code)r, "
                    "which no code list has%(reason)s. Ask the supplier what it "
                    "means.",
                    product=label,
                    code=code,
                    reason=reason_text,
                )
            )
            line.write(values)
            return decisions, changed
        if meaning == documents.MEANING_ON_HOLD:
            values["edi_status"] = "on_hold"
            decisions.append(
                _(
                    "%(product)s: %(words)s%(reason)s. Nothing ships until the "
                    "supplier releases it: follow it up with the supplier.",
                    product=label,
                    words=words,
                    reason=reason_text,
                )
            )
            line.write(values)
            return decisions, changed
        if line_data.get("date"):
            values["date_planned"] = fields.Datetime.to_datetime(line_data["date"])
        elif backordered and not confirmed and line_data.get("backorder_date"):
            values["date_planned"] = fields.Datetime.to_datetime(
                line_data["backorder_date"]
            )
        if meaning == documents.MEANING_CHANGED:
            values["edi_status"] = "changed"
            changed = True
        if meaning == documents.MEANING_PRICE_PENDING:
            values["edi_status"] = "price_pending"
            values["edi_note"] = values["edi_note"] or _("Price to follow")
        if backordered:
            values["edi_status"] = "backordered"
        if code == "IS":
            decisions.append(
                _(
                    "%(product)s: the supplier substitutes another item%(reason)s. "
                    "Check the substitute before receiving it.",
                    product=label,
                    reason=reason_text,
                )
            )
        quantity_tolerance = trading_partner.quantity_tolerance_percent / 100
        price_tolerance = trading_partner.price_tolerance_percent / 100
        # A backorder is still coming: the line is answered by what arrives
        # now and what follows.
        arriving = confirmed + backordered
        if abs(arriving - line.product_qty) > 1e-6:
            allowed = quantity_tolerance * line.product_qty
            if abs(arriving - line.product_qty) <= allowed + 1e-6:
                values["product_qty"] = arriving
                values["edi_status"] = "changed"
                changed = True
            else:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier confirms %(confirmed)s of "
                        "%(ordered)s%(reason)s. Reduce the line, keep waiting "
                        "or order the rest elsewhere.",
                        product=label,
                        confirmed=arriving,
                        ordered=line.product_qty,
                        reason=reason_text,
                    )
                )
        if (
            meaning != documents.MEANING_PRICE_PENDING
            and abs(price - line.price_unit) > 1e-6
        ):
            if (
                abs(price - line.price_unit)
                <= price_tolerance * abs(line.price_unit) + 1e-6
            ):
                values["price_unit"] = price
                if values["edi_status"] != "waiting":
                    values["edi_status"] = "changed"
                changed = True
            else:
                values["edi_status"] = "waiting"
                decisions.append(
                    _(
                        "%(product)s: the supplier prices it at %(price)s, the "
                        "order says %(ordered)s. Accept the price on the order "
                        "or dispute it.",
                        product=label,
                        price=price,
                        ordered=line.price_unit,
                    )
                )
        line.write(values)
        return decisions, changed

    def _edi_apply_change_response(self, message, trading_partner, document):
        """Apply the supplier's answer to the order's last revision or
        cancellation (865, or an ORDRSP answering a change)."""
        self.ensure_one()
        order = self.with_context(edi_applying_partner_document=True)
        cancelling = order.state == "cancel"
        lines = document.get("lines", [])
        decisions = []
        if cancelling:
            # Cancelled lines come back deleted or refused with nothing
            # confirmed; one still confirmed will ship.
            still_coming = [
                line_data
                for line_data in lines
                if documents.line_meaning(line_data.get("status"))
                not in (documents.MEANING_REJECTED, documents.MEANING_DELETED)
                and as_float(line_data.get("confirmed_quantity"), 1.0) > 0
            ]
            refused = (
                bool(still_coming)
                if lines
                else document.get("order_rejected") or document.get("order_held")
            )
            if refused:
                order.edi_state = "cancel_rejected"
                edi_raise(
                    self.env,
                    message,
                    "business_rule",
                    _(
                        "%(partner)s refused to cancel purchase order %(order)s",
                        partner=trading_partner.name,
                        order=order.name,
                    ),
                    _(
                        "The supplier still delivers what it confirmed: "
                        "%(lines)s. Receive the goods and set the order back to "
                        "a purchase, or agree a return with the supplier.",
                        lines="; ".join(
                            f"{line_data.get('vendor_code') or line_data.get('gtin')}"
                            f" {line_data.get('confirmed_quantity')}"
                            + (
                                f" ({line_data['reason']})"
                                if line_data.get("reason")
                                else ""
                            )
                            for line_data in still_coming
                        )
                        or document.get("response_type"),
                    ),
                    assignee=order.user_id,
                )
            else:
                order.edi_state = "cancel_confirmed"
            order._integration_log_event(
                body=_(
                    "Cancellation answered by %(partner)s (%(message)s).",
                    partner=trading_partner.name,
                    message=message.name,
                )
            )
            return order
        if document.get("order_rejected") and not lines:
            decisions.append(
                _(
                    "The supplier refused revision %(revision)s of the order "
                    "(%(type)s).",
                    revision=order.edi_revision,
                    type=document.get("response_type"),
                )
            )
        for line_data in lines:
            line = order._edi_line_for(line_data)
            meaning = documents.line_meaning(line_data.get("status"))
            if not line:
                if meaning in (
                    documents.MEANING_REJECTED,
                    documents.MEANING_DELETED,
                ) or line_data.get("change_action") in ("DI", "deleted"):
                    continue  # a line the revision deleted: deleted there too
                decisions.append(
                    _(
                        "Line %(line)s (%(code)s) of the answer matches no line "
                        "of %(order)s.",
                        line=line_data.get("line_id"),
                        code=line_data.get("vendor_code") or line_data.get("gtin"),
                        order=order.name,
                    )
                )
                continue
            line_decisions, _changed = order._edi_apply_response_line(
                trading_partner, line, line_data, change=True
            )
            decisions += line_decisions
        order.edi_state = "change_rejected" if decisions else "change_accepted"
        if decisions:
            edi_raise(
                self.env,
                message,
                "business_rule",
                _(
                    "%(partner)s did not accept revision %(revision)s of %(order)s "
                    "as sent",
                    partner=trading_partner.name,
                    revision=order.edi_revision,
                    order=order.name,
                ),
                "\n".join(decisions),
                assignee=order.user_id,
            )
        order._integration_log_event(
            body=_(
                "Change acknowledgement from %(partner)s applied (%(message)s).",
                partner=trading_partner.name,
                message=message.name,
            )
        )
        return order


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    edi_status = fields.Selection(
        LINE_STATUSES, string="Supplier says", copy=False, readonly=True
    )
    edi_confirmed_qty = fields.Float(
        string="Confirmed quantity",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
    )
    edi_confirmed_price = fields.Float(
        string="Confirmed price", digits="Product Price", copy=False, readonly=True
    )
    edi_note = fields.Char(string="Supplier note", copy=False, readonly=True)
    edi_status_code = fields.Char(
        string="Supplier's status code",
        copy=False,
        readonly=True,
        help="The line status as the supplier sent it (X12 ACK01; EDIFACT in the "
        "same words).",
    )
    edi_backordered_qty = fields.Float(
        string="Backordered quantity",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="What the supplier will deliver later, in the line's unit.",
    )
    edi_backorder_date = fields.Date(
        string="Backorder expected on", copy=False, readonly=True
    )

    def _edi_supplier_changed(self):
        """The supplier's answer to this line is not a plain "accepted"."""
        self.ensure_one()
        if not self.edi_status or self.display_type:
            return False
        if self.edi_status not in ("accepted", "delivered") or self.edi_note:
            return True
        rounding = self.product_uom.rounding or 0.01
        return bool(
            (
                self.edi_confirmed_qty
                and float_compare(
                    self.edi_confirmed_qty,
                    self.product_qty,
                    precision_rounding=rounding,
                )
            )
            or (
                self.edi_confirmed_price
                and self.currency_id.compare_amounts(
                    self.edi_confirmed_price, self.price_unit
                )
            )
        )

    def _edi_product_identifiers(self, trading_partner):
        """(supplier product code, GTIN) as the partner identifies products."""
        self.ensure_one()
        product = self.product_id
        vendor_code = gtin = ""
        if trading_partner.product_identification in ("both", "vendor_code"):
            seller = product._select_seller(
                partner_id=self.order_id.partner_id,
                quantity=self.product_qty,
                date=self.order_id.date_order and self.order_id.date_order.date(),
                uom_id=self.product_uom,
            )
            vendor_code = (seller.product_code if seller else "") or (
                product.default_code or ""
            )
        if trading_partner.product_identification in ("both", "gtin"):
            gtin = product.barcode or ""
        if not (vendor_code or gtin):
            raise UserError(
                _(
                    "Product %(product)s has neither a supplier product code nor a "
                    "barcode to identify it to %(partner)s.",
                    product=product.display_name,
                    partner=trading_partner.name,
                )
            )
        return vendor_code, gtin

    def _edi_vendor_codes(self):
        """Codes the supplier may use for this line's product."""
        self.ensure_one()
        sellers = self.product_id.seller_ids.filtered(
            lambda seller: seller.partner_id == self.order_id.partner_id
        )
        return {self.product_id.default_code, *sellers.mapped("product_code")} - {False}

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._edi_schedule_send(only_if_sent=True)
        return lines

    def write(self, vals):
        result = super().write(vals)
        if REVISION_LINE_FIELDS & vals.keys():
            self.order_id._edi_schedule_send(only_if_sent=True)
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._edi_schedule_send(only_if_sent=True)
        return result


def _decimal(value):
    # Floats carry binary noise; the documents carry what the user typed.
    return Decimal(format(Decimal(repr(round(value, 6))).normalize(), "f"))
