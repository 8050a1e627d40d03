"""HMAC-SHA256 signatures over the raw request body, with replay protection.

The sender computes ``HMAC-SHA256(secret, "<unix seconds>." + raw body)`` and
sends two headers::

    X-Integration-Timestamp: 1764170000
    X-Integration-Signature: sha256=<64 hex digits>

The receiver verifies the signature over the bytes exactly as received (never
over re-serialised JSON) and refuses timestamps outside a tolerance window, so
a captured request cannot be replayed later. Replays inside the window are
refused by the inbound gateway, which remembers each accepted signature until
its window closes (:func:`normalized_signature` names it).

During a secret rotation an endpoint holds several secrets; :func:`verify`
accepts a signature made with any of them.
"""

import hashlib
import hmac
import re
import time

SIGNATURE_HEADER = "X-Integration-Signature"
TIMESTAMP_HEADER = "X-Integration-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300
SIGNATURE_SCHEME = "sha256"

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST_RE = re.compile(r"[0-9a-fA-F]{64}")

REASONS = ("missing", "malformed", "expired", "mismatch")


class SignatureError(Exception):
    """A request signature was refused; ``reason`` says why.

    ``reason`` is one of ``"missing"``, ``"malformed"``, ``"expired"`` and
    ``"mismatch"``.
    """

    def __init__(self, reason, message):
        if reason not in REASONS:
            raise ValueError(f"unknown signature error reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


def _as_bytes(value, what):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, got {type(value).__name__}")


def _raw_body_bytes(raw_body):
    # A str body would already have been decoded (and maybe re-encoded
    # differently) by someone: signatures are only meaningful over raw bytes.
    if isinstance(raw_body, (bytes, bytearray, memoryview)):
        return bytes(raw_body)
    raise TypeError(
        f"raw_body must be the raw request bytes, got {type(raw_body).__name__}"
    )


def constant_time_equals(a, b):
    """Compare two strings or byte strings in time independent of their content."""
    return hmac.compare_digest(_as_bytes(a, "a"), _as_bytes(b, "b"))


def compute_signature(secret, timestamp, raw_body):
    """Return the hex HMAC-SHA256 of ``timestamp + "." + raw_body`` under ``secret``.

    >>> compute_signature("k", "1", b"{}")[:16]
    '3dd49b2593d0f9a3'
    """
    message = str(timestamp).encode("ascii") + b"." + _raw_body_bytes(raw_body)
    return hmac.new(_as_bytes(secret, "secret"), message, hashlib.sha256).hexdigest()


def sign(secret, raw_body, now=None):
    """Return the headers that sign ``raw_body`` with ``secret`` at time ``now``.

    >>> sorted(sign("k", b"{}", now=1.9))
    ['X-Integration-Signature', 'X-Integration-Timestamp']
    >>> sign("k", b"{}", now=1.9)[TIMESTAMP_HEADER]
    '1'
    """
    timestamp = str(int(time.time() if now is None else now))
    digest = compute_signature(secret, timestamp, raw_body)
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: f"{SIGNATURE_SCHEME}={digest}",
    }


def _parse_signature(signature):
    value = signature.strip()
    scheme, sep, digest = value.partition("=")
    if sep:
        if scheme.strip().lower() != SIGNATURE_SCHEME:
            raise SignatureError(
                "malformed",
                f"Header {SIGNATURE_HEADER} uses scheme {scheme.strip()[:20]!r}; "
                f"only '{SIGNATURE_SCHEME}=<64 hex digits>' is accepted.",
            )
        value = digest.strip()
    if not _HEX_DIGEST_RE.fullmatch(value):
        raise SignatureError(
            "malformed",
            f"Header {SIGNATURE_HEADER} must be '{SIGNATURE_SCHEME}=<64 hex "
            "digits>' (HMAC-SHA256 of '<timestamp>.<raw body>').",
        )
    return value.lower()


def normalized_signature(signature):
    """The lower-case hex digest of a well-formed signature header value, so
    that ``sha256=AB..`` and ``ab..`` name the same signed request.

    >>> normalized_signature("sha256=" + "AB" * 32) == "ab" * 32
    True
    """
    return _parse_signature(signature)


def verify(
    secrets,
    raw_body,
    signature,
    timestamp,
    *,
    now=None,
    tolerance=DEFAULT_TOLERANCE_SECONDS,
):
    """Check a signed request; return None when valid, raise SignatureError if not.

    ``secrets`` are all the secrets currently accepted for the endpoint (two
    during a rotation). Empty secrets are ignored: an empty HMAC key would let
    anyone sign. ``signature`` accepts ``"sha256=<hex>"`` or bare hex.
    Timestamps more than ``tolerance`` seconds away from ``now`` — in the past
    or in the future — are refused as ``"expired"``.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0 seconds")
    body = _raw_body_bytes(raw_body)
    if signature is None or not str(signature).strip():
        raise SignatureError(
            "missing", f"The request has no {SIGNATURE_HEADER} header; sign it."
        )
    if timestamp is None or not str(timestamp).strip():
        raise SignatureError(
            "missing",
            f"The request has no {TIMESTAMP_HEADER} header (unix seconds used "
            "in the signature).",
        )
    if not isinstance(signature, str) or not isinstance(timestamp, str):
        raise TypeError("signature and timestamp must be header strings")
    expected_digest = _parse_signature(signature)
    timestamp = timestamp.strip()
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise SignatureError(
            "malformed",
            f"Header {TIMESTAMP_HEADER} must be the integer unix time in seconds.",
        )
    current = time.time() if now is None else now
    skew = int(timestamp) - current
    if skew < -tolerance:
        raise SignatureError(
            "expired",
            f"Header {TIMESTAMP_HEADER} is {int(-skew)} s old, more than the "
            f"{tolerance} s allowed: sign each request when sending it, and "
            "check the sender's clock.",
        )
    if skew > tolerance:
        raise SignatureError(
            "expired",
            f"Header {TIMESTAMP_HEADER} is {int(skew)} s in the future, more than "
            f"the {tolerance} s allowed: check the sender's clock.",
        )
    candidates = [s for s in secrets if s]
    if not candidates:
        raise SignatureError(
            "mismatch",
            f"No signing secret is configured to check {SIGNATURE_HEADER}.",
        )
    matched = False
    for secret in candidates:
        digest = compute_signature(secret, timestamp, body)
        # Compare with every secret and no early exit, so timing does not tell
        # which of the rotated secrets matched.
        matched |= hmac.compare_digest(digest.encode(), expected_digest.encode())
    if not matched:
        raise SignatureError(
            "mismatch",
            f"Header {SIGNATURE_HEADER} does not match the body: the body was "
            "altered, or it was signed with a secret this endpoint does not hold, "
            "or over re-serialised instead of raw bytes.",
        )
