"""Transport settings of an endpoint: the endpoint's protocol chooses the transport.

``folder`` and ``sftp`` endpoints exchange files through an outbox and an inbox
(:mod:`..kernel.transports`), ``rest`` and ``edi_http`` endpoints post to their
base URL. Any flow's handler gets the transport with ``endpoint._transport()``.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..kernel import errors, transports
from .handlers import endpoint_session

_logger = logging.getLogger(__name__)

STALE_CLAIM_PARAMETER = "distribution_integration_base.stale_claim_minutes"


class IntegrationEndpoint(models.Model):
    _inherit = "integration.endpoint"

    outbox_path = fields.Char(
        string="Send to folder",
        tracking=True,
        help="Folder (local, or on the SFTP server) the partner collects our files "
        "from.",
    )
    inbox_path = fields.Char(
        string="Collect from folder",
        tracking=True,
        help="Folder (local, or on the SFTP server) the partner drops its files "
        "into. Collected files move to processed/ or failed/ beside them.",
    )
    file_settle_seconds = fields.Integer(
        string="Leave new files for (s)",
        default=5,
        help="A file changed more recently than this may still be being written: "
        "it is collected on the next run.",
    )
    sftp_host = fields.Char(string="SFTP host", tracking=True)
    sftp_port = fields.Integer(string="SFTP port", default=22)
    sftp_host_key_fingerprint = fields.Char(
        string="SFTP host key",
        tracking=True,
        help="SHA256 fingerprint of the server's host key, as `ssh-keygen -lf` "
        "prints it (SHA256:...). Connections to any other key are refused.",
    )

    @api.constrains(
        "protocol",
        "outbox_path",
        "inbox_path",
        "sftp_host",
        "sftp_host_key_fingerprint",
    )
    def _check_transport_settings(self):
        for endpoint in self:
            if endpoint.protocol not in transports.FILE_PROTOCOLS:
                continue
            if not (endpoint.outbox_path and endpoint.inbox_path):
                raise ValidationError(
                    _(
                        "%s: folder and SFTP exchange need both a folder to send "
                        "to and a folder to collect from.",
                        endpoint.display_name,
                    )
                )
            if endpoint.protocol == "sftp":
                if not (endpoint.sftp_host and endpoint.sftp_host_key_fingerprint):
                    raise ValidationError(
                        _(
                            "%s: SFTP needs a host and the host key's SHA256 "
                            "fingerprint.",
                            endpoint.display_name,
                        )
                    )
                try:
                    transports.normalize_fingerprint(endpoint.sftp_host_key_fingerprint)
                except ValueError as exc:
                    raise ValidationError(
                        _(
                            "%(endpoint)s: %(error)s",
                            endpoint=endpoint.display_name,
                            error=exc,
                        )
                    ) from exc

    def write(self, vals):
        result = super().write(vals)
        if "protocol" in vals:
            # An endpoint switched to files must be on its channel's collect flow.
            for accounts in self._channel_accounts():
                accounts._register_on_batch_flows()
        return result

    def _channel_accounts(self):
        """The channel accounts on these endpoints, one recordset per channel."""
        registry = self.env.registry
        mixin = registry["integration.channel.account"]
        accounts = []
        for name, model_class in registry.items():
            if not model_class._abstract and issubclass(model_class, mixin):
                accounts.append(
                    self.env[name].sudo().search([("endpoint_id", "in", self.ids)])
                )
        return accounts

    def _has_file_transport(self):
        self.ensure_one()
        return self.protocol in transports.FILE_PROTOCOLS

    def _transport(self):
        """The transport this endpoint's protocol names (the caller closes it).

        Folder and SFTP: a :class:`~..kernel.transports.FolderTransport` or
        :class:`~..kernel.transports.SftpTransport` on the outbox and inbox
        (SFTP logs in with the endpoint's SSH key or user name and password);
        REST and EDI over HTTP: an :class:`~..kernel.transports.HttpTransport`
        on the base URL. Any other protocol is a configuration error.
        """
        self.ensure_one()
        endpoint = self.sudo()
        if endpoint.protocol == "folder":
            return transports.FolderTransport(
                endpoint.outbox_path,
                endpoint.inbox_path,
                settle_seconds=endpoint.file_settle_seconds,
            )
        if endpoint.protocol == "sftp":
            credential = endpoint._active_credential()
            if not credential or credential.kind not in ("ssh_key", "basic_auth"):
                raise errors.PermanentError(
                    _(
                        "Endpoint %s needs an SSH key or a user name and password "
                        "credential for SFTP.",
                        endpoint.code,
                    ),
                    category="authentication",
                )
            return transports.SftpTransport(
                endpoint.sftp_host,
                endpoint.sftp_port or 22,
                credential.username,
                password=credential._get_secret()
                if credential.kind == "basic_auth"
                else None,
                private_key_pem=credential._get_private_key()
                if credential.kind == "ssh_key"
                else None,
                host_key_fingerprint=endpoint.sftp_host_key_fingerprint,
                outbox=endpoint.outbox_path,
                inbox=endpoint.inbox_path,
                timeout=sum(endpoint._timeout()),
                settle_seconds=endpoint.file_settle_seconds,
            )
        if endpoint.protocol in transports.HTTP_PROTOCOLS:
            return transports.HttpTransport(
                endpoint.base_url,
                timeout=endpoint._timeout(),
                session=endpoint_session(endpoint),
            )
        raise errors.PermanentError(
            _(
                "Endpoint %(endpoint)s speaks %(protocol)s, for which the kernel has "
                "no transport: choose folder, SFTP, REST or EDI over HTTP.",
                endpoint=endpoint.code,
                protocol=endpoint.protocol,
            ),
            category="mapping",
        )

    def _test_connection(self):
        self.ensure_one()
        if not self._has_file_transport():
            return super()._test_connection()
        try:
            with self._transport() as exchange:
                return True, exchange.check()
        except (transports.TransportError, errors.IntegrationError) as exc:
            return False, str(exc)

    @api.model
    def _stale_claim_seconds(self):
        """How old a claim is before it counts as left by a crashed collector.

        A claim lives for one transaction, which Odoo's time limits end long
        before this.
        """
        minutes = (
            self.env["ir.config_parameter"].sudo().get_param(STALE_CLAIM_PARAMETER, 15)
        )
        try:
            return max(int(minutes), 1) * 60
        except ValueError:
            return 15 * 60

    @api.model
    def _cron_recover_stale_claims(self):
        """Give back inbox files a crashed collector left claimed.

        Every active folder or SFTP endpoint of a collect flow is visited; one
        that cannot be reached is logged and retried on the next run.
        """
        flows = (
            self.env["integration.flow"]
            .sudo()
            .search([("handler", "=", "integration.handler.collect")])
        )
        endpoints = flows.endpoint_ids.filtered(
            lambda endpoint: endpoint.active and endpoint._has_file_transport()
        )
        older_than = self._stale_claim_seconds()
        recovered = 0
        for endpoint in endpoints:
            try:
                with endpoint._transport() as exchange:
                    recovered += len(exchange.recover_stale(older_than))
            except Exception as exc:  # one endpoint down must not stop the others
                _logger.warning(
                    "Stale claims of endpoint %s not recovered: %s", endpoint.code, exc
                )
        return recovered
