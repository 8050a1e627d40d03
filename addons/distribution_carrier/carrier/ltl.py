"""LTL freight carrier over SOAP: rate quote, book (PRO + bill of lading), return
booking (its own PRO and return BOL), cancel, track by PRO number with proof of
delivery.

Written against the suite's sandbox LTL service (``sandbox_ltl``), whose WSDL
follows the shape of LTL carriers' SOAP APIs: credentials in each request, one
PRO number per shipment (every handling unit's label carries it), the BOL as a
PDF, faults with a machine-readable code.
"""

from datetime import timezone
from decimal import Decimal

from .base import (
    DELIVERED,
    EXCEPTION,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    PENDING,
    RETURNED,
    CarrierError,
    PackageLabel,
    ParcelLimits,
    RateQuote,
    ShipmentDocument,
    ShipmentResult,
    TrackingEvent,
    TrackingInfo,
)
from .soap import SoapAdapterBase

LTL_STATUS_MAP = {
    "BOOKED": PENDING,
    "PICKED_UP": IN_TRANSIT,
    "IN_TRANSIT": IN_TRANSIT,
    "OUT_FOR_DELIVERY": OUT_FOR_DELIVERY,
    "DELIVERED": DELIVERED,
    "EXCEPTION": EXCEPTION,
    "RETURNED": RETURNED,
    "CANCELLED": EXCEPTION,
}

# The carrier's fault codes: (transient, category). Unknown codes follow the
# fault's own Transient flag, then its soap:Server/Client code.
LTL_FAULT_CODES = {
    "AddressRejected": (False, "validation"),
    "InvalidRequest": (False, "validation"),
    "NotFound": (False, "validation"),
    "AuthenticationFailed": (False, "authentication"),
    "UnknownService": (False, "mapping"),
    "OverweightShipment": (False, "business_rule"),
    "NotCancellable": (False, "business_rule"),
    "ServiceUnavailable": (True, "transport"),
}
DEFAULT_FREIGHT_CLASS = "100"


def _amount(value):
    return float(value) if isinstance(value, (Decimal, int, float)) else 0.0


def _utc(moment):
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _as_list(value, child):
    """zeep gives a wrapper object, the list itself, or None: always a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    inner = getattr(value, child, value)
    if inner is None:
        return []
    return inner if isinstance(inner, list) else [inner]


class LtlSoapAdapter(SoapAdapterBase):
    """Book pallets with an LTL carrier's SOAP API (the sandbox's WSDL)."""

    name = "LTL carrier"
    # Common LTL maxima: 2,268 kg (5,000 lb) and 610 cm (20 ft) per handling
    # unit, 20,000 kg per shipment (a full trailer).
    default_limits = ParcelLimits(
        max_weight_kg=2268.0, max_length_cm=610.0, max_shipment_weight_kg=20000.0
    )

    def __init__(self, wsdl_url, username, password, *, account_number="", **kwargs):
        super().__init__(wsdl_url, **kwargs)
        self._credentials = {
            "UserName": username,
            "Password": password,
            "AccountNumber": account_number or None,
        }

    # -- payloads --------------------------------------------------------------
    @staticmethod
    def _party(address):
        return {
            "Name": address.company or address.name,
            "Street": address.street,
            "Street2": address.street2 or None,
            "City": address.city,
            "State": address.state_code or None,
            "PostalCode": address.postal_code,
            "Country": address.country_code,
            "Phone": address.phone or None,
        }

    @staticmethod
    def _items(parcels):
        return {
            "Item": [
                {
                    "Reference": parcel.reference or None,
                    "Description": parcel.description or None,
                    "WeightKg": Decimal(str(parcel.weight_kg)),
                    "FreightClass": parcel.freight_class or DEFAULT_FREIGHT_CLASS,
                    "Pieces": parcel.pieces or 1,
                    "LengthCm": Decimal(str(parcel.length_cm))
                    if parcel.length_cm
                    else None,
                    "WidthCm": Decimal(str(parcel.width_cm))
                    if parcel.width_cm
                    else None,
                    "HeightCm": Decimal(str(parcel.height_cm))
                    if parcel.height_cm
                    else None,
                }
                for parcel in parcels
            ]
        }

    # -- operations ---------------------------------------------------------------
    def rate(self, request):
        """Quotes for every service level (standard, guaranteed...)."""
        answer = self.call(
            "RateQuote",
            Credentials=self._credentials,
            Shipper=self._party(request.shipper),
            Consignee=self._party(request.recipient),
            Items=self._items(request.parcels),
            Reference=request.reference or None,
        )
        quotes = [
            RateQuote(
                service_code=quote.ServiceCode,
                service_name=quote.ServiceName,
                amount=_amount(quote.Amount),
                currency=quote.Currency,
                transit_days=quote.TransitDays,
                carrier_ref=quote.QuoteNumber,
            )
            for quote in _as_list(answer, "Quote")
        ]
        if request.service_code:
            quotes = [q for q in quotes if q.service_code == request.service_code]
        return quotes

    def _book(self, operation, request, **extra):
        """Call a booking operation (outbound or return) for ``request``."""
        return self.call(
            operation,
            Credentials=self._credentials,
            Shipper=self._party(request.shipper),
            Consignee=self._party(request.recipient),
            Items=self._items(request.parcels),
            ServiceCode=request.service_code or "STD",
            # The idempotency key is the booking reference: the carrier answers
            # a repeated booking with the shipment it already holds.
            Reference=request.idempotency_key or request.reference,
            LabelFormat=request.label_format,
            **extra,
        )

    def ship(self, request):
        """Book the shipment: PRO number, bill of lading (PDF), unit labels.

        The idempotency key goes in the booking ``Reference``: the carrier
        answers a repeated booking with the shipment it already holds.
        """
        answer = self._book("BookShipment", request)
        return self._booking_result(answer, request, "Bill of lading")

    def return_label(self, request):
        """Book a return: the request's shipper sends the freight back to its
        recipient (the caller swaps the parties). The carrier gives it its own
        PRO, a return bill of lading and unit labels; booking again with the
        same idempotency key returns the same PRO.

        ``request.options["original_shipment_id"]`` (the outbound PRO), when
        set, ties the return to the shipment it comes back from.
        """
        original = (request.options or {}).get("original_shipment_id") or None
        answer = self._book("ReturnShipment", request, OriginalProNumber=original)
        result = self._booking_result(answer, request, "Return bill of lading")
        result.extra["original_pro_number"] = (
            getattr(answer, "OriginalProNumber", None) or original or ""
        )
        return result

    @staticmethod
    def _booking_result(answer, request, document_name):
        pro = answer.ProNumber
        tracking_url = getattr(answer, "TrackingUrl", None) or ""
        labels = _as_list(answer.Labels, "Label")
        packages = []
        for index, parcel in enumerate(request.parcels):
            label = labels[index] if index < len(labels) else None
            packages.append(
                PackageLabel(
                    # LTL tracks the whole shipment by its PRO number.
                    tracking_number=pro,
                    label=label.Content if label is not None else b"",
                    label_format=(label.Format if label is not None else "PDF"),
                    parcel_reference=parcel.reference,
                    tracking_url=tracking_url,
                )
            )
        return ShipmentResult(
            carrier_shipment_id=pro,
            packages=packages,
            total_price=_amount(answer.Amount),
            currency=answer.Currency,
            documents=[
                ShipmentDocument(
                    name=f"{document_name} {answer.BolNumber}",
                    content=answer.BolDocument,
                    mimetype="application/pdf",
                )
            ],
            service_code=answer.ServiceCode,
            tracking_url=tracking_url,
            label_format=request.label_format,
            extra={
                "pro_number": pro,
                "bol_number": answer.BolNumber,
                "reused": not answer.Created,
            },
        )

    def cancel(self, shipment_id):
        """Cancel a booking by PRO number (only before pickup)."""
        answer = self.call(
            "CancelShipment", Credentials=self._credentials, ProNumber=shipment_id
        )
        if not answer.Cancelled:
            raise CarrierError(
                f"{self.name} did not cancel PRO {shipment_id}",
                category="business_rule",
            )

    def track(self, tracking_numbers):
        """Tracking by PRO number, with signer and POD once delivered."""
        return [self._track_one(pro) for pro in tracking_numbers]

    def _track_one(self, pro):
        answer = self.call(
            "TrackShipment", Credentials=self._credentials, ProNumber=pro
        )
        events = [
            TrackingEvent(
                timestamp=_utc(event.Timestamp),
                code=event.Code,
                description=event.Description,
                location=event.Location or "",
                status=LTL_STATUS_MAP.get(event.Status, IN_TRANSIT),
            )
            for event in _as_list(answer.Events, "Event")
        ]
        return TrackingInfo(
            tracking_number=answer.ProNumber,
            status=LTL_STATUS_MAP.get(answer.Status, IN_TRANSIT),
            events=events,
            delivered_at=_utc(answer.DeliveredAt),
            signed_by=answer.SignedBy or "",
            pod=answer.PodDocument or None,
            carrier_shipment_id=answer.ProNumber,
            carrier_status=answer.Status,
        )

    def fault_error(self, fault, operation):
        """Read the fault's ``SandboxFault`` detail: Code, Transient, Message."""
        code, transient = None, None
        if fault.detail is not None:
            for node in fault.detail.iter():
                if not isinstance(node.tag, str):
                    continue
                name = node.tag.rpartition("}")[2]
                if name == "Code":
                    code = (node.text or "").strip()
                elif name == "Transient":
                    transient = (node.text or "").strip().lower() == "true"
        if code is None:
            return super().fault_error(fault, operation)
        known_transient, category = LTL_FAULT_CODES.get(code, (transient, None))
        if transient is None:
            transient = known_transient
        return CarrierError(
            f"{self.name} refused {operation}: {fault.message}",
            transient=bool(transient),
            category=category or ("transport" if transient else "validation"),
            code=code,
        )
