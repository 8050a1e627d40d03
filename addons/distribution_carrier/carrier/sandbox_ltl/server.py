"""SANDBOX LTL freight carrier: a SOAP 1.1 service on the standard library.

Not a real carrier. Demos and tests book pallets against it exactly as they
would against a carrier's SOAP API: it serves its own WSDL at ``/ltl?wsdl`` and
answers RateQuote, BookShipment, ReturnShipment, CancelShipment and
TrackShipment deterministically.

- Prices: a formula of weight, freight class and a "distance" made from the
  postal codes (:func:`quote_amount`).
- PRO numbers come from a counter (first booking: ``SANDBOX_FIRST_PRO``); the
  bill of lading number is ``BOL`` + PRO. Booking again with the same
  ``Reference`` returns the existing shipment (``Created`` false).
- ReturnShipment books a return: the same request as BookShipment (Shipper is
  the party sending the freight back, Consignee the warehouse receiving it)
  plus an optional ``OriginalProNumber``; the return gets its own PRO, a
  "RETURN" bill of lading and handling-unit labels, and is tracked and
  cancelled like any shipment.
- Faults carry a ``SandboxFault`` detail (``Code``, ``Transient``, ``Message``).
  Postal code ``00000`` → ``AddressRejected``; wrong credentials →
  ``AuthenticationFailed``; over 20,000 kg → ``OverweightShipment``.
- Control endpoints (JSON): ``POST /_sandbox/mode`` with ``{"down": true}``
  (HTTP 503; ``"down_style": "fault"`` gives a ``ServiceUnavailable`` SOAP fault
  instead) and ``{"delay": seconds}`` (slow answers); ``POST
  /_sandbox/advance/<pro>`` walks a shipment one tracking step on (or to
  ``{"to": "delivered", "signed_by": "..."}``); ``POST /_sandbox/reset``;
  ``GET /_sandbox/state`` (shipments and how often the WSDL was fetched).
- Public tracking page: ``GET /track/<PRO>`` (HTML); bookings return its URL in
  ``TrackingUrl``.
"""

import base64
import html
import json
import logging
import threading
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .pdf import text_pdf

_logger = logging.getLogger(__name__)

NS = "urn:dis-sandbox:ltl:v1"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_PATH = Path(__file__).with_name("ltl_sandbox.wsdl")
SERVICE_PATH = "/ltl"
TRACK_PATH = "/track"  # the public tracking page: /track/<PRO>

SANDBOX_USERNAME = "sandbox"
SANDBOX_PASSWORD = "sandbox-password"
SANDBOX_FIRST_PRO = 70000001
REJECTED_POSTAL_CODE = "00000"
MAX_WEIGHT_KG = 20000

SERVICES = {
    # code: (name, price factor, extra transit days)
    "STD": ("Sandbox Standard LTL", 1.0, 1),
    "GTD": ("Sandbox Guaranteed LTL", 1.3, 0),
}

# Tracking walk: (sandbox status, event code, description, location kind).
TRACKING_STEPS = {
    "picked_up": ("PICKED_UP", "PU", "Picked up from shipper", "origin"),
    "in_transit": ("IN_TRANSIT", "AR", "Arrived at sandbox linehaul terminal", "hub"),
    "out_for_delivery": ("OUT_FOR_DELIVERY", "OD", "Out for delivery", "destination"),
    "delivered": ("DELIVERED", "D1", "Delivered", "destination"),
}
STEP_ORDER = ("picked_up", "in_transit", "out_for_delivery", "delivered")
EXCEPTION_STEP = ("EXCEPTION", "EX", "Delivery exception", "destination")

ET.register_namespace("soap", SOAP_NS)
ET.register_namespace("ltl", NS)


class SandboxFault(Exception):
    """A SOAP fault the sandbox answers with."""

    def __init__(self, code, message, *, transient=False, client=True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient
        self.client = client


def _postal_number(postal_code):
    digits = "".join(ch for ch in postal_code if ch.isdigit())[:3]
    if digits:
        return int(digits)
    return sum(ord(ch) for ch in postal_code) % 1000


def distance_km(origin_postal, destination_postal):
    """The sandbox's made-up distance between two postal codes."""
    return 80 + 4 * abs(
        _postal_number(origin_postal) - _postal_number(destination_postal)
    )


def quote_amount(items, origin_postal, destination_postal, service_code="STD"):
    """Price in USD: 95.00 + 0.11 per kg per 100 km, scaled by freight class/100.

    >>> quote_amount([{"weight": 500.0, "freight_class": "100"}], "10001", "10001")
    139.0
    """
    distance = distance_km(origin_postal, destination_postal)
    total = 95.0
    for item in items:
        freight_class = float(item["freight_class"] or 100)
        total += 0.11 * item["weight"] * distance / 100 * freight_class / 100
    return round(total * SERVICES[service_code][1], 2)


def transit_days(origin_postal, destination_postal, service_code="STD"):
    return (
        1
        + distance_km(origin_postal, destination_postal) // 800
        + SERVICES[service_code][2]
    )


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0)


class _State:
    """Everything the sandbox remembers; one lock guards it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.next_pro = SANDBOX_FIRST_PRO
        self.shipments = {}  # PRO -> dict
        self.by_reference = {}  # booking reference -> PRO
        self.down = False
        self.down_style = "http"
        self.delay = 0.0
        self.wsdl_requests = 0
        self.soap_requests = 0


def _local(tag):
    return tag.rpartition("}")[2]


def _child(element, name):
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element, name, default=""):
    child = _child(element, name)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _sub(parent, name, text=None):
    element = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _envelope(body_element):
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    body.append(body_element)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(envelope)


def _fault_envelope(fault):
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    element = ET.SubElement(body, f"{{{SOAP_NS}}}Fault")
    ET.SubElement(element, "faultcode").text = (
        "soap:Client" if fault.client else "soap:Server"
    )
    ET.SubElement(element, "faultstring").text = fault.message
    detail = ET.SubElement(element, "detail")
    sandbox_fault = ET.SubElement(detail, f"{{{NS}}}SandboxFault")
    _sub(sandbox_fault, "Code", fault.code)
    _sub(sandbox_fault, "Transient", "true" if fault.transient else "false")
    _sub(sandbox_fault, "Message", fault.message)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(envelope)


class LtlSandbox:
    """The sandbox's business logic, independent of HTTP."""

    def __init__(self, username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD):
        self.username = username
        self.password = password
        self.state = _State()
        self.public_url = ""  # where the tracking pages are served, once bound

    # -- SOAP operations -------------------------------------------------
    def dispatch(self, request_element):
        operation = _local(request_element.tag)
        handler = {
            "RateQuoteRequest": self.rate_quote,
            "BookShipmentRequest": self.book_shipment,
            "ReturnShipmentRequest": self.return_shipment,
            "CancelShipmentRequest": self.cancel_shipment,
            "TrackShipmentRequest": self.track_shipment,
        }.get(operation)
        if handler is None:
            raise SandboxFault("UnknownOperation", f"No operation for {operation}")
        self._authenticate(_child(request_element, "Credentials"))
        return handler(request_element)

    def _authenticate(self, credentials):
        if (
            _text(credentials, "UserName") != self.username
            or _text(credentials, "Password") != self.password
        ):
            raise SandboxFault(
                "AuthenticationFailed", "Invalid user name or password for the sandbox"
            )

    def _party(self, request, role):
        element = _child(request, role)
        party = {
            name.lower(): _text(element, name)
            for name in ("Name", "Street", "City", "State", "PostalCode", "Country")
        }
        if not party["postalcode"]:
            raise SandboxFault("InvalidRequest", f"{role} PostalCode is required")
        if party["postalcode"] == REJECTED_POSTAL_CODE:
            raise SandboxFault(
                "AddressRejected",
                f"{role} address rejected: postal code {REJECTED_POSTAL_CODE} "
                f"is not a deliverable postal code in {party['country'] or 'US'}",
            )
        return party

    def _items(self, request):
        items = []
        for element in _child(request, "Items") or ():
            try:
                weight = float(_text(element, "WeightKg", "0"))
                pieces = int(_text(element, "Pieces", "1"))
            except ValueError as exc:
                raise SandboxFault("InvalidRequest", f"Item: {exc}") from None
            items.append(
                {
                    "reference": _text(element, "Reference"),
                    "description": _text(element, "Description"),
                    "weight": weight,
                    "freight_class": _text(element, "FreightClass", "100"),
                    "pieces": pieces,
                }
            )
        if not items:
            raise SandboxFault("InvalidRequest", "At least one Item is required")
        total = sum(item["weight"] for item in items)
        if total > MAX_WEIGHT_KG:
            raise SandboxFault(
                "OverweightShipment",
                f"Total weight {total:.0f} kg exceeds the LTL limit of "
                f"{MAX_WEIGHT_KG} kg; book a full truckload instead",
            )
        return items

    def rate_quote(self, request):
        shipper = self._party(request, "Shipper")
        consignee = self._party(request, "Consignee")
        items = self._items(request)
        response = ET.Element(f"{{{NS}}}RateQuoteResponse")
        for code, (name, _factor, _days) in SERVICES.items():
            amount = quote_amount(
                items, shipper["postalcode"], consignee["postalcode"], code
            )
            quote = _sub(response, "Quote")
            _sub(quote, "ServiceCode", code)
            _sub(quote, "ServiceName", name)
            _sub(quote, "Amount", f"{amount:.2f}")
            _sub(quote, "Currency", "USD")
            days = transit_days(shipper["postalcode"], consignee["postalcode"], code)
            _sub(quote, "TransitDays", days)
            _sub(
                quote,
                "QuoteNumber",
                f"Q{code}-{shipper['postalcode']}-{consignee['postalcode']}-"
                f"{int(amount * 100)}",
            )
        return response

    def book_shipment(self, request):
        return self._book(request, "BookShipmentResponse")

    def return_shipment(self, request):
        """Book a return (its own PRO), optionally tied to the outbound PRO."""
        original = _text(request, "OriginalProNumber")
        if original:
            with self.state.lock:
                self._shipment(original)  # NotFound for an unknown PRO
        return self._book(
            request, "ReturnShipmentResponse", is_return=True, original_pro=original
        )

    def _book(self, request, response_name, *, is_return=False, original_pro=""):
        shipper = self._party(request, "Shipper")
        consignee = self._party(request, "Consignee")
        items = self._items(request)
        service_code = _text(request, "ServiceCode") or "STD"
        if service_code not in SERVICES:
            raise SandboxFault(
                "UnknownService",
                f"Service {service_code!r} does not exist; use one of "
                + ", ".join(SERVICES),
            )
        reference = _text(request, "Reference")
        label_format = (_text(request, "LabelFormat") or "PDF").upper()
        if label_format not in ("PDF", "ZPL"):
            raise SandboxFault(
                "InvalidRequest", f"LabelFormat {label_format!r}: use PDF or ZPL"
            )
        with self.state.lock:
            pro = self.state.by_reference.get(reference) if reference else None
            created = pro is None or self.state.shipments[pro]["status"] == "CANCELLED"
            if created:
                pro = str(self.state.next_pro)
                self.state.next_pro += 1
                amount = quote_amount(
                    items, shipper["postalcode"], consignee["postalcode"], service_code
                )
                self.state.shipments[pro] = {
                    "pro": pro,
                    "bol": f"{'RBOL' if is_return else 'BOL'}{pro}",
                    "reference": reference,
                    "service_code": service_code,
                    "amount": amount,
                    "shipper": shipper,
                    "consignee": consignee,
                    "items": items,
                    "label_format": label_format,
                    "status": "BOOKED",
                    "events": [
                        (
                            _now(),
                            "BK",
                            "Return booked, awaiting pickup"
                            if is_return
                            else "Shipment booked, awaiting pickup",
                            "",
                            "BOOKED",
                        )
                    ],
                    "delivered_at": None,
                    "signed_by": "",
                    "is_return": is_return,
                    "original_pro": original_pro,
                }
                if reference:
                    self.state.by_reference[reference] = pro
            shipment = dict(self.state.shipments[pro])
        response = ET.Element(f"{{{NS}}}{response_name}")
        _sub(response, "ProNumber", shipment["pro"])
        _sub(response, "BolNumber", shipment["bol"])
        _sub(
            response, "BolDocument", base64.b64encode(self._bol_pdf(shipment)).decode()
        )
        labels = _sub(response, "Labels")
        for number, item in enumerate(shipment["items"], start=1):
            label = _sub(labels, "Label")
            _sub(label, "Reference", item["reference"] or str(number))
            _sub(label, "Format", shipment["label_format"])
            content = self._label(shipment, item, number)
            _sub(label, "Content", base64.b64encode(content).decode())
        _sub(response, "ServiceCode", shipment["service_code"])
        _sub(response, "Amount", f"{shipment['amount']:.2f}")
        _sub(response, "Currency", "USD")
        _sub(response, "Created", "true" if created else "false")
        if is_return and shipment.get("original_pro"):
            _sub(response, "OriginalProNumber", shipment["original_pro"])
        if self.public_url:
            _sub(response, "TrackingUrl", f"{self.public_url}{TRACK_PATH}/{pro}")
        return response

    def cancel_shipment(self, request):
        pro = _text(request, "ProNumber")
        with self.state.lock:
            shipment = self._shipment(pro)
            if shipment["status"] not in ("BOOKED", "CANCELLED"):
                raise SandboxFault(
                    "NotCancellable",
                    f"PRO {pro} is {shipment['status']}: only shipments not yet "
                    "picked up can be cancelled",
                )
            shipment["status"] = "CANCELLED"
            shipment["events"].append(
                (_now(), "CX", "Shipment cancelled", "", "CANCELLED")
            )
        response = ET.Element(f"{{{NS}}}CancelShipmentResponse")
        _sub(response, "ProNumber", pro)
        _sub(response, "Cancelled", "true")
        return response

    def track_shipment(self, request):
        pro = _text(request, "ProNumber")
        with self.state.lock:
            shipment = self._shipment(pro)
            shipment = dict(shipment, events=list(shipment["events"]))
        response = ET.Element(f"{{{NS}}}TrackShipmentResponse")
        _sub(response, "ProNumber", pro)
        _sub(response, "BolNumber", shipment["bol"])
        _sub(response, "Status", shipment["status"])
        events = _sub(response, "Events")
        for timestamp, code, description, location, status in reversed(
            shipment["events"]
        ):
            event = _sub(events, "Event")
            _sub(event, "Timestamp", timestamp.isoformat().replace("+00:00", "Z"))
            _sub(event, "Code", code)
            _sub(event, "Description", description)
            _sub(event, "Location", location)
            _sub(event, "Status", status)
        if shipment["delivered_at"]:
            delivered_at = shipment["delivered_at"].isoformat().replace("+00:00", "Z")
            _sub(response, "DeliveredAt", delivered_at)
            _sub(response, "SignedBy", shipment["signed_by"])
            pod = base64.b64encode(self._pod_pdf(shipment)).decode()
            _sub(response, "PodDocument", pod)
        return response

    def _shipment(self, pro):
        shipment = self.state.shipments.get(pro)
        if shipment is None:
            raise SandboxFault("NotFound", f"No shipment with PRO {pro!r}")
        return shipment

    # -- documents ---------------------------------------------------------
    @staticmethod
    def _party_line(party):
        return (
            f"{party['name']}, {party['street']}, {party['postalcode']} "
            f"{party['city']} {party['country']}"
        )

    def _bol_pdf(self, shipment):
        is_return = shipment.get("is_return")
        lines = [
            "SANDBOX RETURN BILL OF LADING - NOT A REAL CARRIER"
            if is_return
            else "SANDBOX BILL OF LADING - NOT A REAL CARRIER",
            f"BOL number: {shipment['bol']}",
            f"PRO number: {shipment['pro']}",
        ]
        if shipment.get("original_pro"):
            lines.append(f"Return of PRO: {shipment['original_pro']}")
        lines += [
            f"Reference: {shipment['reference']}",
            f"Service: {SERVICES[shipment['service_code']][0]}",
            f"Shipper: {self._party_line(shipment['shipper'])}",
            f"Consignee: {self._party_line(shipment['consignee'])}",
        ]
        for item in shipment["items"]:
            lines.append(
                f"{item['pieces']} x {item['description'] or 'freight'}, "
                f"{item['weight']:.1f} kg, class {item['freight_class']}"
            )
        lines.append(f"Charges: {shipment['amount']:.2f} USD")
        return text_pdf(
            lines,
            title=f"{'Return bill' if is_return else 'Bill'} of lading "
            f"{shipment['bol']}",
        )

    def _pod_pdf(self, shipment):
        return text_pdf(
            [
                "SANDBOX PROOF OF DELIVERY - NOT A REAL CARRIER",
                f"PRO number: {shipment['pro']}",
                f"BOL number: {shipment['bol']}",
                f"Delivered: {shipment['delivered_at'].isoformat()}",
                f"Signed by: {shipment['signed_by']}",
                f"Consignee: {self._party_line(shipment['consignee'])}",
            ],
            title=f"Proof of delivery {shipment['pro']}",
        )

    def _label(self, shipment, item, number):
        total = len(shipment["items"])
        is_return = shipment.get("is_return")
        if shipment["label_format"] == "ZPL":
            return (
                f"^XA^CF0,40^FO40,40^FDSANDBOX LTL{' RETURN' if is_return else ''}^FS"
                f"^FO40,100^FDPRO {shipment['pro']}^FS"
                f"^FO40,160^FDUnit {number}/{total} {item['reference']}^FS"
                f"^FO40,220^BCN,100,Y,N,N^FD{shipment['pro']}^FS^XZ"
            ).encode()
        return text_pdf(
            [
                "SANDBOX LTL RETURN HANDLING UNIT LABEL"
                if is_return
                else "SANDBOX LTL HANDLING UNIT LABEL",
                f"PRO {shipment['pro']}  unit {number}/{total}",
                f"Reference: {item['reference']}",
                f"To: {self._party_line(shipment['consignee'])}",
            ],
            title=f"Label {shipment['pro']}-{number}",
            page_size=(288, 432),
        )

    # -- control -----------------------------------------------------------
    def advance(self, pro, target=None, signed_by=None):
        """Walk a shipment one tracking step, or on to ``target``."""
        with self.state.lock:
            shipment = self._shipment(pro)
            if shipment["status"] == "CANCELLED":
                raise SandboxFault("NotCancellable", f"PRO {pro} is cancelled")
            done = {event[4] for event in shipment["events"]}
            if target == "exception":
                steps = [EXCEPTION_STEP]
            else:
                pending = [
                    step for step in STEP_ORDER if TRACKING_STEPS[step][0] not in done
                ]
                if target is None:
                    pending = pending[:1]
                elif target in STEP_ORDER:
                    pending = (
                        pending[: pending.index(target) + 1]
                        if target in pending
                        else []
                    )
                else:
                    raise SandboxFault("InvalidRequest", f"Unknown step {target!r}")
                steps = [TRACKING_STEPS[step] for step in pending]
            for status, code, description, where in steps:
                location = {
                    "origin": shipment["shipper"]["city"],
                    "hub": "Sandbox Linehaul Terminal",
                    "destination": shipment["consignee"]["city"],
                }[where]
                moment = _now()
                shipment["events"].append((moment, code, description, location, status))
                shipment["status"] = status
                if status == "DELIVERED":
                    shipment["delivered_at"] = moment
                    shipment["signed_by"] = signed_by or "R. Receiver"
            return {"pro": pro, "status": shipment["status"]}

    def snapshot(self):
        with self.state.lock:
            return {
                "down": self.state.down,
                "down_style": self.state.down_style,
                "delay": self.state.delay,
                "wsdl_requests": self.state.wsdl_requests,
                "soap_requests": self.state.soap_requests,
                "shipments": {
                    pro: {
                        "status": shipment["status"],
                        "reference": shipment["reference"],
                        "bol": shipment["bol"],
                        "is_return": shipment.get("is_return", False),
                        "original_pro": shipment.get("original_pro", ""),
                    }
                    for pro, shipment in self.state.shipments.items()
                },
            }


class _Handler(BaseHTTPRequestHandler):
    server_version = "DIS-LTL-Sandbox/1"
    protocol_version = "HTTP/1.1"

    @property
    def sandbox(self):
        return self.server.sandbox

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler API
        _logger.debug("%s %s", self.address_string(), format % args)

    def _send(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status, payload):
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == SERVICE_PATH and parts.query.lower() == "wsdl":
            with self.sandbox.state.lock:
                self.sandbox.state.wsdl_requests += 1
            wsdl = WSDL_PATH.read_bytes().replace(
                b"__SERVICE_URL__", self.server.service_url.encode()
            )
            self._send(200, wsdl, "text/xml; charset=utf-8")
        elif parts.path == "/_sandbox/state":
            self._send_json(200, self.sandbox.snapshot())
        elif parts.path.startswith(TRACK_PATH + "/"):
            self._tracking_page(parts.path[len(TRACK_PATH) + 1 :])
        else:
            self._send(404, b"not found\n", "text/plain")

    def _tracking_page(self, pro):
        """The public page a customer opens from the tracking link."""
        with self.sandbox.state.lock:
            shipment = self.sandbox.state.shipments.get(pro)
            events = list(shipment["events"]) if shipment else []
            status = shipment["status"] if shipment else ""
        if shipment is None:
            self._send(404, b"Unknown PRO number\n", "text/plain; charset=utf-8")
            return
        rows = "".join(
            f"<li>{html.escape(stamp.isoformat())} {html.escape(description)} "
            f"{html.escape(location)}</li>"
            for stamp, _code, description, location, _status in reversed(events)
        )
        page = (
            f"<html><head><title>PRO {html.escape(pro)}</title></head><body>"
            f"<h1>PRO {html.escape(pro)}: {html.escape(status)}</h1>"
            f"<ul>{rows}</ul></body></html>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self._read_body()
        if path == SERVICE_PATH:
            self._soap(body)
        elif path.startswith("/_sandbox/"):
            self._control(path, body)
        else:
            self._send(404, b"not found\n", "text/plain")

    def _control(self, path, body):
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            self._send_json(400, {"error": "body must be JSON"})
            return
        state = self.sandbox.state
        if path == "/_sandbox/mode":
            with state.lock:
                if "down" in payload:
                    state.down = bool(payload["down"])
                if "down_style" in payload:
                    state.down_style = payload["down_style"]
                if "delay" in payload:
                    state.delay = float(payload["delay"] or 0)
            self._send_json(200, self.sandbox.snapshot())
        elif path == "/_sandbox/reset":
            with state.lock:
                state.reset()
            self._send_json(200, self.sandbox.snapshot())
        elif path.startswith("/_sandbox/advance/"):
            pro = path.rpartition("/")[2]
            try:
                answer = self.sandbox.advance(
                    pro, payload.get("to"), payload.get("signed_by")
                )
            except SandboxFault as fault:
                self._send_json(
                    404 if fault.code == "NotFound" else 400, {"error": fault.message}
                )
                return
            self._send_json(200, answer)
        else:
            self._send_json(404, {"error": f"no control endpoint {path}"})

    def _soap(self, body):
        state = self.sandbox.state
        with state.lock:
            state.soap_requests += 1
            down, down_style, delay = state.down, state.down_style, state.delay
        if delay:
            self.server.stopping.wait(delay)
        if down and down_style == "http":
            self._send(
                503,
                b"Service Unavailable: the LTL sandbox is switched down\n",
                "text/plain",
                {"Retry-After": "5"},
            )
            return
        try:
            if down:
                raise SandboxFault(
                    "ServiceUnavailable",
                    "The carrier system is temporarily unavailable; try again later",
                    transient=True,
                    client=False,
                )
            try:
                envelope = ET.fromstring(body)
            except ET.ParseError as exc:
                raise SandboxFault("InvalidRequest", f"Malformed XML: {exc}") from None
            soap_body = _child(envelope, "Body")
            if soap_body is None or not len(soap_body):
                raise SandboxFault("InvalidRequest", "No SOAP Body")
            answer = _envelope(self.sandbox.dispatch(soap_body[0]))
        except SandboxFault as fault:
            self._send(500, _fault_envelope(fault), "text/xml; charset=utf-8")
            return
        self._send(200, answer, "text/xml; charset=utf-8")


class SandboxLtlServer:
    """The sandbox on a threaded HTTP server; start it in-process or as a command.

    >>> server = SandboxLtlServer().start()
    >>> server.wsdl_url.endswith("/ltl?wsdl")
    True
    >>> server.stop()
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        username=SANDBOX_USERNAME,
        password=SANDBOX_PASSWORD,
    ):
        self.sandbox = LtlSandbox(username=username, password=password)
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.sandbox = self.sandbox
        self._httpd.stopping = threading.Event()
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._httpd.service_url = self.url + SERVICE_PATH
        self.sandbox.public_url = self.url
        self._thread = None

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def service_url(self):
        return self.url + SERVICE_PATH

    @property
    def wsdl_url(self):
        return self.service_url + "?wsdl"

    def start(self):
        """Serve in a background thread; return self (``.url``, ``.wsdl_url``)."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="ltl-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self):
        self._httpd.serve_forever()

    def stop(self):
        """Stop serving and free the port; slow answers in progress are cut short."""
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
