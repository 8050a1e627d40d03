"""A 3PL warehouse account: everything shared comes from the kernel's
``integration.channel.account``; the channel declares what differs."""

import logging
import re

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import reader, warehouse
from odoo.addons.distribution_edi.edi.documents import DocumentError
from odoo.addons.distribution_edi.edi.errors import EdiError
from odoo.addons.distribution_edi.edi.writer import write_x12
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError, ValidationError

from ..tpl.client import X12_CONTENT_TYPE, FolderX12Client, HttpX12Client
from ..tpl.guard import document_problem

_logger = logging.getLogger(__name__)
COLLECT_FLOW = "distribution_3pl.flow_tpl_collect"
UNIT_CODE_LIST = "X12"
# Outbound documents in X12: kind → (set, writer of the codec).
X12_WRITERS = {
    warehouse.SHIPPING_ORDER: ("940", warehouse.shipping_order_set),
    warehouse.STOCK_TRANSFER: ("943", warehouse.stock_transfer_set),
}


def rejected_sets(answer):
    """What a 997 answered over HTTP rejects (``AK5``/``AK9`` ``R``), read with
    the codec; an answer that is no X12 rejects nothing."""
    if not answer or not answer.lstrip().startswith(b"ISA"):
        return []
    try:
        interchanges = reader.read(answer)
    except EdiError:
        return []
    refused = []
    for interchange in interchanges:
        for transaction_set in interchange.transaction_sets:
            if transaction_set.code != "997":
                continue
            for segment in transaction_set.body:
                tag = segment.values[0]
                if tag in ("AK5", "AK9") and segment.get(1) == "R":
                    refused.append("*".join(str(v) for v in segment.values if v))
    return refused


OUTBOX_FLOW = "distribution_3pl.flow_tpl_outbox_poll"
DEFAULT_RELEASE_HOLD_PARAM = "distribution_3pl.default_release_hold"
RELEASE_HOLDS = [
    ("none", "Release when ready"),
    ("paid", "Hold until the order is paid"),
    ("credit", "Hold while the customer is over the credit limit"),
]


class TplWarehouseAccount(models.Model):
    _name = "tpl.warehouse.account"
    _description = "3PL Warehouse Account"
    _inherit = ["integration.channel.account"]
    _order = "sequence, name"

    # The endpoint's protocol is the one switch: HTTP posts, a folder exchange.
    _channel_endpoint_kind = "warehouse_3pl"
    _channel_clients = {
        "edi_http": "_client_x12_http",
        "rest": "_client_x12_http",
        "folder": "_client_x12_folder",
        "sftp": "_client_x12_folder",  # the kernel's SFTP transport, same folders
    }
    _channel_capabilities = ("release", "ship_confirmation")

    name = fields.Char(required=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        ondelete="restrict",
        check_company=True,
        help="The Odoo warehouse this 3PL operates: its deliveries are released "
        "to the 3PL and its confirmations validate them.",
    )
    profile = fields.Selection(
        [("x12", "X12 004010 (940/945/997)"), ("json", "JSON API")],
        required=True,
        default="x12",
        help="The documents exchanged: X12 warehouse sets, or the warehouse's "
        "REST API with its events (webhooks through the inbound gateway, or "
        "pulled on a schedule).",
    )
    interchange_profile_id = fields.Many2one(
        "edi.interchange.profile",
        string="Interchange profile",
        ondelete="restrict",
        check_company=True,
        help="Envelope of the X12 interchanges: identities, versions, control numbers.",
    )
    release_orders = fields.Boolean(
        default=True, help="Send ready deliveries as shipping orders (940)."
    )
    confirm_shipments = fields.Boolean(
        default=True,
        help="Validate deliveries with the warehouse's shipping advice (945).",
    )
    confirmation_hours = fields.Float(
        string="945 expected within (h)",
        default=24.0,
        help="Hours the warehouse has, after a release, to confirm the shipment; "
        "later, the kernel raises an exception.",
    )
    backorder_policy = fields.Selection(
        [
            ("backorder", "Create a backorder for what was not shipped"),
            ("cancel", "Cancel what was not shipped"),
        ],
        required=True,
        default="backorder",
    )
    pull_outbox = fields.Boolean(
        string="Collect over HTTP",
        help="HTTP warehouses: read the documents waiting in the warehouse's "
        "outbox on a schedule (flow tpl-outbox-poll) instead of, or besides, "
        "having them pushed to the inbound gateway.",
    )
    wave_size = fields.Integer(
        string="Release wave size",
        default=50,
        help="Deliveries released per run of the scheduled release.",
    )
    reviewer_id = fields.Many2one(
        "res.users",
        string="Reviewer",
        help="Who is assigned the exceptions of this warehouse (substitutions, "
        "over-shipments, unknown orders).",
    )
    release_hold = fields.Selection(
        RELEASE_HOLDS,
        string="Release hold",
        required=True,
        default=lambda self: self._default_release_hold(),
        help="Deliveries held by this policy show why; the scheduled release "
        "sends them, in waves, once the reason is gone.",
    )
    release_waiting_count = fields.Integer(
        string="Awaiting confirmation", compute="_compute_overview_counts"
    )
    release_late_count = fields.Integer(
        string="Confirmation late", compute="_compute_overview_counts"
    )
    release_held_count = fields.Integer(
        string="Held", compute="_compute_overview_counts"
    )

    _sql_constraints = [
        (
            "warehouse_unique",
            "unique(warehouse_id, endpoint_id)",
            "A warehouse has one account per endpoint.",
        )
    ]

    @api.constrains("profile", "interchange_profile_id")
    def _check_profile(self):
        for account in self:
            if account.profile == "x12" and not account.interchange_profile_id:
                raise ValidationError(
                    _(
                        "%s: X12 needs an interchange profile (identities and "
                        "control numbers).",
                        account.display_name,
                    )
                )

    # -- clients (protocol → client) -------------------------------------------

    def _client_x12_http(self, **options):
        endpoint = self.endpoint_id.sudo()
        credential = self._credential()
        headers, auth = credential._http_auth() if credential else ({}, None)
        return HttpX12Client(
            endpoint._transport(),
            headers=headers,
            auth=auth,
            check=errors.error_for_response,
        )

    def _client_x12_folder(self, **options):
        return FolderX12Client(self.endpoint_id.sudo()._transport())

    def _channel_batch_flows(self):
        flows = super()._channel_batch_flows()
        if self.endpoint_id.protocol in ("folder", "sftp"):
            flows |= self.env.ref(COLLECT_FLOW)
        elif self.pull_outbox:
            flows |= self.env.ref(OUTBOX_FLOW)
        return flows

    # -- documents: one seam per direction, whatever the profile -------------------

    def _tpl_send(self, kind, document, message):
        """Send one document of ``kind`` (the codec's warehouse kinds, e.g.
        ``shipping_order``) in this account's profile.

        Returns ``(reference, response payload, its content type)``; raises the
        kernel's errors (a refusal by the warehouse is permanent)."""
        self.ensure_one()
        sender = getattr(self, f"_tpl_send_{self.profile}", None)
        if sender is None:
            raise errors.PermanentError(
                _("%(account)s: profile %(profile)s cannot send documents.",
                  account=self.display_name, profile=self.profile),
                category="configuration",
            )  # fmt: skip
        return sender(kind, document, message)

    def _tpl_send_x12(self, kind, document, message):
        code, writer = X12_WRITERS[kind]
        profile = self.interchange_profile_id.sudo()
        number = document.get("number") or str(message.id)
        try:
            envelope = profile._envelope(test=profile._test_indicator(self.endpoint_id))
            data = write_x12(
                envelope,
                [writer(document, profile._next_set_control_number())],
                newline=profile.write_newlines,
            )
        except (DocumentError, EdiError) as exc:
            raise errors.PermanentError(
                _("%(set)s %(number)s cannot be written: %(error)s",
                  set=code, number=number, error=exc),
                category="validation",
            ) from exc  # fmt: skip
        name = re.sub(r"[^A-Za-z0-9_-]", "_", number)
        client = self._client()
        try:
            reference, answer = client.deliver(f"{code}_{name}_{message.id}.x12", data)
        finally:
            client.close()
        refused = rejected_sets(answer)
        if refused:
            raise errors.PermanentError(
                _("The warehouse's 997 rejects %(set)s %(number)s: %(why)s",
                  set=code, number=number, why="; ".join(refused)),
                category="validation",
            )  # fmt: skip
        return str(reference), answer or data, X12_CONTENT_TYPE

    def _tpl_appliers(self):
        """Inbound document kind → the business method applying it, called as
        ``method(account, document, message, handler)`` and returning the
        records it touched. Each feature of the channel adds its kinds."""
        pickings = self.env["stock.picking"]
        return {warehouse.SHIPPING_ADVICE: pickings._tpl_apply_shipping_advice}

    def _tpl_accepts(self, kind):
        """Whether this account takes documents of ``kind`` (its flow switches)."""
        self.ensure_one()
        if kind == warehouse.SHIPPING_ADVICE:
            return self.confirm_shipments
        return True

    def _tpl_handles(self, kind):
        return kind in self._tpl_appliers() and self._tpl_accepts(kind)

    def _tpl_apply(self, kind, document, message, handler):
        """Apply one inbound document, whatever its profile; the records it
        touched (empty when it went to the exception queue)."""
        self.ensure_one()
        if not self._tpl_handles(kind):
            handler._raise_exception(
                message,
                "mapping",
                _("A %(kind)s from the 3PL is not handled by warehouse account "
                  "%(account)s.", kind=kind, account=self.display_name),
                assignee=self.reviewer_id,
            )  # fmt: skip
            return None
        problem = document_problem(document)
        if problem:
            handler._raise_exception(
                message,
                "validation",
                _("A %(kind)s from the 3PL cannot be applied: %(problem)s.",
                  kind=kind, problem=problem),
                assignee=self.reviewer_id,
            )  # fmt: skip
            return None
        return self._tpl_appliers()[kind](self, document, message, handler)

    # -- lookups -----------------------------------------------------------------

    @api.model
    def _for_picking(self, picking):
        """The active account releasing ``picking``'s warehouse, if any."""
        warehouse = picking.picking_type_id.warehouse_id
        if not warehouse:
            return self.browse()
        return self.sudo().search(
            [("warehouse_id", "=", warehouse.id), ("release_orders", "=", True)],
            limit=1,
        )

    def _item_code(self, product):
        """The warehouse's code of ``product``: its cross-reference, else the
        internal reference."""
        return self._item_codes(product)[product]

    def _item_codes(self, products):
        """``{product: warehouse code}`` for ``products``, with one
        cross-reference query for all of them (a release reads the codes of
        every line of every delivery at once)."""
        self.ensure_one()
        mapped = self.env["integration.cross.reference"]._to_external_many(
            self.endpoint_id, "product", products
        )
        return {
            product: mapped.get(product.id) or product.default_code or ""
            for product in products
        }

    # A warehouse counts in the product's stock unit: the channel converts
    # Odoo's line units to it on the way out and back on the way in. Unit
    # codes are X12 355 codes in both profiles (the endpoint's own mapping
    # first, then the standard list).

    def _tpl_unit_codes(self, uoms):
        """``{unit: code}`` of the warehouse for ``uoms``, read at once; a
        UserError naming the first unit nothing maps (sending "EA" for it would
        ship the wrong quantity)."""
        self.ensure_one()
        codes = self.env["integration.cross.reference"]._to_external_many(
            self.endpoint_id, "uom", uoms, code_list=UNIT_CODE_LIST
        )
        for uom in uoms:
            if not codes.get(uom.id):
                raise UserError(
                    _(
                        "Unit '%(uom)s' has no %(list)s unit code for 3PL "
                        "%(account)s: add a cross-reference of domain Unit of "
                        "measure (code list %(list)s, for the endpoint or for "
                        "all), then send again.",
                        uom=uom.name,
                        list=UNIT_CODE_LIST,
                        account=self.display_name,
                    )
                )
        return {uom: codes[uom.id] for uom in uoms}

    def _tpl_to_stock_unit(self, move, quantity, unit_codes):
        """``(quantity, unit code)`` of ``quantity`` of ``move`` (in its unit)
        as the warehouse counts it: in the product's stock unit; ``unit_codes``:
        ``_tpl_unit_codes`` of the document's stock units."""
        stock_uom = move.product_id.uom_id
        converted = move.product_uom._compute_quantity(quantity, stock_uom)
        return converted, unit_codes[stock_uom]

    def _tpl_from_warehouse(self, move, code, quantity):
        """``quantity`` the warehouse gives for ``move`` in its unit ``code``
        (none: the product's stock unit), in the move's unit; ``None`` when
        the code maps no unit of the move's category."""
        self.ensure_one()
        uom = move.product_id.uom_id
        if code and code.strip():
            uom = self._tpl_uom_of(code)
        if not uom or uom.category_id != move.product_uom.category_id:
            return None
        return uom._compute_quantity(quantity, move.product_uom)

    def _tpl_uom_of(self, code):
        """The unit the warehouse means by its unit ``code`` (the endpoint's
        cross-references first, then the standard list); empty when none."""
        self.ensure_one()
        return self.env["integration.cross.reference"]._to_internal(
            self.endpoint_id, "uom", code, code_list=UNIT_CODE_LIST
        )

    def _tpl_unit_refusal(self, label, unit, move):
        """The problem of an advice line in a unit ``_tpl_from_warehouse``
        cannot convert to ``move``'s."""
        return _(
            "Line %(line)s: unit %(unit)r is no unit Odoo can convert to %(uom)s "
            "(no cross-reference, or another kind of unit).",
            line=label,
            unit=unit,
            uom=move.product_uom.name,
        )

    def _product_of(self, item, gtin=""):
        """The product the warehouse means by ``item`` (cross-reference first,
        then internal reference, then barcode); empty when unknown."""
        self.ensure_one()
        product = self.env["integration.cross.reference"]._to_internal(
            self.endpoint_id, "product", item
        )
        if product:
            return product
        products = self.env["product.product"].sudo()
        if item:
            product = products.search([("default_code", "=", item)], limit=1)
        if not product and gtin:
            product = products.search([("barcode", "=", gtin)], limit=1)
        return product

    # -- actions -----------------------------------------------------------------

    def _cron_release_waves(self):
        """Scheduled: release the ready deliveries of every account, one wave each.

        One account's problem (its endpoint archived, a delivery it cannot
        write) never keeps the other accounts' waves from going."""
        accounts = self.sudo().search(
            [("release_orders", "=", True), ("endpoint_id.active", "=", True)]
        )
        for account in accounts:
            try:
                with self.env.cr.savepoint():
                    account._release_wave()
            except (UserError, ValidationError) as exc:
                _logger.warning(
                    "3PL release wave of %s not sent: %s",
                    account.display_name,
                    exc.args[0] if exc.args else exc,
                )

    def _release_wave(self):
        """Release up to a wave of ready deliveries, oldest first; held ones are
        looked at again and go when their hold is gone (those still held do
        not take the wave's places)."""
        self.ensure_one()
        pickings = self.env["stock.picking"].sudo()
        domain = [
            ("picking_type_id.warehouse_id", "=", self.warehouse_id.id),
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "assigned"),
            ("tpl_release_state", "in", ("none", "held")),
            ("company_id", "=", self.company_id.id),
        ]
        size = self.wave_size or 0
        messages = self.env["integration.message"].sudo()
        offset = 0
        while not size or len(messages) < size:
            batch = pickings.search(
                domain, offset=offset, limit=size or None, order="scheduled_date, id"
            )
            if not batch:
                break
            # The page in one release (its lines' item codes in one query):
            # the first ones their hold lets go, up to the places left.
            messages |= batch._tpl_release(limit=size - len(messages) if size else 0)
            # Those still held stay in the domain: page past them.
            offset += len(batch.filtered(lambda p: p.tpl_release_state == "held"))
            if not size:
                break
        return messages

    @api.model
    def _default_release_hold(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(DEFAULT_RELEASE_HOLD_PARAM, "none")
        )
        return value if value in dict(RELEASE_HOLDS) else "none"

    def _tpl_hold_reason(self, picking):
        """Why the release of ``picking`` waits under this account's policy;
        empty when it may go."""
        self.ensure_one()
        checker = getattr(self, f"_tpl_hold_{self.release_hold}", None)
        return checker(picking.sudo()) if checker else ""

    def _tpl_hold_paid(self, picking):
        sale = picking.sale_id
        if not sale:
            return ""  # no order to be paid for: nothing to wait for
        invoices = sale.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )
        if not invoices or sale.invoice_status == "to invoice":
            return _("Waiting for %s to be invoiced and paid.", sale.name)
        unpaid = invoices.filtered(
            lambda m: m.payment_state not in ("paid", "in_payment")
        )
        if unpaid:
            return _("Waiting for payment of %s.", ", ".join(unpaid.mapped("name")))
        return ""

    def _tpl_hold_credit(self, picking):
        partner = picking.partner_id.commercial_partner_id
        company = picking.company_id
        if not partner or not company.account_use_credit_limit:
            return ""
        limit = partner.with_company(company).credit_limit
        if not limit:
            return ""
        sale = picking.sale_id
        # What the customer owes, plus what this order adds once invoiced.
        exposure = partner.with_company(company).credit + (
            sale.amount_to_invoice if sale else 0.0
        )
        if company.currency_id.compare_amounts(exposure, limit) > 0:
            return _(
                "Credit check: %(customer)s would owe %(amount)s, above the "
                "credit limit of %(limit)s.",
                customer=partner.name,
                amount=company.currency_id.format(exposure),
                limit=company.currency_id.format(limit),
            )
        return ""

    # -- overview ----------------------------------------------------------------

    def _releases_domain(self):
        self.ensure_one()
        return [
            ("picking_type_id.warehouse_id", "=", self.warehouse_id.id),
            ("picking_type_code", "=", "outgoing"),
            ("company_id", "=", self.company_id.id),
        ]

    def _releases_waiting_domain(self):
        """Released to the 3PL, its shipping advice not in yet."""
        return self._releases_domain() + [("tpl_release_state", "=", "released")]

    def _releases_held_domain(self):
        return self._releases_domain() + [
            ("tpl_release_state", "=", "held"),
            ("state", "not in", ("done", "cancel")),
        ]

    def _releases_late_domain(self):
        """Released, and the 945 expected for it is overdue."""
        late = (
            self.env["integration.expectation"]
            .sudo()
            .search(
                [
                    ("kind", "=", "tpl_945"),
                    ("res_model", "=", "stock.picking"),
                    ("endpoint_id", "=", self.endpoint_id.id),
                    "|",
                    ("state", "=", "late"),
                    "&",
                    ("state", "=", "open"),
                    ("due_at", "<", fields.Datetime.now()),
                ]
            )
        )
        return self._releases_waiting_domain() + [("id", "in", late.mapped("res_id"))]

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_overview_counts(self):
        pickings = self.env["stock.picking"]
        readable = pickings.has_access("read")
        for account in self:
            if not readable or not account.id:
                account.release_waiting_count = 0
                account.release_late_count = 0
                account.release_held_count = 0
                continue
            # As the user: the counts show what the user may open.
            account.release_waiting_count = pickings.search_count(
                account._releases_waiting_domain()
            )
            account.release_late_count = pickings.search_count(
                account._releases_late_domain()
            )
            account.release_held_count = pickings.search_count(
                account._releases_held_domain()
            )

    def _releases_action(self, domain, name):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_3pl.action_tpl_deliveries"
        )
        action.update(
            name=name,
            domain=domain,
            context={"create": False},
        )
        return action

    @entry_point("read")
    def action_open_releases_waiting(self):
        """The deliveries released by this account awaiting the 945."""
        return self._releases_action(
            self._releases_waiting_domain(),
            _("%s: awaiting confirmation", self.display_name),
        )

    @entry_point("read")
    def action_open_releases_late(self):
        """The released deliveries whose 945 is overdue."""
        return self._releases_action(
            self._releases_late_domain(),
            _("%s: confirmation late", self.display_name),
        )

    @entry_point("read")
    def action_open_releases_held(self):
        """The ready deliveries this account's hold policy keeps back."""
        return self._releases_action(
            self._releases_held_domain(), _("%s: held", self.display_name)
        )
