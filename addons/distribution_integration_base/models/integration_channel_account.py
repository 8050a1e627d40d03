"""The channel account: what every channel's partner/account record shares.

A channel (EDI suppliers, carriers, 3PL warehouses...) keeps one record per
partner it trades with. That record points at a kernel endpoint (URL,
environment, timeouts, circuit breaker, credentials) and adds what is specific
to the channel. This mixin holds the shared part, so a channel declares what
differs instead of writing it again:

- ``_channel_endpoint_kind``: the endpoint kind the channel accepts;
- ``_channel_clients``: ``{endpoint protocol: method name}``, the one switch
  choosing how the account talks to its partner (``_client()``);
- ``_channel_capabilities``: what the channel can do (codes), as payment
  providers declare their features; ``_channel_capabilities_for(protocol)``
  narrows them per protocol;
- ``_channel_batch_flows()``: the batch flows that must serve the account's
  endpoint while the account is active (registered on save).
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..kernel import errors
from .entry_point import entry_point

USER = "distribution_integration_base.group_integration_user"


class IntegrationChannelAccount(models.AbstractModel):
    _name = "integration.channel.account"
    _description = "Integration Channel Account"
    _inherit = ["mail.thread"]

    # Declarations a channel overrides (class attributes, read by code).
    _channel_endpoint_kind = None
    _channel_clients = {}
    _channel_capabilities = ()

    name = fields.Char(tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
    )
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        required=True,
        tracking=True,
        ondelete="restrict",
        domain=lambda self: self._channel_endpoint_domain(),
        help="The kernel endpoint: environment (test or production), URL, "
        "timeouts, credentials, retry channel and circuit breaker. Its protocol "
        "decides how this account talks to the partner.",
    )
    environment = fields.Selection(related="endpoint_id.environment")
    protocol = fields.Selection(related="endpoint_id.protocol", string="Protocol")
    credential_id = fields.Many2one(
        "integration.credential",
        string="Credential",
        tracking=True,
        domain="[('endpoint_id', '=', endpoint_id)]",
        help="Empty: the endpoint's first active credential.",
    )
    channel_capabilities = fields.Char(
        string="Capabilities",
        compute="_compute_channel_capabilities",
        help="What this account can do with its endpoint's protocol.",
    )
    message_count = fields.Integer(
        string="Integration messages", compute="_compute_message_count", groups=USER
    )

    # -- declarations ------------------------------------------------------------

    @api.model
    def _channel_endpoint_domain(self):
        domain = "[('company_id', '=', company_id)"
        if self._channel_endpoint_kind:
            domain += f", ('kind', '=', {self._channel_endpoint_kind!r})"
        if self._channel_clients:
            domain += f", ('protocol', 'in', {sorted(self._channel_clients)!r})"
        return domain + "]"

    @api.model
    def _channel_capabilities_for(self, protocol):
        """The capability codes of this channel over ``protocol``."""
        return tuple(self._channel_capabilities)

    def _has_capability(self, code):
        self.ensure_one()
        return code in self._channel_capabilities_for(self.endpoint_id.protocol)

    def _channel_batch_flows(self):
        """The batch flows whose endpoints must include this account's endpoint
        while it is active (one account: ``self`` is a single record)."""
        return self.env["integration.flow"]

    # -- computes and constraints -------------------------------------------------

    @api.depends("endpoint_id")
    def _compute_company_id(self):
        for account in self:
            account.company_id = (
                account.endpoint_id.company_id or account.company_id or self.env.company
            )

    @api.depends("endpoint_id.protocol")
    def _compute_channel_capabilities(self):
        for account in self:
            account.channel_capabilities = ", ".join(
                self._channel_capabilities_for(account.endpoint_id.protocol)
            )

    def _message_domain(self):
        return [("endpoint_id", "in", self.endpoint_id.ids)]

    def _compute_message_count(self):
        counts = dict(
            self.env["integration.message"]._read_group(
                self._message_domain(), ["endpoint_id"], ["__count"]
            )
        )
        for account in self:
            account.message_count = counts.get(account.endpoint_id, 0)

    @api.constrains("endpoint_id", "company_id")
    def _check_channel_endpoint(self):
        for account in self:
            endpoint = account.endpoint_id.sudo()
            if endpoint.company_id != account.company_id:
                raise ValidationError(
                    _(
                        "%(account)s belongs to %(company)s but endpoint "
                        "%(endpoint)s to %(endpoint_company)s: choose an endpoint "
                        "of the same company.",
                        account=account.display_name,
                        company=account.company_id.name,
                        endpoint=endpoint.display_name,
                        endpoint_company=endpoint.company_id.name,
                    )
                )
            kind = self._channel_endpoint_kind
            if kind and endpoint.kind != kind:
                labels = dict(endpoint._fields["kind"]._description_selection(self.env))
                raise ValidationError(
                    _(
                        "%(account)s needs an endpoint of kind %(kind)s; endpoint "
                        "%(endpoint)s is of kind %(actual)s.",
                        account=account.display_name,
                        kind=labels.get(kind, kind),
                        endpoint=endpoint.display_name,
                        actual=labels.get(endpoint.kind, endpoint.kind),
                    )
                )
            if endpoint.protocol not in self._channel_clients:
                raise ValidationError(account._unsupported_protocol_message())

    @api.constrains("credential_id", "endpoint_id")
    def _check_credential_endpoint(self):
        for account in self:
            credential = account.sudo().credential_id
            if credential and credential.endpoint_id != account.endpoint_id:
                raise ValidationError(
                    _(
                        "%(account)s: credential %(credential)s belongs to another "
                        "endpoint; choose a credential of endpoint %(endpoint)s.",
                        account=account.display_name,
                        credential=credential.display_name,
                        endpoint=account.endpoint_id.display_name,
                    )
                )

    def _unsupported_protocol_message(self):
        self.ensure_one()
        endpoint = self.endpoint_id.sudo()
        labels = dict(endpoint._fields["protocol"]._description_selection(self.env))
        return _(
            "%(account)s cannot talk %(protocol)s (protocol of endpoint "
            "%(endpoint)s). %(model)s speaks: %(supported)s. Change the endpoint's "
            "protocol or choose another endpoint.",
            account=self.display_name,
            protocol=labels.get(endpoint.protocol, endpoint.protocol),
            endpoint=endpoint.display_name,
            model=self._description,
            supported=", ".join(
                labels.get(code, code) for code in sorted(self._channel_clients)
            )
            or _("nothing yet"),
        )

    # -- clients -------------------------------------------------------------------

    def _credential(self):
        """The account's credential, else its endpoint's first active one."""
        self.ensure_one()
        credential = (
            self.sudo().credential_id or self.endpoint_id.sudo()._active_credential()
        )
        if not credential:
            raise UserError(
                _(
                    "%(account)s has no credential: add one to endpoint %(endpoint)s.",
                    account=self.display_name,
                    endpoint=self.endpoint_id.display_name,
                )
            )
        return credential

    @api.model
    def _for_endpoint(self, endpoint):
        """This channel's active account on ``endpoint`` (how a handler finds
        the account of a message), or a configuration error."""
        account = self.sudo().search([("endpoint_id", "=", endpoint.id)], limit=1)
        if not account:
            raise errors.PermanentError(
                _(
                    "No active %(account)s uses endpoint %(endpoint)s: create one "
                    "or unarchive it.",
                    account=self._description,
                    endpoint=endpoint.display_name,
                ),
                category="mapping",
            )
        return account

    def _client(self, **options):
        """The client for this account's endpoint protocol (``_channel_clients``).

        A protocol the channel does not speak is a configuration mistake a
        person fixes: a permanent error in the "mapping" category, never a
        retry.
        """
        self.ensure_one()
        method = self._channel_clients.get(self.endpoint_id.protocol)
        if not method:
            raise errors.PermanentError(
                self._unsupported_protocol_message(), category="mapping"
            )
        return getattr(self, method)(**options)

    def _channel_http_session(self, **options):
        """The kernel's shared HTTP session of the endpoint (a client for
        channels that build their requests themselves)."""
        self.ensure_one()
        # Imported here: importing the handlers module defines its models, which
        # must come after integration.handler in the registry.
        from .handlers import endpoint_session

        return endpoint_session(self.endpoint_id.sudo())

    def _channel_transport(self, **options):
        """The kernel transport the endpoint's protocol names (folder, SFTP,
        HTTP); the caller closes it."""
        self.ensure_one()
        return self.endpoint_id.sudo()._transport()

    # -- registration on batch flows ------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts._register_on_batch_flows()
        return accounts

    def write(self, vals):
        result = super().write(vals)
        self._register_on_batch_flows()
        return result

    def _register_on_batch_flows(self):
        """Link each active account's endpoint to the batch flows it needs.

        Only adds: an endpoint may serve other accounts, and a person may have
        linked it on purpose.
        """
        for account in self.filtered("active"):
            flows = account._channel_batch_flows().sudo()
            for flow in flows:
                if account.endpoint_id not in flow.endpoint_ids:
                    flow.endpoint_ids = [fields.Command.link(account.endpoint_id.id)]

    # -- actions -------------------------------------------------------------------

    def _channel_test_connection(self):
        """``(ok, message)``: can this account reach its partner? The default
        asks the endpoint (health check path, or the WSDL for SOAP); channels
        override it for protocols the endpoint cannot test (files, SFTP)."""
        self.ensure_one()
        return self.endpoint_id.sudo()._test_connection()

    @entry_point("write")
    def action_test_connection(self):
        """Reach the partner once; show the result and record it on the endpoint."""
        self.ensure_one()
        try:
            ok, message = self._channel_test_connection()
        except (errors.IntegrationError, UserError) as exc:
            ok, message = False, str(exc)
        return self.endpoint_id.sudo()._connection_checked(ok, message)

    @entry_point("read", groups=USER)
    def action_open_messages(self):
        """The messages counted by ``message_count``, as a list."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "distribution_integration_base.integration_message_action"
        )
        action["domain"] = self._message_domain()
        action["context"] = {"default_endpoint_id": self.endpoint_id.id}
        action["view_mode"] = "list,form"
        action["views"] = [
            (view_id, kind)
            for view_id, kind in action.get("views", [])
            if kind in ("list", "form")
        ] or [(False, "list"), (False, "form")]
        action["display_name"] = _("Messages of %s", self.display_name)
        return action
