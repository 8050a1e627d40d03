"""Base for carriers that speak SOAP, on zeep.

What every SOAP carrier adapter gets from :class:`SoapAdapterBase`:

- the WSDL is fetched and parsed once per URL per process (:func:`load_wsdl`),
  however many adapters (carrier accounts, jobs) use it;
- one ``requests.Session`` per adapter, and zeep's two timeouts both set:
  ``timeout`` bounds only the WSDL/XSD loading, ``operation_timeout`` bounds
  the calls — without it a hung carrier hangs the job;
- the last request and response XML, with credentials masked
  (:class:`RedactedHistory`), for the message log;
- SOAP faults, HTTP errors, timeouts and connection failures turned into
  :class:`~.base.CarrierError` (transient or permanent); subclasses decide
  what their carrier's fault codes mean in :meth:`SoapAdapterBase.fault_error`.
"""

import copy
import re
import threading

import requests
import zeep
import zeep.exceptions
from lxml import etree

from .base import (
    TIMEOUT_STATUSES,
    CarrierAdapter,
    CarrierError,
    is_transient_status,
)

REDACTED = "***"
# Element local names whose text is a secret (matched case-insensitively).
SENSITIVE_ELEMENT_RE = re.compile(
    r"^(password|passwd|pass|apikey|api_key|key|token|accesstoken|secret|"
    r"clientsecret|accesskey|authkey|licensekey|signature)$",
    re.IGNORECASE,
)

_wsdl_cache = {}
_wsdl_lock = threading.Lock()


def load_wsdl(wsdl_url, transport):
    """The parsed WSDL of ``wsdl_url``: fetched on first use, then shared.

    The document only uses ``transport`` while loading; each adapter's client
    sends its calls through its own transport.
    """
    with _wsdl_lock:
        document = _wsdl_cache.get(wsdl_url)
        if document is None:
            document = zeep.wsdl.Document(wsdl_url, transport, settings=zeep.Settings())
            _wsdl_cache[wsdl_url] = document
        return document


def forget_wsdl(wsdl_url=None):
    """Drop a cached WSDL (all when None), e.g. after the carrier changed it."""
    with _wsdl_lock:
        if wsdl_url is None:
            _wsdl_cache.clear()
        else:
            _wsdl_cache.pop(wsdl_url, None)


def redact_xml(element, pattern=SENSITIVE_ELEMENT_RE):
    """Serialise an lxml element with the text of secret elements masked."""
    if element is None:
        return ""
    clone = copy.deepcopy(element)
    for node in clone.iter():
        if not isinstance(node.tag, str):
            continue  # comments, processing instructions
        if pattern.match(etree.QName(node).localname):
            for child in list(node):
                node.remove(child)
            node.text = REDACTED
    return etree.tostring(clone, encoding="unicode", pretty_print=True)


class RedactedHistory(zeep.Plugin):
    """A zeep plugin keeping the last exchange as XML text, secrets masked."""

    def __init__(self, pattern=SENSITIVE_ELEMENT_RE):
        self.pattern = pattern
        self.operation = ""
        self.request_xml = ""
        self.response_xml = ""

    def egress(self, envelope, http_headers, operation, binding_options):
        self.operation = getattr(operation, "name", str(operation))
        self.request_xml = redact_xml(envelope, self.pattern)
        self.response_xml = ""
        return envelope, http_headers

    def ingress(self, envelope, http_headers, operation):
        self.response_xml = redact_xml(envelope, self.pattern)
        return envelope, http_headers


class _RecordingTransport(zeep.Transport):
    """Remembers the last HTTP answer: zeep's errors drop its status and headers."""

    last_response = None

    def post(self, address, message, headers):
        self.last_response = None
        response = super().post(address, message, headers)
        self.last_response = response
        return response


class SoapAdapterBase(CarrierAdapter):
    """A carrier adapter over one SOAP service described by a WSDL.

    ``timeout`` bounds loading the WSDL, ``operation_timeout`` every call
    (seconds; a ``(connect, read)`` pair is accepted too). ``service_url``
    overrides the WSDL's endpoint address (test vs production hosts).
    The client is built on first use, so constructing an adapter never
    touches the network.
    """

    name = "SOAP carrier"
    binding_name = None  # "{namespace}Binding" when service_url is given

    def __init__(
        self,
        wsdl_url,
        *,
        service_url=None,
        timeout=10,
        operation_timeout=30,
        session=None,
    ):
        self.wsdl_url = wsdl_url
        self.service_url = service_url
        self._own_session = session is None
        self.session = session or requests.Session()
        self.transport = _RecordingTransport(
            session=self.session, timeout=timeout, operation_timeout=operation_timeout
        )
        self.history = RedactedHistory()
        self._client = None
        self._service = None

    def close(self):
        if self._own_session:
            self.session.close()

    @property
    def client(self):
        if self._client is None:
            try:
                document = load_wsdl(self.wsdl_url, self.transport)
            except (requests.RequestException, zeep.exceptions.TransportError) as exc:
                raise self._network_error(exc, "loading the WSDL") from exc
            except (zeep.exceptions.Error, etree.XMLSyntaxError) as exc:
                raise CarrierError(
                    f"{self.name}: the WSDL at {self.wsdl_url} cannot be read: {exc}",
                    category="mapping",
                ) from exc
            self._client = zeep.Client(
                document, transport=self.transport, plugins=[self.history]
            )
            if self.service_url:
                binding = self.binding_name or next(iter(document.bindings))
                self._service = self._client.create_service(binding, self.service_url)
            else:
                self._service = self._client.service
        return self._client

    @property
    def last_exchange(self):
        """The last call for the message log: operation, XML both ways (masked)."""
        response = self.transport.last_response
        response_text = self.history.response_xml
        if not response_text and response is not None:
            response_text = response.text[:5000]  # not XML: an HTML error page
        return {
            "operation": self.history.operation,
            "request": self.history.request_xml,
            "response": response_text,
            "http_status": getattr(response, "status_code", None),
        }

    def call(self, operation, **kwargs):
        """Call a SOAP operation; every failure becomes a :class:`CarrierError`."""
        self.client  # noqa: B018 - builds the client (and loads the WSDL) on first use
        try:
            return getattr(self._service, operation)(**kwargs)
        except zeep.exceptions.Fault as fault:
            raise self.fault_error(fault, operation) from fault
        except zeep.exceptions.TransportError as exc:
            raise self._http_error(exc, operation) from exc
        except requests.RequestException as exc:
            raise self._network_error(exc, operation) from exc
        except (zeep.exceptions.ValidationError, TypeError) as exc:
            # Our request does not fit the carrier's schema: a mapping bug.
            raise CarrierError(
                f"{self.name} {operation}: request does not match the WSDL: {exc}",
                category="mapping",
            ) from exc
        except (zeep.exceptions.Error, etree.XMLSyntaxError) as exc:
            raise CarrierError(
                f"{self.name} {operation}: unreadable answer: {exc}",
                category="mapping",
            ) from exc

    def _network_error(self, exc, action):
        if isinstance(exc, requests.Timeout):
            return CarrierError(
                f"{self.name} did not answer in time ({action}): {exc}",
                transient=True,
                category="timeout",
            )
        if isinstance(exc, requests.ConnectionError):
            return CarrierError(
                f"{self.name} is unreachable ({action}): {exc}",
                transient=True,
                category="transport",
            )
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            status = exc.response.status_code
            return CarrierError(
                f"{self.name} answered HTTP {status} ({action})",
                transient=is_transient_status(status),
                category="authentication" if status in (401, 403) else None,
            )
        return CarrierError(f"{self.name} ({action}): {exc}", category="transport")

    def _http_error(self, exc, operation):
        status = exc.status_code or 0
        response = self.transport.last_response
        retry_after = None
        if response is not None:
            try:
                retry_after = float(response.headers.get("Retry-After"))
            except (TypeError, ValueError):
                retry_after = None
        body = (exc.content or b"")[:300]
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        message = f"{self.name} {operation}: HTTP {status}"
        if body.strip():
            message += f": {' '.join(body.split())}"
        if status in (401, 403):
            return CarrierError(message, category="authentication")
        if is_transient_status(status):
            return CarrierError(
                message,
                transient=True,
                category="timeout" if status in TIMEOUT_STATUSES else "transport",
                retry_after=retry_after,
            )
        return CarrierError(message, category="validation")

    def fault_error(self, fault, operation):
        """The CarrierError for a SOAP fault; override for a carrier's codes.

        By default a ``Server`` fault is transient and a ``Client`` fault is
        permanent (our request was refused as it is).
        """
        code = (fault.code or "").rpartition(":")[2]
        return CarrierError(
            f"{self.name} {operation}: {fault.message}",
            transient=code == "Server",
            category="transport" if code == "Server" else "validation",
            code=code or None,
        )
