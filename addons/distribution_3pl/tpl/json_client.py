"""The JSON API profile of a 3PL warehouse: orders and receipts over REST, its
confirmations as events (webhooks, or pulled from ``/api/v1/events``).

The client wraps a kernel ``HttpTransport`` (timeouts, the shared session) and
takes the caller's ``check`` (the kernel's rule of which HTTP statuses are worth
a retry); it only knows the warehouse's paths and what its refusals mean. No
Odoo import: it is tested with plain pytest against the sandbox warehouse.
"""

import json
from urllib.parse import quote

JSON_CONTENT_TYPE = "application/json"
# The largest event sequence the account's cursor (a PostgreSQL integer) holds.
MAX_SEQUENCE = 2**31 - 1
API = "api/v1"

# The warehouse's event types → the codec's document kinds (the strings of
# ``distribution_edi.edi.warehouse``: SHIPPING_ADVICE, RECEIPT_ADVICE, ...).
EVENT_KINDS = {
    "shipment.confirmed": "shipping_advice",
    "receipt.confirmed": "receipt_advice",
    "inventory.snapshot": "inventory_advice",
    "inventory.adjusted": "inventory_adjustment",
}


class WarehouseRefusal(Exception):
    """The warehouse refused a document for a business reason (409: the order
    has shipped, was cancelled, exists with other content). Retrying cannot
    help; the attributes tell the kernel's ``classify_exception`` so."""

    transient = False
    category = "business_rule"

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


class EventError(ValueError):
    """An event that is not one the channel can read (no id, unknown type...)."""


def _error_text(response):
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:300]
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])[:300]
    return json.dumps(body)[:300]


class JsonWarehouseClient:
    """REST calls to ``<base URL>/api/v1``; every call has the transport's
    timeout; ``headers``/``auth`` carry the account's credential (Bearer)."""

    def __init__(self, transport, headers=None, auth=None, check=None):
        self.transport = transport
        self.headers = dict(headers or {})
        self.auth = auth
        self.check = check or (lambda response: None)

    def _call(self, method, path, body=None, what="", label=""):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body, sort_keys=True).encode()
            headers["Content-Type"] = JSON_CONTENT_TYPE
        response = self.transport._session.request(
            method,
            self.transport.url(f"{API}/{path}"),
            data=data,
            headers=headers,
            auth=self.auth,
            timeout=self.transport.timeout,
        )
        if response.status_code == 409:
            why = _error_text(response)
            if label:  # the warehouse names the document again: once is enough
                why = why.removeprefix(f"{label}: ")
            advice = ""
            if "shipped" in why:
                advice = (
                    " It can no longer be changed or cancelled there; if the "
                    "goods must come back, create a return."
                )
            raise WarehouseRefusal(
                f"The warehouse refuses {what}: {why}.{advice}", details=why
            )
        problem = self.check(response)
        if problem is not None:
            raise problem
        return response

    @staticmethod
    def _answer(response):
        try:
            return response.json()
        except (ValueError, RecursionError):
            return {}

    # -- documents out -----------------------------------------------------------

    def release(self, order):
        """Send a shipping order by its ``purpose``: ``original`` creates it
        (``POST /orders``: the same body again is no second order), ``replace``
        replaces it (``PUT /orders/<number>``), ``cancel`` cancels it. Returns
        ``(reference, answer bytes)``."""
        number = str(order["number"])
        path = f"orders/{quote(number, safe='')}"
        purpose = order.get("purpose") or "original"
        label = f"order {number}"
        if purpose == "cancel":
            response = self._call(
                "POST", f"{path}/cancel", {}, f"to cancel {label}", label
            )
        elif purpose == "replace":
            response = self._call("PUT", path, order, f"the change of {label}", label)
        else:
            response = self._call("POST", "orders", order, label, label)
        answer = self._answer(response)
        revision = answer.get("revision") if isinstance(answer, dict) else None
        reference = f"{number}@r{revision}" if revision else number
        return reference, response.content or b""

    def announce(self, receipt):
        """Announce goods coming in (an ASN, ``POST /receipts``)."""
        number = str(receipt["number"])
        label = f"receipt {number}"
        response = self._call("POST", "receipts", receipt, label, label)
        return number, response.content or b""

    def order(self, number):
        """The warehouse's view of one order (status, shipments)."""
        path = f"orders/{quote(str(number), safe='')}"
        return self._answer(self._call("GET", path, what=f"order {number}"))

    # -- events in ----------------------------------------------------------------

    def events(self, after=0):
        """``(events, last)``: the events after sequence ``after``, oldest
        first, and the warehouse's newest sequence, to ask after next time
        (below ``after`` when the warehouse numbers its events anew)."""
        response = self._call("GET", f"events?after={int(after)}", what="events")
        answer = self._answer(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("events"), list):
            raise EventError("the warehouse's events answer has no event list")
        events = [e for e in answer["events"] if isinstance(e, dict)]
        try:
            last = int(answer.get("last", after))
        except (TypeError, ValueError, OverflowError) as exc:
            raise EventError(
                "the warehouse's events answer has no last sequence"
            ) from exc
        if last > MAX_SEQUENCE:
            # The cursor is stored as a database integer: out of its range it
            # would fail every pull at the commit instead of saying why here.
            raise EventError(
                f"the warehouse's last event sequence {last} is out of range"
            )
        return events, last

    def close(self):
        self.transport.close()


def read_event(payload):
    """``(event id, document kind, data)`` of one event, given as bytes (a
    webhook's body) or as a dict (pulled). Raises :class:`EventError` for what
    the channel cannot read."""
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise EventError(f"the event is not JSON: {exc}") from exc
        except RecursionError as exc:
            raise EventError("the event is nested too deep") from exc
    if not isinstance(payload, dict):
        raise EventError("the event is not a JSON object")
    event_id = payload.get("id")
    if (
        not isinstance(event_id, str | int)
        or isinstance(event_id, bool)
        or not str(event_id)
    ):
        raise EventError("the event has no id")
    if "\x00" in str(event_id):
        # It keys the message: the database takes no NUL character.
        raise EventError("the event's id holds a NUL character")
    event_type = payload.get("type")
    kind = EVENT_KINDS.get(event_type) if isinstance(event_type, str) else None
    if kind is None:
        raise EventError(f"event {event_id}: unknown type {str(event_type)[:60]!r}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise EventError(f"event {event_id} ({event_type}) carries no data object")
    return str(event_id), kind, data
