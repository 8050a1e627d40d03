"""A 3PL warehouse account: everything shared comes from the kernel's
``integration.channel.account``; the channel declares what differs."""

import re

from odoo import _, api, fields, models
from odoo.addons.distribution_edi.edi import reader, warehouse
from odoo.addons.distribution_edi.edi.documents import DocumentError
from odoo.addons.distribution_edi.edi.errors import EdiError
from odoo.addons.distribution_edi.edi.writer import write_x12
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.exceptions import ValidationError

from ..tpl.client import X12_CONTENT_TYPE, FolderX12Client, HttpX12Client

COLLECT_FLOW = "distribution_3pl.flow_tpl_collect"
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
        self.ensure_one()
        code = self.env["integration.cross.reference"]._to_external(
            self.endpoint_id, "product", product
        )
        return code or product.default_code or ""

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
        """Scheduled: release the ready deliveries of every account, one wave each."""
        for account in self.sudo().search([("release_orders", "=", True)]):
            account._release_wave()

    def _release_wave(self):
        self.ensure_one()
        pickings = (
            self.env["stock.picking"]
            .sudo()
            .search(
                [
                    ("picking_type_id.warehouse_id", "=", self.warehouse_id.id),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "=", "assigned"),
                    ("tpl_release_state", "=", "none"),
                    ("company_id", "=", self.company_id.id),
                ],
                limit=self.wave_size or None,
                order="scheduled_date, id",
            )
        )
        return pickings._tpl_release()
