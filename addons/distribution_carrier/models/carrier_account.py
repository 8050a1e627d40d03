"""A carrier account: the carrier channel's account on the kernel's channel layer."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..carrier import LABEL_FORMATS

_logger = logging.getLogger(__name__)

# What each adapter can do (capability codes of the channel account).
KARRIO_CAPABILITIES = (
    "rate",
    "ship",
    "cancel",
    "return_label",
    "tracking_poll",
    "tracking_webhook",
    "proof_of_delivery",
)
LTL_CAPABILITIES = ("rate", "ship", "cancel", "return_label", "tracking_poll")


class CarrierAccount(models.Model):
    """Our account with one carrier (or one Karrio gateway).

    The kernel endpoint holds the URL, timeouts, test/production switch,
    circuit breaker and credentials; its protocol picks the adapter (REST:
    Karrio, SOAP: the LTL freight service). The account adds what is
    carrier-specific. Delivery methods (``delivery.carrier``) point at an
    account and name the carrier service they book.
    """

    _name = "carrier.account"
    _description = "Carrier Account"
    _inherit = ["integration.channel.account"]
    _order = "sequence, name"

    _channel_endpoint_kind = "carrier"
    _channel_clients = {"rest": "_client_karrio", "soap": "_client_ltl_soap"}
    _channel_capabilities = KARRIO_CAPABILITIES

    name = fields.Char(required=True)
    endpoint_id = fields.Many2one(
        help="Kernel endpoint: base URL (Karrio API or the SOAP service), "
        "timeouts, test or production, retries and the credential. Its protocol "
        "picks the adapter: REST is a Karrio gateway, SOAP the LTL freight service."
    )
    credential_id = fields.Many2one(
        help="Karrio: an API key (the token). LTL: basic authentication "
        "(user name and password). Empty: the endpoint's first active credential."
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

    # -- channel declarations ----------------------------------------------------------

    @api.model
    def _channel_capabilities_for(self, protocol):
        return LTL_CAPABILITIES if protocol == "soap" else KARRIO_CAPABILITIES

    def _channel_batch_flows(self):
        """Accounts tracked by polling need their endpoint on the polling flow."""
        flows = super()._channel_batch_flows()
        if not self.tracking_by_webhook:
            flows |= (
                self.env.ref(
                    "distribution_carrier.flow_carrier_tracking_poll",
                    raise_if_not_found=False,
                )
                or self.env["integration.flow"]
            )
        return flows

    @api.constrains("tracking_by_webhook", "endpoint_id")
    def _check_tracking_by_webhook(self):
        for account in self:
            if account.tracking_by_webhook and not account._has_capability(
                "tracking_webhook"
            ):
                raise ValidationError(
                    _(
                        "Carrier account %s: this carrier cannot push tracking by "
                        "webhook; untick 'Tracking by webhook' so that it is "
                        "polled.",
                        account.name,
                    )
                )

    @api.onchange("endpoint_id")
    def _onchange_endpoint_tracking(self):
        if self.endpoint_id and not self._has_capability("tracking_webhook"):
            self.tracking_by_webhook = False

    # -- adapters ------------------------------------------------------------------

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
        return self._client(timeout=(connect, read))

    def _client_karrio(self, timeout):
        from ..carrier.karrio import KarrioAdapter

        carrier_ids = [
            code.strip()
            for code in (self.karrio_carrier_ids or "").split(",")
            if code.strip()
        ]
        return KarrioAdapter(
            self.endpoint_id.sudo().base_url,
            self._credential()._get_secret(),
            carrier_ids=carrier_ids,
            timeout=timeout,
            session=self._channel_http_session(),
        )

    def _client_ltl_soap(self, timeout):
        from ..carrier.ltl import LtlSoapAdapter

        connect, read = timeout
        credential = self._credential()
        base = self.endpoint_id.sudo().base_url.rstrip("/")
        return LtlSoapAdapter(
            self.wsdl_url or f"{base}?wsdl",
            credential.username or "",
            credential._get_secret(),
            account_number=self.account_number or "",
            service_url=base if self.wsdl_url else None,
            timeout=connect + read,
            operation_timeout=(connect, read),
            session=self._channel_http_session(),
        )

    def _tracking_url(self, tracking_number, fallback=""):
        self.ensure_one()
        if self.tracking_url_template and tracking_number:
            return self.tracking_url_template.replace("<tracking>", tracking_number)
        return fallback or ""
