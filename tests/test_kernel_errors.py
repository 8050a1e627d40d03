import email.utils
import http.server
import socket
import sys
import threading

import pytest
import requests
from kernel import errors
from kernel.errors import (
    AuthenticationError,
    BusinessRuleError,
    IntegrationError,
    OwnershipError,
    PermanentError,
    TransientError,
)

NOW = 1_764_170_000.0

# -- taxonomy ----------------------------------------------------------------


def test_categories_in_order_with_labels():
    assert [code for code, _label in errors.CATEGORIES] == [
        "validation",
        "mapping",
        "transport",
        "authentication",
        "business_rule",
        "duplicate",
        "ownership",
        "timeout",
        "sla",
        "acknowledgement",
    ]
    labels = dict(errors.CATEGORIES)
    assert labels["sla"] == "SLA breach"
    assert labels["acknowledgement"] == "Acknowledgement missing"


@pytest.mark.parametrize(
    "cls,category,transient",
    [
        (IntegrationError, "transport", False),
        (TransientError, "transport", True),
        (PermanentError, "validation", False),
        (AuthenticationError, "authentication", False),
        (BusinessRuleError, "business_rule", False),
        (OwnershipError, "ownership", False),
    ],
)
def test_class_defaults(cls, category, transient):
    error = cls("boom")
    assert error.category == category
    assert error.transient is transient
    assert error.details is None
    assert str(error) == "boom"
    assert isinstance(error, IntegrationError)


def test_category_and_details_per_instance():
    error = PermanentError("dup", category="duplicate", details="line 3")
    assert error.category == "duplicate"
    assert error.details == "line 3"
    assert PermanentError.category == "validation"  # class default untouched


def test_unknown_category_refused():
    with pytest.raises(ValueError, match="unknown error category 'typo'"):
        IntegrationError("x", category="typo")


def test_transient_retry_after():
    assert TransientError("x").retry_after is None
    assert TransientError("x", retry_after=12).retry_after == 12.0
    assert TransientError("x", retry_after=-3).retry_after == 0.0


def test_hierarchy():
    assert issubclass(AuthenticationError, PermanentError)
    assert issubclass(BusinessRuleError, PermanentError)
    assert issubclass(OwnershipError, PermanentError)
    assert not issubclass(TransientError, PermanentError)


# -- Retry-After -------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        (30, 30.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("12 seconds", None),
        ("Thu, 99 Foo 2025 99:99:99 GMT", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_parse_retry_after_seconds_and_garbage(value, expected):
    assert errors.parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date():
    future = email.utils.formatdate(NOW + 90, usegmt=True)
    assert errors.parse_retry_after(future, now=NOW) == pytest.approx(90.0)
    past = email.utils.formatdate(NOW - 90, usegmt=True)
    assert errors.parse_retry_after(past, now=NOW) == 0.0


def test_parse_retry_after_rfc_example_and_default_now():
    assert errors.parse_retry_after(
        "Fri, 31 Dec 1999 23:59:59 GMT", now=946684799.0 - 60
    ) == pytest.approx(60.0)
    assert errors.parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT") == 0.0


# -- HTTP status mapping -----------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 301, 302, 304])
def test_success_and_redirect_give_none(status):
    assert errors.error_for_http_status(status) is None


@pytest.mark.parametrize(
    "status,cls,category,retry_after",
    [
        (408, TransientError, "timeout", None),
        (425, TransientError, "transport", None),
        (429, TransientError, "transport", 30.0),
        (500, TransientError, "transport", None),
        (501, TransientError, "transport", None),
        (502, TransientError, "transport", None),
        (503, TransientError, "transport", 30.0),
        (504, TransientError, "timeout", None),
        (599, TransientError, "transport", None),
        (401, AuthenticationError, "authentication", None),
        (403, AuthenticationError, "authentication", None),
        (409, PermanentError, "duplicate", None),
        (400, PermanentError, "validation", None),
        (404, PermanentError, "validation", None),
        (422, PermanentError, "validation", None),
        (499, PermanentError, "validation", None),
    ],
)
def test_http_status_table(status, cls, category, retry_after):
    error = errors.error_for_http_status(
        status, retry_after="30", body_excerpt="nope", url="https://partner/api"
    )
    assert type(error) is cls
    assert error.category == category
    if cls is TransientError:
        assert error.retry_after == retry_after
    assert str(status) in str(error)
    assert "https://partner/api" in str(error)
    assert "nope" in str(error)


def test_retry_after_as_http_date_on_429(monkeypatch):
    monkeypatch.setattr(errors.time, "time", lambda: NOW)
    date = email.utils.formatdate(NOW + 45, usegmt=True)
    error = errors.error_for_http_status(429, retry_after=date)
    assert error.retry_after == pytest.approx(45.0)


def test_body_excerpt_is_short_and_details_keep_more():
    body = "x" * 300 + "\n\n   " + "y" * 2000
    error = errors.error_for_http_status(400, body_excerpt=body, url="https://p/x")
    excerpt = str(error).split(": ", 1)[1]
    assert len(excerpt) <= errors.BODY_EXCERPT_CHARS
    assert excerpt.endswith("…")
    assert "x y" in excerpt  # whitespace collapsed
    assert error.details == body
    assert errors.error_for_http_status(400, body_excerpt="short").details is None


def test_bytes_body_is_decoded():
    error = errors.error_for_http_status(422, body_excerpt="quantité\xff".encode())
    assert "quantité" in str(error)


def test_url_credentials_are_redacted():
    error = errors.error_for_http_status(
        400, url="https://user:pw@partner.example/api?api_key=abc123&page=2"
    )
    message = str(error)
    assert "pw" not in message and "abc123" not in message
    assert "partner.example/api" in message
    assert "page=2" in message


def test_message_gives_advice_for_auth():
    error = errors.error_for_http_status(401, url="https://p")
    assert "check the credentials" in str(error)


# -- exception classification ------------------------------------------------


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/orders"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture
def closed_port_url():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/orders"


@pytest.fixture
def http_server():
    """A local HTTP server answering 429 with Retry-After on /busy, 401 elsewhere."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/busy"):
                self.send_response(429)
                self.send_header("Retry-After", "17")
                body = b"slow down"
            else:
                self.send_response(401)
                body = b'{"error": "invalid api key"}'
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _caught(callable_, *args, **kwargs):
    try:
        callable_(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point is to capture it
        return exc
    raise AssertionError("expected an exception")


def test_real_requests_read_timeout(silent_server):
    exc = _caught(requests.get, silent_server, timeout=(2, 0.3))
    assert isinstance(exc, requests.ReadTimeout)
    error = errors.classify_exception(exc)
    assert type(error) is TransientError
    assert error.category == "timeout"
    assert error.__cause__ is exc
    assert "ReadTimeout" in str(error)
    assert "no answer within the read timeout" in str(error)
    assert "\n" not in str(error)
    # The library's text for the details; the traceback apart, for managers.
    assert "Read timed out" in error.details
    assert "Traceback" in error.trace


def test_real_requests_connection_refused(closed_port_url):
    exc = _caught(requests.get, closed_port_url, timeout=2)
    assert isinstance(exc, requests.ConnectionError)
    error = errors.classify_exception(exc)
    assert type(error) is TransientError
    assert error.category == "transport"
    # One line a person can act on; the library's nested text is in the details.
    port = closed_port_url.split(":")[2].split("/")[0]
    assert str(error) == f"Connection failed: 127.0.0.1:{port}: connection refused"
    assert "HTTPConnectionPool" in error.details
    assert "HTTPConnectionPool" not in str(error)


def test_unresolvable_host_reads_as_such():
    # The text urllib3 gives for a failed DNS lookup (no lookup made here).
    request = requests.Request("GET", "http://user:pw@erp.example:8080/x").prepare()
    exc = requests.ConnectionError(
        "HTTPConnectionPool(host='erp.example', port=8080): Max retries exceeded "
        'with url: /x (Caused by NameResolutionError("<urllib3.connection.'
        "HTTPConnection object>: Failed to resolve 'erp.example' ([Errno -2] Name "
        'or service not known)"))',
        request=request,
    )
    error = errors.classify_exception(exc)
    assert str(error) == "Connection failed: erp.example:8080: host name not found"


def test_real_socket_timeout_and_refusal(silent_server, closed_port_url):
    port = int(silent_server.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.settimeout(0.2)
        exc = _caught(connection.recv, 1)
    assert isinstance(exc, socket.timeout)
    assert errors.classify_exception(exc).category == "timeout"

    refused_port = int(closed_port_url.split(":")[2].split("/")[0])
    exc = _caught(socket.create_connection, ("127.0.0.1", refused_port), timeout=2)
    assert isinstance(exc, ConnectionRefusedError)
    error = errors.classify_exception(exc)
    assert (type(error), error.category) == (TransientError, "transport")


def test_real_http_error_429_carries_retry_after(http_server):
    response = requests.get(http_server + "/busy?token=s3cret", timeout=5)
    exc = _caught(response.raise_for_status)
    error = errors.classify_exception(exc)
    assert type(error) is TransientError
    assert error.retry_after == 17.0
    assert "429" in str(error) and "slow down" in str(error)
    assert "/busy" in str(error) and "s3cret" not in str(error)


def test_real_http_error_401_is_authentication(http_server):
    response = requests.get(http_server + "/orders", timeout=5)
    error = errors.classify_exception(_caught(response.raise_for_status))
    assert type(error) is AuthenticationError
    assert "invalid api key" in str(error)


def test_http_error_without_response_is_permanent():
    error = errors.classify_exception(requests.HTTPError("no response attached"))
    assert isinstance(error, PermanentError)
    assert error.category == "transport"


def test_connect_timeout_counts_as_timeout():
    error = errors.classify_exception(requests.ConnectTimeout("connect timed out"))
    assert (type(error), error.category) == (TransientError, "timeout")


def test_configuration_errors_of_requests_are_permanent():
    exc = _caught(requests.get, "not-a-url", timeout=1)
    assert isinstance(exc, requests.exceptions.MissingSchema)
    error = errors.classify_exception(exc)
    assert isinstance(error, PermanentError)
    assert "MissingSchema" in str(error)


@pytest.mark.parametrize(
    "exc,category",
    [
        (TimeoutError("slow"), "timeout"),
        (ConnectionResetError("reset"), "transport"),
        (ConnectionError("gone"), "transport"),
        (OSError(113, "No route to host"), "transport"),
    ],
)
def test_builtin_network_errors_are_transient(exc, category):
    error = errors.classify_exception(exc)
    assert type(error) is TransientError
    assert error.category == category
    assert error.__cause__ is exc


def test_integration_error_returned_unchanged():
    original = BusinessRuleError("credit limit")
    assert errors.classify_exception(original) is original


def test_anything_else_is_a_permanent_mapping_error():
    exc = _caught(lambda: {}["partner_ref"])
    error = errors.classify_exception(exc)
    assert type(error) is PermanentError
    assert error.category == "mapping"
    assert str(error) == "KeyError: 'partner_ref'"
    assert "Traceback" in error.details
    assert error.__cause__ is exc


def test_classify_works_without_requests(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests", None)  # makes `import requests` fail
    assert errors._optional_requests() is None
    assert errors.classify_exception(TimeoutError()).category == "timeout"
    assert errors.classify_exception(ValueError("bad")).category == "mapping"


class _Response:
    """The attributes of a requests.Response that error_for_response reads."""

    def __init__(self, status_code, text="", headers=None, url="https://p.example/x"):
        self.status_code = status_code
        self.text = text
        self.headers = headers or {}
        self.url = url


def test_error_for_response_success_is_none():
    assert errors.error_for_response(_Response(201)) is None


def test_error_for_response_carries_retry_after_and_url():
    error = errors.error_for_response(
        _Response(503, "down", {"Retry-After": "12"}, "https://p.example/api")
    )
    assert isinstance(error, errors.TransientError)
    assert error.retry_after == 12.0
    assert "https://p.example/api" in str(error)
    assert "down" in str(error)


def test_error_for_response_url_override():
    error = errors.error_for_response(_Response(404), "https://other.example/y")
    assert "https://other.example/y" in str(error)
    assert isinstance(error, errors.PermanentError)


class _CarrierDown(Exception):
    transient = True
    category = "timeout"
    retry_after = 7.0


class _AddressRefused(Exception):
    transient = False
    category = "not-a-category"


def test_declared_transient_error_is_honoured():
    error = errors.classify_exception(_CarrierDown("gateway busy"))
    assert isinstance(error, errors.TransientError)
    assert (error.category, error.retry_after) == ("timeout", 7.0)
    assert "gateway busy" in str(error)
    assert isinstance(error.__cause__, _CarrierDown)


def test_declared_permanent_error_with_unknown_category_falls_back():
    error = errors.classify_exception(_AddressRefused("no such street"))
    assert isinstance(error, errors.PermanentError)
    assert error.category == "validation"


def test_non_boolean_transient_attribute_is_ignored():
    class Odd(Exception):
        transient = "yes"

    assert errors.classify_exception(Odd("x")).category == "mapping"
