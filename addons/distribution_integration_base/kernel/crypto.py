"""Authenticated encryption of integration secrets at rest.

Secrets (API keys, passwords, signing secrets) are stored as tokens::

    dis1$<key id>$<urlsafe base64 of nonce + ciphertext + tag>

encrypted with AES-256-GCM under a master key that lives outside the database
(Odoo configuration option ``integration_master_key`` or the environment
variable ``ODOO_INTEGRATION_MASTER_KEY``), so a database dump alone does not
reveal them. The key id in the token tells which master key was used, which
makes a wrong or rotated key a clear error instead of garbage.

The ``context`` string is bound as associated data: a token encrypted for one
record and field (e.g. ``"integration.credential:42:password"``) does not
decrypt when copied into another.

Works with cryptography 3.4.8 (Odoo's pin on Python 3.11) and newer releases.
"""

import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_OPTION = "integration_master_key"
MASTER_KEY_ENV = "ODOO_INTEGRATION_MASTER_KEY"

TOKEN_VERSION = "dis1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_LENGTH = 12

GENERATE_KEY_COMMAND = (
    'python3 -c "import base64, os; '
    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)

_KEY_ID_PREFIX = b"distribution-integration-key-id:"
_KEY_ID_RE = re.compile(r"[0-9a-f]{12}")  # KEY_ID_LENGTH hex digits
_WHITESPACE_RE = re.compile(r"\s+")


class MasterKeyError(Exception):
    """Base class of every master-key and secret-token problem."""


class MasterKeyMissing(MasterKeyError):
    """No master key is configured."""


class MasterKeyInvalid(MasterKeyError):
    """The configured master key is not base64 of exactly 32 bytes."""


class SecretDecryptionError(MasterKeyError):
    """A token is malformed, tampered with, or encrypted under another key."""


def _where_to_configure():
    return (
        f"set `{MASTER_KEY_OPTION}` in the Odoo configuration file or the "
        f"{MASTER_KEY_ENV} environment variable (generate one with "
        f"`{GENERATE_KEY_COMMAND}`)"
    )


def generate_master_key():
    """Return a new random master key: 32 bytes, urlsafe base64 (44 characters)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_master_key(text, *, source=None):
    """Decode a master key given as urlsafe or standard base64 of 32 bytes.

    Whitespace anywhere (e.g. a trailing newline from a secrets file) is ignored
    and missing ``=`` padding is tolerated. Raises :class:`MasterKeyInvalid`
    otherwise; the message never repeats the key. ``source`` names where the
    value came from, for the message.

    >>> len(parse_master_key(generate_master_key()))
    32
    """
    origin = f" (from {source})" if source else ""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            text = None
    if not isinstance(text, str):
        raise MasterKeyInvalid(
            f"The integration master key{origin} is not text: it must be the "
            f"base64 encoding of exactly {KEY_BYTES} random bytes; "
            + _where_to_configure()
        )
    compact = _WHITESPACE_RE.sub("", text)
    # Accept both alphabets; b64decode(validate=True) then rejects anything else.
    standard = compact.translate(str.maketrans("-_", "+/")).rstrip("=")
    standard += "=" * (-len(standard) % 4)
    try:
        key = base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyInvalid(
            f"The integration master key{origin} is not valid base64: it must be "
            f"the base64 encoding of exactly {KEY_BYTES} random bytes; "
            + _where_to_configure()
        ) from None
    if len(key) != KEY_BYTES:
        raise MasterKeyInvalid(
            f"The integration master key{origin} decodes to {len(key)} bytes, "
            f"{KEY_BYTES} are required; " + _where_to_configure()
        )
    return key


def load_master_key(config_value, environ=None):
    """Return the master key bytes from the Odoo config value or the environment.

    The configuration value wins when it is set (non-empty); otherwise
    ``environ[MASTER_KEY_ENV]`` is used (``environ`` defaults to ``os.environ``).
    Raises :class:`MasterKeyMissing` when neither is set and
    :class:`MasterKeyInvalid` when the chosen value is malformed.
    """
    if environ is None:
        environ = os.environ
    if isinstance(config_value, (str, bytes)) and config_value.strip():
        return parse_master_key(
            config_value, source=f"option `{MASTER_KEY_OPTION}` of the Odoo config"
        )
    env_value = environ.get(MASTER_KEY_ENV)
    if env_value and env_value.strip():
        return parse_master_key(
            env_value, source=f"environment variable {MASTER_KEY_ENV}"
        )
    raise MasterKeyMissing(
        "No integration master key is configured: " + _where_to_configure() + "."
    )


def key_id(key):
    """Return a short public identifier of a master key (12 hex characters).

    It is a hash, safe to store and show; it cannot be turned back into the key.
    """
    return hashlib.sha256(_KEY_ID_PREFIX + bytes(key)).hexdigest()[:KEY_ID_LENGTH]


def _split_token(token):
    """Return ``(key_id, raw_bytes)`` of a token or raise SecretDecryptionError."""
    not_a_token = SecretDecryptionError(
        f"The stored value is not a secret token (expected "
        f"`{TOKEN_VERSION}$<key id>$<data>`): it was not written by the "
        "integration kernel or was truncated; enter the secret again."
    )
    if not isinstance(token, str):
        raise not_a_token
    parts = token.split("$")
    if (
        len(parts) != 3
        or parts[0] != TOKEN_VERSION
        or not _KEY_ID_RE.fullmatch(parts[1])
    ):
        raise not_a_token
    payload = parts[2]
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise not_a_token from None
    # urlsafe_b64decode skips foreign characters and ignores spare bits: insist
    # on the canonical text so every altered character is noticed.
    if base64.urlsafe_b64encode(raw).decode("ascii") != payload:
        raise not_a_token
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise not_a_token
    return parts[1], raw


def token_key_id(token):
    """Return the key id a token was encrypted with (SecretDecryptionError if none)."""
    return _split_token(token)[0]


def is_token(value):
    """Tell whether ``value`` has the shape of a secret token (never raises)."""
    try:
        _split_token(value)
    except SecretDecryptionError:
        return False
    return True


class SecretBox:
    """Encrypts and decrypts secret tokens under one master key.

    >>> box = SecretBox(parse_master_key(generate_master_key()))
    >>> token = box.encrypt("s3cret", context="integration.credential:1:password")
    >>> box.decrypt(token, context="integration.credential:1:password")
    's3cret'
    """

    def __init__(self, key):
        if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
            raise MasterKeyInvalid(
                f"A SecretBox needs a {KEY_BYTES}-byte master key (use "
                f"load_master_key or parse_master_key); " + _where_to_configure()
            )
        self._aead = AESGCM(bytes(key))
        self._key_id = key_id(bytes(key))

    @classmethod
    def from_config(cls, config_value, environ=None):
        """Build a box from the Odoo config value or the environment variable."""
        return cls(load_master_key(config_value, environ))

    @property
    def key_id(self):
        """Public identifier of this box's master key."""
        return self._key_id

    def __repr__(self):
        return f"<SecretBox key_id={self._key_id}>"

    def encrypt(self, plaintext, context=""):
        """Encrypt ``plaintext`` (str) bound to ``context``; return a token."""
        if not isinstance(plaintext, str):
            raise TypeError(
                f"SecretBox.encrypt expects str, got {type(plaintext).__name__}"
            )
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(context)
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{TOKEN_VERSION}${self._key_id}${payload}"

    def decrypt(self, token, context=""):
        """Return the plaintext of ``token``; raise SecretDecryptionError if refused."""
        token_key, raw = _split_token(token)
        if token_key != self._key_id:
            raise SecretDecryptionError(
                f"This secret was encrypted with master key {token_key}, the "
                f"configured key is {self._key_id}: configure the master key it "
                f"was encrypted with (`{MASTER_KEY_OPTION}` in the Odoo "
                f"configuration file or the {MASTER_KEY_ENV} environment "
                "variable), or enter the secret again."
            )
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, sealed, _associated_data(context))
        except InvalidTag:
            where = f" for context {context!r}" if context else ""
            raise SecretDecryptionError(
                f"The secret token (master key {token_key}) failed authentication"
                f"{where}: it was tampered with or copied from another record or "
                "field (wrong context); enter the secret again."
            ) from None
        return plain.decode("utf-8")

    def reencrypt(self, token, new_box, context=""):
        """Decrypt ``token`` with this box and encrypt it again with ``new_box``.

        Used when rotating the master key: both keys are loaded, every stored
        token is passed through, then the old key is retired.
        """
        return new_box.encrypt(self.decrypt(token, context), context)


def _associated_data(context):
    if not isinstance(context, str):
        raise TypeError(f"context must be str, got {type(context).__name__}")
    return context.encode("utf-8")
