"""A carrier account: which adapter talks to which kernel endpoint, and how."""

import logging

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.models.handlers import (
    endpoint_session,
)
from odoo.exceptions import UserError, ValidationError

from ..carrier import LABEL_FORMATS

_logger = logging.getLogger(__name__)

ADAPTERS = [("karrio", "Karrio gateway (REST)"), ("ltl_soap", "LTL freight (SOAP)")]


class CarrierAccount(models.Model):
    """Our account with one carrier (or one Karrio gateway).

    The kernel endpoint holds the URL, timeouts, test/production switch,
    circuit breaker and credentials; the account adds what is carrier-specific.
    Delivery methods (``delivery.carrier``) point at an account and name the
    carrier service they book.
    """

    _name = "carrier.account"
    _description = "Carrier Account"
    _inherit = ["mail.thread"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    adapter = fields.Selection(ADAPTERS, required=True, default="karrio", tracking=True)
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        required=True,
        tracking=True,
        ondelete="restrict",
        domain="[('company_id', '=', company_id)]",
        help="Kernel endpoint: base URL (Karrio API or the SOAP service), "
        "timeouts, test or production, retries and the credential.",
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, readonly=True
    )
    environment = fields.Selection(related="endpoint_id.environment")
    credential_id = fields.Many2one(
        "integration.credential",
        string="Credential",
        tracking=True,
        domain="[('endpoint_id', '=', endpoint_id)]",
        help="Karrio: an API key (the token). LTL: basic authentication "
        "(user name and password). Empty: the endpoint's first active credential.",
    )
    label_format = fields.Selection(
        [(f, f) for f in LABEL_FORMATS], default="PDF", required=True, tracking=True
    )
    rate_timeout = fields.Float(
        string="Rate timeout (s)",
        default=5.0,
        help="Seconds a rate request on the sale order may take before the user "
        "gets a 'carrier unavailable' message instead of a price.",
    )
    default_weight_kg = fields.Float(
        string="Default parcel weight (kg)",
        default=1.0,
        help="Used when a package or product has no weight.",
    )
    default_length_cm = fields.Float(string="Default length (cm)", default=30.0)
    default_width_cm = fields.Float(string="Default width (cm)", default=20.0)
    default_height_cm = fields.Float(string="Default height (cm)", default=15.0)
    default_freight_class = fields.Char(
        default="100", help="LTL freight class of pallets without one."
    )
    karrio_carrier_ids = fields.Char(
        string="Karrio carrier connections",
        help="Comma-separated Karrio carrier ids (e.g. ups_main,dhl_express) this "
        "account may rate and ship with. Empty: every active connection.",
    )
    wsdl_url = fields.Char(
        string="WSDL URL",
        help="LTL: the carrier's WSDL. Empty: the endpoint's base URL + '?wsdl'.",
    )
    account_number = fields.Char(
        help="Shipper account number the carrier expects in requests."
    )
    tracking_url_template = fields.Char(
        string="Tracking URL",
        help="Public tracking page; <tracking> is replaced by the tracking number. "
        "Empty: the URL the carrier returned at booking, if any.",
    )
    tracking_by_webhook = fields.Boolean(
        string="Tracking by webhook",
        default=True,
        help="The carrier pushes tracking to the kernel gateway (flow "
        "carrier-tracking-in). Otherwise the polling flow carrier-tracking-poll "
        "asks the carrier for every open shipment.",
    )
    scan_sla_hours = fields.Integer(
        string="Scan SLA (hours)",
        default=48,
        help="A booked shipment with no scan for this long gets an exception. "
        "0: never.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url", string="Webhook URL")
    carrier_ids = fields.One2many(
        "delivery.carrier", "carrier_account_id", string="Delivery methods"
    )

    @api.depends("endpoint_id.code")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for account in self:
            code = account.endpoint_id.code
            account.webhook_url = (
                f"{base}/integration/inbound/{code}/carrier-tracking-in"
                if code
                else False
            )

    @api.constrains("credential_id", "endpoint_id")
    def _check_credential_endpoint(self):
        for account in self:
            if (
                account.credential_id
                and account.credential_id.endpoint_id != account.endpoint_id
            ):
                raise ValidationError(
                    _(
                        "Carrier account %(account)s: credential %(credential)s "
                        "belongs to another endpoint; choose a credential of "
                        "endpoint %(endpoint)s.",
                        account=account.name,
                        credential=account.credential_id.display_name,
                        endpoint=account.endpoint_id.display_name,
                    )
                )

    # -- adapters ------------------------------------------------------------------

    def _credential(self):
        self.ensure_one()
        credential = (
            self.sudo().credential_id or self.endpoint_id.sudo()._active_credential()
        )
        if not credential:
            raise UserError(
                _(
                    "Carrier account %(account)s has no credential: add one to "
                    "endpoint %(endpoint)s.",
                    account=self.name,
                    endpoint=self.endpoint_id.display_name,
                )
            )
        return credential

    def _adapter(self, timeout=None):
        """A ready adapter (:mod:`..carrier`) for this account.

        ``timeout`` overrides the endpoint's read timeout (rates use a short one).
        Sessions are the kernel's per-endpoint sessions: connections are reused
        across jobs, and the adapter does not close them.
        """
        self.ensure_one()
        endpoint = self.endpoint_id.sudo()
        if not endpoint.base_url:
            raise UserError(
                _(
                    "Endpoint %s has no base URL: set the carrier's URL on the "
                    "endpoint (Integration > Configuration > Endpoints).",
                    endpoint.display_name,
                )
            )
        connect, read = endpoint._timeout()
        if timeout:
            read = min(read, timeout)
            connect = min(connect, timeout)
        credential = self._credential()
        session = endpoint_session(endpoint)
        if self.adapter == "karrio":
            from ..carrier.karrio import KarrioAdapter

            carrier_ids = [
                code.strip()
                for code in (self.karrio_carrier_ids or "").split(",")
                if code.strip()
            ]
            return KarrioAdapter(
                endpoint.base_url,
                credential._get_secret(),
                carrier_ids=carrier_ids,
                timeout=(connect, read),
                session=session,
            )
        from ..carrier.ltl import LtlSoapAdapter

        base = endpoint.base_url.rstrip("/")
        return LtlSoapAdapter(
            self.wsdl_url or f"{base}?wsdl",
            credential.username or "",
            credential._get_secret(),
            account_number=self.account_number or "",
            service_url=base if self.wsdl_url else None,
            timeout=connect + read,
            operation_timeout=(connect, read),
            session=session,
        )

    def _tracking_url(self, tracking_number, fallback=""):
        self.ensure_one()
        if self.tracking_url_template and tracking_number:
            return self.tracking_url_template.replace("<tracking>", tracking_number)
        return fallback or ""
