import contextlib
import logging
import os
import tempfile
from datetime import timedelta

import requests

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..kernel import crypto, errors, signatures
from .entry_point import entry_point

_logger = logging.getLogger(__name__)

MASK = "********"
# Kinds whose secret is a private key (the secret field holds at most a passphrase).
PRIVATE_KEY_KINDS = ("client_certificate", "ssh_key")
# Stored columns holding ciphertext, and the associated data each is bound to.
SECRET_COLUMNS = (
    "secret_token",
    "previous_secret_token",
    "private_key_token",
    "access_token_token",
)
# Seconds before expiry at which a cached OAuth2 token is refreshed.
TOKEN_REFRESH_MARGIN = 60


def master_secret_box():
    """The :class:`kernel.crypto.SecretBox` under the configured master key.

    The key comes from the Odoo configuration file (``integration_master_key``)
    or the ``ODOO_INTEGRATION_MASTER_KEY`` environment variable, never from the
    database, so a database dump alone cannot reveal a secret.
    """
    return crypto.SecretBox(
        crypto.load_master_key(tools.config.get(crypto.MASTER_KEY_OPTION))
    )


def _context_for(column):
    return f"integration.credential.{column}"


class IntegrationCredential(models.Model):
    """A secret Odoo uses to talk to an endpoint, or to check what it receives.

    Secret values are write-only: they are encrypted with AES-256-GCM under the
    master key when written and read back as a mask; only server code that
    needs the clear value calls :meth:`_get_secret`.
    """

    _name = "integration.credential"
    _description = "Integration Credential"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "endpoint_id, name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    endpoint_id = fields.Many2one(
        "integration.endpoint",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, readonly=True
    )
    kind = fields.Selection(
        [
            ("api_key", "API key"),
            ("basic_auth", "Basic authentication"),
            ("oauth2_client_credentials", "OAuth2 client credentials"),
            ("hmac_secret", "HMAC signing secret"),
            ("client_certificate", "Client certificate and key"),
            ("ssh_key", "SSH key (SFTP)"),
        ],
        required=True,
        default="api_key",
        tracking=True,
    )
    username = fields.Char(
        tracking=True, help="User name for basic authentication or an SSH login."
    )
    client_id = fields.Char(string="Client ID", tracking=True)
    token_url = fields.Char(string="Token URL", tracking=True)
    scope = fields.Char(tracking=True)
    header_name = fields.Char(
        string="Header",
        default="X-Api-Key",
        help="Header that carries the API key on outbound requests.",
    )
    certificate_pem = fields.Text(
        string="Certificate (PEM)", help="Public certificate; not a secret."
    )

    # Ciphertext: readable by administrators only and never offered for export.
    secret_token = fields.Char(copy=False, groups="base.group_system", exportable=False)
    previous_secret_token = fields.Char(
        copy=False, groups="base.group_system", exportable=False
    )
    private_key_token = fields.Char(
        copy=False, groups="base.group_system", exportable=False
    )
    access_token_token = fields.Char(
        copy=False, groups="base.group_system", exportable=False
    )
    access_token_expires_at = fields.Datetime(
        string="Access token expires", copy=False, readonly=True
    )

    # Write-only views of the secrets.
    secret = fields.Char(
        compute="_compute_masks",
        inverse="_inverse_secret",
        exportable=False,
        help="Password, API key, client secret or HMAC secret. Written once, "
        "shown masked. Writing a new value starts a rotation.",
    )
    private_key = fields.Text(
        compute="_compute_masks",
        inverse="_inverse_private_key",
        exportable=False,
        string="Private key (PEM)",
    )
    has_secret = fields.Boolean(
        string="Secret set",
        compute="_compute_masks",
        search="_search_has_secret",
        help="The secret this kind of credential needs is stored (a private key for "
        "client certificates and SSH keys, otherwise the secret).",
    )
    key_id = fields.Char(
        string="Master key id",
        compute="_compute_masks",
        help="Identifies the master key the secret is encrypted with.",
    )

    rotation_state = fields.Selection(
        [("none", "Current"), ("pending", "Rotation pending confirmation")],
        default="none",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        string="Rotation",
    )
    rotated_at = fields.Datetime(
        string="Rotated on", readonly=True, copy=False, tracking=True
    )
    expiry_date = fields.Date(string="Expires on", tracking=True)
    reminder_days = fields.Integer(
        string="Reminder (days before)",
        default=14,
        help="Days before expiry when the responsible gets an activity.",
    )
    expiry_reminded_for = fields.Date(
        string="Reminder sent for", readonly=True, copy=False
    )

    @api.constrains("kind", "username", "client_id", "token_url")
    def _check_kind_fields(self):
        for credential in self:
            if credential.kind in ("basic_auth", "ssh_key") and not credential.username:
                raise ValidationError(
                    _(
                        "Credential %s: basic authentication and SSH keys need a "
                        "user name.",
                        credential.name,
                    )
                )
            if credential.kind == "oauth2_client_credentials" and not (
                credential.client_id and credential.token_url
            ):
                raise ValidationError(
                    _(
                        "Credential %s: OAuth2 client credentials need a client ID "
                        "and a token URL.",
                        credential.name,
                    )
                )

    @api.depends_context("uid")
    def _compute_masks(self):
        tokens = (
            {
                row["id"]: row
                for row in self.sudo().read(["secret_token", "private_key_token"])
            }
            if self.ids
            else {}
        )
        for credential in self:
            row = tokens.get(credential.id) or {}
            secret_token = row.get("secret_token")
            credential.secret = MASK if secret_token else False
            credential.private_key = MASK if row.get("private_key_token") else False
            credential.has_secret = bool(
                row.get("private_key_token")
                if credential.kind in PRIVATE_KEY_KINDS
                else secret_token
            )
            credential.key_id = (
                crypto.token_key_id(secret_token)
                if secret_token and crypto.is_token(secret_token)
                else False
            )

    def _search_has_secret(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on 'Secret set'."))
        # The ciphertext columns are for administrators only: decide as superuser,
        # answer with ids the caller's own rules then filter.
        with_secret = (
            self.sudo()
            .with_context(active_test=False)
            ._search(
                [
                    "|",
                    "&",
                    ("kind", "in", PRIVATE_KEY_KINDS),
                    ("private_key_token", "!=", False),
                    "&",
                    ("kind", "not in", PRIVATE_KEY_KINDS),
                    ("secret_token", "!=", False),
                ]
            )
        )
        wanted = (operator == "=") == value
        return [("id", "in" if wanted else "not in", with_secret)]

    # What the gateway's cached endpoint profile holds of a credential.
    _DISPATCH_CACHED_FIELDS = frozenset(
        {
            "active",
            "endpoint_id",
            "secret",
            "secret_token",
            "previous_secret_token",
            "rotation_state",
        }
    )

    def write(self, vals):
        result = super().write(vals)
        if self._DISPATCH_CACHED_FIELDS.intersection(vals):
            self.env.registry.clear_cache()  # integration.endpoint._dispatch_profile
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # integration.endpoint._dispatch_profile
        return result

    @api.model
    def _verification_secrets(self, tokens, name):
        """Decrypt ``(column, ciphertext)`` pairs (a cached endpoint profile's)
        into the secrets inbound checks accept."""
        box = None
        secrets = []
        for column, token in tokens:
            try:
                box = box or master_secret_box()
                secret = box.decrypt(token, _context_for(column))
            except crypto.MasterKeyError as exc:
                raise errors.AuthenticationError(
                    _(
                        "Credential %(name)s cannot be decrypted: %(error)s",
                        name=name,
                        error=exc,
                    )
                ) from exc
            if secret:
                secrets.append(secret)
        return secrets

    def _encrypt(self, column, plaintext):
        try:
            return master_secret_box().encrypt(plaintext, _context_for(column))
        except crypto.MasterKeyError as exc:
            raise UserError(str(exc)) from exc

    def _decrypt(self, column):
        self.ensure_one()
        token = self.sudo()[column]
        if not token:
            return None
        try:
            return master_secret_box().decrypt(token, _context_for(column))
        except crypto.MasterKeyError as exc:
            raise errors.AuthenticationError(
                _(
                    "Credential %(name)s cannot be decrypted: %(error)s",
                    name=self.display_name,
                    error=exc,
                )
            ) from exc

    def _inverse_secret(self):
        for credential in self:
            value = credential.secret
            if not value or value == MASK:
                continue
            current = credential.sudo().secret_token
            vals = {"secret_token": credential._encrypt("secret_token", value)}
            if current:
                # Keep the old secret usable (inbound checks accept both) until
                # the rotation is confirmed on both sides.
                vals.update(
                    previous_secret_token=credential._reencrypt_column(
                        current, "secret_token", "previous_secret_token"
                    ),
                    rotation_state="pending",
                    rotated_at=fields.Datetime.now(),
                )
            credential.sudo().write(vals)
            credential.sudo().access_token_token = False
            credential._message_log(body=_("Secret changed."))
        self._forget_clear_values()

    def _forget_clear_values(self):
        # The written clear value sits in the cache; drop it so that reads
        # (including the web client's read-back after saving) show the mask.
        self.invalidate_recordset(["secret", "private_key", "has_secret", "key_id"])

    def _reencrypt_column(self, token, from_column, to_column):
        box = master_secret_box()
        return box.encrypt(
            box.decrypt(token, _context_for(from_column)), _context_for(to_column)
        )

    def _inverse_private_key(self):
        for credential in self:
            value = credential.private_key
            if not value or value == MASK:
                continue
            credential.sudo().private_key_token = credential._encrypt(
                "private_key_token", value
            )
            credential._message_log(body=_("Private key changed."))
        self._forget_clear_values()

    @entry_point("write")
    def action_confirm_rotation(self):
        """The partner uses the new secret: forget the previous one."""
        for credential in self.filtered(lambda c: c.rotation_state == "pending"):
            credential.sudo().write(
                {"previous_secret_token": False, "rotation_state": "none"}
            )
            credential._message_log(body=_("Rotation confirmed."))
        return True

    @entry_point("write")
    def action_revert_rotation(self):
        """Go back to the previous secret (the partner could not switch)."""
        for credential in self.filtered(lambda c: c.rotation_state == "pending"):
            sudo = credential.sudo()
            sudo.write(
                {
                    "secret_token": credential._reencrypt_column(
                        sudo.previous_secret_token,
                        "previous_secret_token",
                        "secret_token",
                    ),
                    "previous_secret_token": False,
                    "rotation_state": "none",
                    "access_token_token": False,
                }
            )
            credential._message_log(body=_("Rotation reverted to the previous secret."))
        return True

    # -- use by channels -------------------------------------------------------

    def _get_secret(self):
        """The clear secret (server side only; never return it to a client)."""
        self.ensure_one()
        return self._decrypt("secret_token")

    def _get_private_key(self):
        self.ensure_one()
        return self._decrypt("private_key_token")

    def _secrets_for_verification(self):
        """Secrets accepted on inbound checks: the current one, and the previous
        one while a rotation waits for confirmation."""
        self.ensure_one()
        secrets = [self._get_secret()]
        if self.rotation_state == "pending" and self.sudo().previous_secret_token:
            secrets.append(self._decrypt("previous_secret_token"))
        return [s for s in secrets if s]

    def _oauth2_access_token(self):
        """A valid OAuth2 access token, fetched with the client-credentials grant
        and cached encrypted until shortly before it expires."""
        self.ensure_one()
        sudo = self.sudo()
        now = fields.Datetime.now()
        if (
            sudo.access_token_token
            and sudo.access_token_expires_at
            and sudo.access_token_expires_at
            > now + timedelta(seconds=TOKEN_REFRESH_MARGIN)
        ):
            return self._decrypt("access_token_token")
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        try:
            response = requests.post(
                self.token_url,
                data=data,
                auth=(self.client_id, self._get_secret() or ""),
                timeout=self.endpoint_id._timeout(),
            )
        except requests.RequestException as exc:
            raise errors.classify_exception(exc) from exc
        error = errors.error_for_response(response, self.token_url)
        if error is not None:
            if response.status_code in (400, 401, 403):
                raise errors.AuthenticationError(
                    _(
                        "Token request for %(name)s refused (HTTP %(status)s): "
                        "%(body)s",
                        name=self.display_name,
                        status=response.status_code,
                        body=response.text[:300],
                    )
                )
            raise error
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError) as exc:
            raise errors.AuthenticationError(
                _(
                    "Token endpoint of %s answered without an access_token.",
                    self.display_name,
                )
            ) from exc
        expires_in = int(body.get("expires_in") or 3600)
        sudo.write(
            {
                "access_token_token": self._encrypt("access_token_token", token),
                "access_token_expires_at": now + timedelta(seconds=expires_in),
            }
        )
        return token

    def _http_auth(self, raw_body=b""):
        """``(headers, auth)`` to add to an outbound HTTP request."""
        self.ensure_one()
        if self.kind == "api_key":
            return {self.header_name or "X-Api-Key": self._get_secret() or ""}, None
        if self.kind == "basic_auth":
            return {}, (self.username, self._get_secret() or "")
        if self.kind == "oauth2_client_credentials":
            return {"Authorization": f"Bearer {self._oauth2_access_token()}"}, None
        if self.kind == "hmac_secret":
            return signatures.sign(self._get_secret() or "", raw_body), None
        return {}, None

    @contextlib.contextmanager
    def _client_certificate_files(self):
        """Yield ``(cert_path, key_path)`` in private temporary files removed on exit
        (``requests`` and ``zeep`` take certificates as paths)."""
        self.ensure_one()
        if self.kind != "client_certificate" or not self.certificate_pem:
            raise errors.AuthenticationError(
                _("Credential %s holds no client certificate.", self.display_name)
            )
        directory = tempfile.mkdtemp(prefix="integration-cert-")
        cert_path = os.path.join(directory, "cert.pem")
        key_path = os.path.join(directory, "key.pem")
        try:
            for path, content in (
                (cert_path, self.certificate_pem),
                (key_path, self._get_private_key() or ""),
            ):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(content)
            yield cert_path, key_path
        finally:
            for path in (cert_path, key_path):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
            os.rmdir(directory)

    # -- master key management -------------------------------------------------

    @api.model
    def _reencrypt_all(self, old_box, new_box):
        """Re-encrypt every stored secret from ``old_box`` to ``new_box``.

        Everything is decrypted first; if any token cannot be read, nothing is
        written and the error names the credential. Returns the count of
        re-encrypted values.
        """
        records = self.sudo().with_context(active_test=False).search([])
        rows = records.read(list(SECRET_COLUMNS))
        updates = []
        for row in rows:
            vals = {}
            for column in SECRET_COLUMNS:
                token = row[column]
                if not token:
                    continue
                if crypto.token_key_id(token) == new_box.key_id:
                    continue
                try:
                    vals[column] = old_box.reencrypt(
                        token, new_box, _context_for(column)
                    )
                except crypto.MasterKeyError as exc:
                    raise UserError(
                        _(
                            "Credential #%(id)s (%(column)s) cannot be re-encrypted: "
                            "%(error)s. Nothing was changed.",
                            id=row["id"],
                            column=column,
                            error=exc,
                        )
                    ) from exc
            if vals:
                updates.append((row["id"], vals))
        for record_id, vals in updates:
            self.sudo().browse(record_id).write(vals)
        return sum(len(vals) for _id, vals in updates)

    @api.model
    def _master_key_status(self):
        """``(configured, key_id, message, foreign_count)`` for the settings page."""
        try:
            box = master_secret_box()
        except crypto.MasterKeyError as exc:
            return False, False, str(exc), 0
        rows = (
            self.sudo()
            .with_context(active_test=False)
            .search_read([("secret_token", "!=", False)], ["secret_token"])
        )
        foreign = sum(
            1 for row in rows if crypto.token_key_id(row["secret_token"]) != box.key_id
        )
        return True, box.key_id, _("Master key %s is configured.", box.key_id), foreign

    # -- expiry ----------------------------------------------------------------

    @api.model
    def _cron_remind_expiring(self):
        """Schedule one reminder activity per credential nearing its expiry."""
        today = fields.Date.context_today(self)
        activity_type = self.env.ref(
            "distribution_integration_base.mail_activity_credential_expiry"
        )
        for credential in self.search([("expiry_date", "!=", False)]):
            if credential.expiry_reminded_for == credential.expiry_date:
                continue
            if (
                credential.expiry_date - timedelta(days=credential.reminder_days)
                > today
            ):
                continue
            user = credential.endpoint_id.user_id or self.env.ref("base.user_admin")
            credential.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=credential.expiry_date,
                user_id=user.id,
                summary=_(
                    "Credential %(name)s expires on %(date)s",
                    name=credential.name,
                    date=credential.expiry_date,
                ),
            )
            credential.expiry_reminded_for = credential.expiry_date

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        # Secrets are never exported, whatever the caller's rights: their
        # column stays empty (also when exported through a related record).
        hidden = {name for name, field in self._fields.items() if not field.exportable}
        columns = [i for i, path in enumerate(fields) if path and path[0] in hidden]
        lines = super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        for line in lines:
            for i in columns:
                line[i] = ""
        return lines

    def copy_data(self, default=None):
        # A copy must be given its own secret; never duplicate ciphertext.
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals.pop("secret", None)
            vals.pop("private_key", None)
        return vals_list
