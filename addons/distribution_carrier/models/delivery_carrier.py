"""Delivery methods served by a carrier account (Odoo's provider pattern).

Odoo calls ``<delivery_type>_rate_shipment``, ``_send_shipping``,
``_get_tracking_link``, ``_cancel_shipment`` and ``_get_return_label``. Both
types here (``karrio`` and ``ltl_soap``) share one implementation: the account's
adapter does the carrier-specific part.

Rates are asked synchronously (a person waits for a price) with the account's
short timeout; everything with a business effect — booking, cancelling, return
labels — becomes a kernel message handled by a job.
"""

import json
import logging
import time

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError

from ..carrier import CarrierError, Parcel, ParcelLimits, ShipmentRequest

_logger = logging.getLogger(__name__)

CARRIER_TYPES = ("karrio", "ltl_soap")


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("karrio", "Karrio"), ("ltl_soap", "LTL freight (SOAP)")],
        ondelete={"karrio": "set default", "ltl_soap": "set default"},
    )
    carrier_account_id = fields.Many2one(
        "carrier.account",
        string="Carrier account",
        ondelete="restrict",
        help="Account (endpoint, its protocol and credential) this method rates and "
        "ships with.",
    )
    # A kernel cross-reference (domain carrier_service) on the account's
    # endpoint, shown here as a plain field.
    carrier_service_code = fields.Char(
        string="Carrier service",
        compute="_compute_carrier_service_code",
        inverse="_inverse_carrier_service_code",
        copy=True,
        help="The carrier's code for this delivery method's service level, e.g. "
        "'standard_service' (Karrio generic), 'ups_ground', 'STD' (LTL). Kept as a "
        "cross-reference of the account's endpoint (Integration > Configuration > "
        "Cross-references), with its history.",
    )

    carrier_max_weight_kg = fields.Float(
        string="Max parcel weight (kg)",
        help="Heaviest parcel this service takes. 0: the carrier's usual maximum "
        "(70 kg for parcel carriers through Karrio, 2,268 kg per LTL pallet).",
    )
    carrier_max_length_cm = fields.Float(
        string="Max parcel length (cm)",
        help="Longest side a parcel may have. 0: the carrier's usual maximum "
        "(274 cm through Karrio, 610 cm for LTL).",
    )
    carrier_max_length_girth_cm = fields.Float(
        string="Max length + girth (cm)",
        help="Longest side plus twice width and height. 0: the carrier's usual "
        "maximum (419 cm through Karrio, none for LTL).",
    )
    carrier_max_shipment_weight_kg = fields.Float(
        string="Max shipment weight (kg)",
        help="Heaviest shipment (all parcels). 0: the carrier's usual maximum "
        "(20,000 kg for LTL, none through Karrio).",
    )

    @api.depends("delivery_type")
    def _compute_can_generate_return(self):
        super()._compute_can_generate_return()
        for carrier in self:
            if carrier.delivery_type in CARRIER_TYPES:
                # LTL: the carrier books returns (ReturnShipment). Karrio decides
                # per carrier; an unsupported return lands in the exception queue
                # with the carrier's words.
                carrier.can_generate_return = True

    @api.depends("carrier_account_id.endpoint_id")
    def _compute_carrier_service_code(self):
        references = self.env["integration.cross.reference"]
        for carrier in self:
            endpoint = carrier.carrier_account_id.endpoint_id
            record = carrier._origin
            carrier.carrier_service_code = (
                references._to_external(endpoint, "carrier_service", record)
                if endpoint and record
                else False
            )

    def _inverse_carrier_service_code(self):
        # Whoever may write the delivery method may set its service code.
        references = self.env["integration.cross.reference"].sudo()
        for carrier in self:
            endpoint = carrier.carrier_account_id.endpoint_id
            if not endpoint:
                if carrier.carrier_service_code:
                    raise UserError(
                        _(
                            "%s: choose the carrier account before its service.",
                            carrier.name,
                        )
                    )
                continue
            references._set_external(
                endpoint, "carrier_service", carrier, carrier.carrier_service_code
            )

    def write(self, vals):
        if "carrier_account_id" not in vals or "carrier_service_code" in vals:
            return super().write(vals)
        # Another account may mean another endpoint: the service code follows.
        codes = {carrier: carrier.carrier_service_code for carrier in self}
        endpoints = {
            carrier: carrier.carrier_account_id.endpoint_id for carrier in self
        }
        result = super().write(vals)
        for carrier, code in codes.items():
            if code and carrier.carrier_account_id.endpoint_id != endpoints[carrier]:
                carrier.carrier_service_code = code
        return result

    def _carrier_account(self):
        self.ensure_one()
        if not self.carrier_account_id:
            raise UserError(
                _(
                    "Delivery method %s has no carrier account: set one on its form.",
                    self.name,
                )
            )
        return self.carrier_account_id

    def _carrier_limits(self):
        """The service's parcel limits: this method's own, else the adapter's."""
        self.ensure_one()
        from ..carrier.karrio import KarrioAdapter
        from ..carrier.ltl import LtlSoapAdapter

        account = self.carrier_account_id
        soap = (
            account.endpoint_id.protocol == "soap"
            if account
            else self.delivery_type == "ltl_soap"
        )
        defaults = (LtlSoapAdapter if soap else KarrioAdapter).default_limits
        return ParcelLimits(
            max_weight_kg=self.carrier_max_weight_kg or defaults.max_weight_kg,
            max_length_cm=self.carrier_max_length_cm or defaults.max_length_cm,
            max_length_girth_cm=self.carrier_max_length_girth_cm
            or defaults.max_length_girth_cm,
            max_shipment_weight_kg=self.carrier_max_shipment_weight_kg
            or defaults.max_shipment_weight_kg,
        )

    # -- building requests ---------------------------------------------------------

    @api.model
    def _carrier_address(self, partner):
        partner = partner.sudo()
        company = partner.commercial_partner_id if partner.parent_id else partner
        return {
            "name": partner.name or company.name or "",
            "company": company.name if company.is_company else "",
            "street": partner.street or "",
            "street2": partner.street2 or "",
            "city": partner.city or "",
            "postal_code": partner.zip or "",
            "country_code": partner.country_id.code or "",
            "state_code": partner.state_id.code or "",
            "phone": partner.phone or partner.mobile or "",
            "email": partner.email or "",
            "residential": not company.is_company,
        }

    def _carrier_shipper(self, warehouse, company):
        return self._carrier_address(warehouse.partner_id or company.partner_id)

    def _carrier_parcel(self, weight_kg, package_type=None, reference="", **extra):
        account = self._carrier_account()
        length = width = height = 0.0
        if package_type and package_type.packaging_length:
            # Odoo stores package dimensions in the length unit of Settings.
            uom = self.env[
                "product.template"
            ]._get_length_uom_id_from_ir_config_parameter()
            cm = self.env.ref("uom.product_uom_cm")
            length, width, height = (
                uom._compute_quantity(value, cm)
                for value in (
                    package_type.packaging_length,
                    package_type.width,
                    package_type.height,
                )
            )
        return Parcel(
            weight_kg=round(weight_kg or account.default_weight_kg, 3),
            length_cm=round(length or account.default_length_cm, 1),
            width_cm=round(width or account.default_width_cm, 1),
            height_cm=round(height or account.default_height_cm, 1),
            reference=reference,
            freight_class=account.default_freight_class or ""
            if self.delivery_type == "ltl_soap"
            else "",
            packaging_type=(package_type.shipper_package_code or "")
            if package_type and package_type.package_carrier_type == self.delivery_type
            else "",
            **extra,
        )

    def _carrier_order_request(self, order):
        self.ensure_one()
        account = self._carrier_account()
        weight = self.env.context.get("order_weight") or order._get_estimated_weight()
        weight_kg = self._carrier_weight_kg(weight)
        return ShipmentRequest(
            shipper=self._carrier_address_obj(
                self._carrier_shipper(order.warehouse_id, order.company_id)
            ),
            recipient=self._carrier_address_obj(
                self._carrier_address(order.partner_shipping_id)
            ),
            parcels=[self._carrier_parcel(weight_kg)],
            service_code=self.carrier_service_code or "",
            label_format=account.label_format,
            reference=order.name,
        )

    @api.model
    def _carrier_address_obj(self, values):
        from ..carrier import Address

        return Address(**values)

    @api.model
    def _carrier_weight_kg(self, weight):
        uom = self.env["product.template"]._get_weight_uom_id_from_ir_config_parameter()
        return uom._compute_quantity(weight, self.env.ref("uom.product_uom_kgm"))

    # -- rates -------------------------------------------------------------------------

    def _carrier_rate_shipment(self, order):
        """Ask the carrier for this method's price; never raise (a person waits)."""
        self.ensure_one()
        started = time.monotonic()
        failure = {"success": False, "price": 0.0, "warning_message": False}
        try:
            account = self._carrier_account()
            request = self._carrier_order_request(order)
            with account._adapter(timeout=account.rate_timeout) as adapter:
                quotes = adapter.rate(request)
        except CarrierError as exc:
            _logger.info("Rate of %s for %s failed: %s", self.name, order.name, exc)
            transient = exc.transient or exc.category in ("timeout", "transport")
            return dict(
                failure,
                error_message=_(
                    "%(carrier)s cannot give a price right now (%(reason)s). Try "
                    "again in a moment, or choose another delivery method.",
                    carrier=self.name,
                    reason=exc.message,
                )
                if transient
                else _(
                    "%(carrier)s: %(reason)s", carrier=self.name, reason=exc.message
                ),
            )
        except (UserError, ValueError) as exc:
            return dict(failure, error_message=str(exc.args[0] if exc.args else exc))
        duration = int((time.monotonic() - started) * 1000)
        _logger.info(
            "Rated %s for %s: %s quote(s) in %s ms",
            self.name,
            order.name,
            len(quotes),
            duration,
        )
        if self.carrier_service_code:
            quotes = [q for q in quotes if q.service_code == self.carrier_service_code]
        if not quotes:
            return dict(
                failure,
                error_message=_(
                    "%(carrier)s offers no service %(service)s for this shipment: "
                    "check the carrier service of this delivery method, or choose "
                    "another one.",
                    carrier=self.name,
                    service=self.carrier_service_code or "",
                ),
            )
        quote = min(quotes, key=lambda q: q.amount)
        company_currency = order.company_id.currency_id
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", quote.currency)], limit=1)
            if quote.currency
            else company_currency
        )
        if not currency:
            return dict(
                failure,
                error_message=_(
                    "%(carrier)s priced in %(currency)s, a currency unknown here.",
                    carrier=self.name,
                    currency=quote.currency,
                ),
            )
        price = currency._convert(
            quote.amount, company_currency, order.company_id, fields.Date.today()
        )
        return {
            "success": True,
            "price": price,
            "error_message": False,
            "warning_message": False,
        }

    @entry_point("read", records={"order": ("sale.order", "read")})
    def karrio_rate_shipment(self, order):
        return self._carrier_rate_shipment(order)

    @entry_point("read", records={"order": ("sale.order", "read")})
    def ltl_soap_rate_shipment(self, order):
        return self._carrier_rate_shipment(order)

    # -- shipping, tracking, cancel, returns ----------------------------------------

    def _carrier_send_shipping(self, pickings):
        """Queue the booking of each picking; the job fills price and tracking."""
        pickings._carrier_check_shipping_method(self)
        pickings._carrier_queue_booking()
        return [{"exact_price": 0.0, "tracking_number": False} for _p in pickings]

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def karrio_send_shipping(self, pickings):
        return self._carrier_send_shipping(pickings)

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def ltl_soap_send_shipping(self, pickings):
        return self._carrier_send_shipping(pickings)

    def _carrier_get_tracking_link(self, picking):
        links = [
            (package.tracking_number, package.tracking_url)
            for package in picking.carrier_package_ids
            if package.state == "booked" and package.tracking_url
        ]
        unique = list(dict.fromkeys(links))
        if not unique:
            return False
        if len(unique) == 1:
            return unique[0][1]
        # Odoo's format for several trackers: a JSON list of [name, url].
        return json.dumps([list(pair) for pair in unique])

    @entry_point("read", records={"picking": ("stock.picking", "read")})
    def karrio_get_tracking_link(self, picking):
        return self._carrier_get_tracking_link(picking)

    @entry_point("read", records={"picking": ("stock.picking", "read")})
    def ltl_soap_get_tracking_link(self, picking):
        return self._carrier_get_tracking_link(picking)

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def karrio_cancel_shipment(self, pickings):
        pickings._carrier_check_shipping_method(self)
        pickings._carrier_queue_cancel()

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def ltl_soap_cancel_shipment(self, pickings):
        pickings._carrier_check_shipping_method(self)
        pickings._carrier_queue_cancel()

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def karrio_get_return_label(self, pickings, tracking_number=None, origin_date=None):
        pickings._carrier_queue_return()

    @entry_point("read", records={"pickings": ("stock.picking", "write")})
    def ltl_soap_get_return_label(
        self, pickings, tracking_number=None, origin_date=None
    ):
        pickings._carrier_queue_return()

    # OCA delivery_state's cron asks each provider to refresh its pickings.
    @entry_point("read", records={"picking": ("stock.picking", "write")})
    def karrio_tracking_state_update(self, picking):
        picking._carrier_poll_tracking()

    @entry_point("read", records={"picking": ("stock.picking", "write")})
    def ltl_soap_tracking_state_update(self, picking):
        picking._carrier_poll_tracking()
