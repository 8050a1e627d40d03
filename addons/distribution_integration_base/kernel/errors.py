"""Error taxonomy shared by the kernel and every channel.

Channels raise (or let :func:`classify_exception` turn library exceptions into)
one of three kinds, whose names say what happens next:

- :class:`TransientError` — retried later with back-off (``retry_after`` honours
  the server's ``Retry-After``);
- :class:`PermanentError` and its subclasses — not retried; the exchange goes to
  the exception queue with its category so a person can act;
- :class:`ConflictError` — concurrent work stored the same data first; retried
  within seconds on the committed state, without blaming the partner;
- any other :class:`IntegrationError` — treated by its ``transient`` flag.

``category`` is one of the codes of :data:`CATEGORIES`, used to group and
route exceptions.
"""

import email.utils
import http
import random
import re
import time
import traceback
from datetime import timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CATEGORIES = (
    ("validation", "Validation"),
    ("mapping", "Mapping"),
    ("transport", "Transport"),
    ("authentication", "Authentication"),
    ("business_rule", "Business rule"),
    ("duplicate", "Duplicate"),
    ("ownership", "Ownership"),
    ("timeout", "Timeout"),
    ("sla", "SLA breach"),
    ("acknowledgement", "Acknowledgement missing"),
)
CATEGORY_CODES = frozenset(code for code, _label in CATEGORIES)

BODY_EXCERPT_CHARS = 500
DETAILS_MAX_CHARS = 20000
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
TIMEOUT_STATUSES = frozenset({408, 504})

_SECONDS_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_SENSITIVE_QUERY_RE = re.compile(
    r"key|token|secret|pass|sig|auth|credential|session", re.IGNORECASE
)


class IntegrationError(Exception):
    """Base of every error the kernel understands.

    ``category`` overrides the class default for this instance; ``details``
    holds longer diagnostic text (a body, a traceback) for the exception queue.
    ``trace`` is the Python traceback of the exception it was classified from,
    if any: for those who may see server internals only.
    """

    category = "transport"
    transient = False
    trace = None

    def __init__(self, message, *, category=None, details=None):
        super().__init__(message)
        if category is not None:
            if category not in CATEGORY_CODES:
                raise ValueError(
                    f"unknown error category {category!r}; use one of "
                    + ", ".join(sorted(CATEGORY_CODES))
                )
            self.category = category
        self.message = message
        self.details = details


class TransientError(IntegrationError):
    """A failure that may go away: retry later (after ``retry_after`` s if set)."""

    transient = True

    def __init__(self, message, *, category=None, details=None, retry_after=None):
        super().__init__(message, category=category, details=details)
        self.retry_after = None if retry_after is None else max(0.0, float(retry_after))


class ConflictError(TransientError):
    """Concurrent work stored the same data first (a unique key taken meanwhile).

    Nothing is wrong with the partner or the document: the attempt is retried
    after ``retry_after`` seconds (a few, spread so that the two conflicting
    workers do not meet again), and it says nothing about the endpoint's health.

    >>> error = ConflictError("tracking event stored twice", rand=lambda: 0.5)
    >>> error.category, error.transient, error.retry_after
    ('duplicate', True, 3.0)
    """

    category = "duplicate"
    RETRY_SECONDS = (1.0, 5.0)

    def __init__(self, message, *, details=None, rand=random.random):
        low, high = self.RETRY_SECONDS
        super().__init__(
            message, details=details, retry_after=low + (high - low) * rand()
        )


class PermanentError(IntegrationError):
    """A failure retrying cannot fix: a person must correct data or configuration."""

    category = "validation"


class AuthenticationError(PermanentError):
    """The partner refused our credentials, or a caller presented wrong ones."""

    category = "authentication"


class BusinessRuleError(PermanentError):
    """The data is well-formed but breaks a business rule."""

    category = "business_rule"


class OwnershipError(PermanentError):
    """The record belongs to another company, partner or endpoint."""

    category = "ownership"


def parse_retry_after(value, now=None):
    """Return the delay in seconds announced by a ``Retry-After`` header value.

    Accepts delta-seconds or an HTTP-date; a negative delay or a date in the
    past gives ``0.0``; anything unreadable gives ``None``.

    >>> parse_retry_after("120")
    120.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0)
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        return max(0.0, seconds) if seconds == seconds else None  # NaN
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS_RE.fullmatch(text):
        return max(0.0, float(text))
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # "-0000" means UTC of unknown origin
        moment = moment.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def redact_url(url):
    """Return ``url`` without user info and with sensitive query values masked."""
    if not url:
        return ""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparsable url>"
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SENSITIVE_QUERY_RE.search(k) else v) for k, v in pairs],
            safe="*",
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _body_text(body):
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body[: DETAILS_MAX_CHARS * 4]).decode("utf-8", "replace")
    return str(body)


def _excerpt(text, limit=BODY_EXCERPT_CHARS):
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_STATUS_ADVICE = {
    401: "check the credentials of this endpoint",
    403: "check the credentials and permissions of this endpoint",
    404: "check the endpoint URL and the identifiers sent",
    409: "the partner already holds this document; check for a duplicate",
    429: "the partner is rate limiting; it will be retried",
}


def is_transient_status(status):
    """Whether an HTTP status means "try again later": the one rule every channel
    applies (408, 425, 429 and every 5xx).

    >>> [status for status in (400, 408, 409, 425, 429, 500, 501, 599, 600)
    ...  if is_transient_status(status)]
    [408, 425, 429, 500, 501, 599]
    """
    status = int(status)
    return status in TRANSIENT_STATUSES or 500 <= status < 600


def error_for_http_status(status, *, retry_after=None, body_excerpt="", url=""):
    """Map an HTTP response status to the error to raise, or None for success.

    2xx/3xx give None; 408, 425, 429 and every 5xx are transient (429 and 503
    carry ``retry_after``, 408 and 504 are timeouts); 401/403 are
    authentication errors; 409 is a duplicate; other 4xx are validation errors.

    >>> error_for_http_status(204) is None
    True
    >>> err = error_for_http_status(503, retry_after="30", url="https://x/api")
    >>> type(err).__name__, err.retry_after, err.category
    ('TransientError', 30.0, 'transport')
    """
    status = int(status)
    if status < 400:
        return None
    try:
        phrase = " " + http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    body = _body_text(body_excerpt)
    excerpt = _excerpt(body)
    message = f"HTTP {status}{phrase} from {redact_url(url) or 'the partner'}"
    advice = _STATUS_ADVICE.get(status)
    if advice:
        message += f" ({advice})"
    if excerpt:
        message += f": {excerpt}"
    details = body[:DETAILS_MAX_CHARS] if len(body) > BODY_EXCERPT_CHARS else None

    if is_transient_status(status):
        return TransientError(
            message,
            category="timeout" if status in TIMEOUT_STATUSES else "transport",
            details=details,
            retry_after=(
                parse_retry_after(retry_after)
                if status in RETRY_AFTER_STATUSES
                else None
            ),
        )
    if status in (401, 403):
        return AuthenticationError(message, details=details)
    if status == 409:
        return PermanentError(message, category="duplicate", details=details)
    if status < 500:
        return PermanentError(message, category="validation", details=details)
    return PermanentError(message, category="transport", details=details)


def error_for_response(response, url=None):
    """:func:`error_for_http_status` for a ``requests``-style response (anything
    with ``status_code``, ``headers``, ``text`` and ``url``): None on success.

    >>> class Answer:
    ...     status_code, headers, text, url = 429, {"Retry-After": "5"}, "slow", "https://x"
    >>> error_for_response(Answer()).retry_after
    5.0
    """
    return error_for_http_status(
        response.status_code,
        retry_after=response.headers.get("Retry-After"),
        body_excerpt=response.text,
        url=url or getattr(response, "url", ""),
    )


def _optional_requests():
    try:
        import requests
    except ImportError:
        return None
    return requests


def _traceback_text(exc):
    if exc.__traceback__ is None:
        return None
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text[-DETAILS_MAX_CHARS:]


def _describe(exc):
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def classify_exception(exc):
    """Turn any exception raised while talking to a partner into an IntegrationError.

    IntegrationErrors are returned unchanged. An exception that declares a
    boolean ``transient`` attribute (optionally ``category`` and
    ``retry_after``) is taken at its word: channel protocol libraries raise
    their own exceptions without importing this module. Timeouts and
    connection errors (of ``requests`` when installed, or of the socket layer)
    become transient; ``requests.HTTPError`` is mapped by its response status;
    anything else is a permanent ``mapping`` error (a bug or unexpected data in
    our code). The original exception is kept as ``__cause__``.

    >>> class LabelRefused(Exception):
    ...     transient, category = False, "validation"
    >>> type(classify_exception(LabelRefused("no such service"))).__name__
    'PermanentError'
    """
    if isinstance(exc, IntegrationError):
        return exc
    result = _declared_error(exc)
    if result is None:
        result = _classify_requests_exception(exc, _optional_requests())
    if result is None:
        if isinstance(exc, TimeoutError):  # socket.timeout is an alias since 3.10
            result = _with_library_text(
                TransientError(f"Timed out ({type(exc).__name__})", category="timeout"),
                exc,
            )
        elif isinstance(exc, OSError):  # ConnectionError is an OSError too
            result = _with_library_text(
                TransientError(
                    "Connection failed: "
                    + _connection_cause(exc, "the partner could not be reached"),
                    category="transport",
                ),
                exc,
            )
        else:
            result = PermanentError(_describe(exc), category="mapping")
    result.trace = _traceback_text(exc)
    if result.details is None:
        result.details = result.trace
    result.__cause__ = exc
    return result


def _declared_error(exc):
    """The IntegrationError an exception asks for through its attributes.

    Besides ``transient``, ``category`` and ``retry_after``, an exception may
    carry ``message`` (the partner's own words, shown as they are) and
    ``details`` (longer diagnostics: a body, a protocol exchange).

    >>> class Refused(Exception):
    ...     transient, message, details = False, "Unknown service X", "<fault/>"
    >>> error = classify_exception(Refused("raw"))
    >>> str(error), error.details
    ('Unknown service X', '<fault/>')
    """
    transient = getattr(exc, "transient", None)
    if not isinstance(transient, bool):
        return None
    category = getattr(exc, "category", None)
    if category not in CATEGORY_CODES:
        category = "transport" if transient else "validation"
    text = getattr(exc, "message", None)
    if not isinstance(text, str) or not text:
        text = _describe(exc)
    details = getattr(exc, "details", None)
    if not isinstance(details, str) or not details:
        details = None
    if transient:
        return TransientError(
            text,
            category=category,
            details=details,
            retry_after=getattr(exc, "retry_after", None),
        )
    return PermanentError(text, category=category, details=details)


# What a connection error's library text means, for a one-line cause; first
# match wins (searched in lower case).
_CONNECTION_REASONS = (
    ("connection refused", "connection refused"),
    ("name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("temporary failure in name resolution", "host name not found"),
    ("failed to resolve", "host name not found"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("certificate verify failed", "TLS certificate not trusted"),
    ("wrong version number", "TLS handshake failed (is it http or https?)"),
    ("sslerror", "TLS handshake failed"),
    ("connection reset", "connection reset by the partner"),
    ("remotedisconnected", "the partner closed the connection without answering"),
    ("connection aborted", "the partner closed the connection"),
    ("read timed out", "no answer within the read timeout"),
    ("connect timeout", "no connection within the connect timeout"),
    ("timed out", "timed out"),
)


def _where(exc):
    """``host:port`` the failed request went to, without credentials or path."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    netloc = urlsplit(url).netloc.rpartition("@")[2] if url else ""
    return netloc


def _connection_cause(exc, default):
    """One line a person can act on, e.g. ``api.example.com:443: connection refused``.

    The library's own text (nested pool and socket errors) goes to the details.
    """
    text = f"{type(exc).__name__} {exc}".lower()
    reason = next((why for key, why in _CONNECTION_REASONS if key in text), default)
    where = _where(exc)
    return f"{where}: {reason}" if where else reason


def _with_library_text(error, exc):
    """Keep the library's full text in the details (the traceback goes to
    ``trace``, set by :func:`classify_exception`)."""
    error.details = _describe(exc)[-DETAILS_MAX_CHARS:]
    return error


def _classify_requests_exception(exc, requests):
    if requests is None or not isinstance(exc, requests.RequestException):
        return None
    # ConnectTimeout is both a Timeout and a ConnectionError: test Timeout first.
    if isinstance(exc, requests.Timeout):
        default = (
            "no connection within the connect timeout"
            if isinstance(exc, requests.ConnectTimeout)
            else "no answer within the read timeout"
        )
        return _with_library_text(
            TransientError(
                f"Timed out ({type(exc).__name__}): {_connection_cause(exc, default)}",
                category="timeout",
            ),
            exc,
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return _with_library_text(
            TransientError(
                "Connection dropped mid-response: "
                + _connection_cause(exc, "the answer was cut off"),
                category="transport",
            ),
            exc,
        )
    if isinstance(exc, requests.ConnectionError):
        return _with_library_text(
            TransientError(
                "Connection failed: "
                + _connection_cause(exc, "the partner could not be reached"),
                category="transport",
            ),
            exc,
        )
    response = getattr(exc, "response", None)
    if isinstance(exc, requests.HTTPError) and response is not None:
        try:
            body = response.text
        except Exception:  # undecodable or consumed body must not hide the status
            body = ""
        error = error_for_http_status(
            response.status_code,
            retry_after=response.headers.get("Retry-After"),
            body_excerpt=body[:DETAILS_MAX_CHARS],
            url=response.url or "",
        )
        if error is not None:
            return error
    # InvalidURL, MissingSchema, TooManyRedirects...: retrying cannot help.
    return PermanentError(
        f"{_describe(exc)} (check the endpoint configuration)", category="transport"
    )
