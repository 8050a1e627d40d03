"""The carrier adapter interface: plain data in, plain data out, typed errors.

Every carrier client (Karrio REST, SOAP LTL, ...) implements
:class:`CarrierAdapter`. The Odoo models speak only these dataclasses, so a new
carrier is one new adapter and no model change.

Errors are :class:`CarrierError`: ``transient`` says whether retrying may help,
``category`` groups it for the exception queue (the kernel's codes:
validation, authentication, transport, timeout, business_rule, duplicate,
mapping) and ``retry_after`` carries a server's announced delay. The kernel's
``classify_exception`` reads those attributes. Which HTTP statuses mean "try
again later" is the kernel's one rule (:func:`is_transient_status`), imported
from its plain-Python errors module.
"""

import abc
import importlib.util
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


def _kernel_errors():
    """The kernel's error module (plain Python, standard library only)."""
    try:  # in Odoo
        from odoo.addons.distribution_integration_base.kernel import errors

        return errors
    except ImportError:
        pass
    # Outside Odoo (pytest, the sandbox command): the kernel addon beside this one.
    path = (
        Path(__file__).resolve().parents[2]
        / "distribution_integration_base"
        / "kernel"
        / "errors.py"
    )
    spec = importlib.util.spec_from_file_location("_dis_kernel_errors", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_kernel = _kernel_errors()
TIMEOUT_STATUSES = _kernel.TIMEOUT_STATUSES
is_transient_status = _kernel.is_transient_status

LABEL_FORMATS = ("PDF", "ZPL")
LABEL_MIMETYPES = {"PDF": "application/pdf", "ZPL": "application/zpl"}

# Our normalised delivery states, in the order a shipment usually walks them.
PENDING = "pending"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
EXCEPTION = "exception"
RETURNED = "returned"
TRACKING_STATUSES = (
    PENDING,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    DELIVERED,
    EXCEPTION,
    RETURNED,
)


class CarrierError(Exception):
    """A carrier call failed; the attributes tell the caller what happens next.

    ``message`` is the carrier's own words where it gave any (shown to the user
    in the exception queue); ``details`` holds longer diagnostics (a response
    body); ``code`` is the carrier's error code when it has one.
    """

    def __init__(
        self,
        message,
        *,
        transient=False,
        category=None,
        retry_after=None,
        code=None,
        details=None,
    ):
        super().__init__(message)
        self.message = message
        self.transient = bool(transient)
        self.category = category or ("transport" if transient else "validation")
        self.retry_after = retry_after
        self.code = code
        self.details = details

    @classmethod
    def not_supported(cls, carrier, operation):
        """The error for an operation this carrier (or adapter) does not offer."""
        return cls(
            f"{carrier} does not support {operation}",
            category="business_rule",
            code="not_supported",
        )


@dataclass
class Address:
    """A postal address with the contact the carrier needs on the label."""

    name: str
    street: str
    city: str
    postal_code: str
    country_code: str
    street2: str = ""
    state_code: str = ""
    company: str = ""
    phone: str = ""
    email: str = ""
    residential: bool = False


@dataclass
class Parcel:
    """One physical package: weight in kg, dimensions in cm.

    ``reference`` identifies the package on our side (the Odoo package name);
    ``freight_class`` and ``pieces`` matter for LTL pallets only.
    """

    weight_kg: float
    length_cm: float = 0.0
    width_cm: float = 0.0
    height_cm: float = 0.0
    reference: str = ""
    description: str = ""
    freight_class: str = ""
    pieces: int = 1
    packaging_type: str = ""  # the carrier's package code (box, pallet...), if any


@dataclass
class RateQuote:
    """One service the carrier offers for a shipment, with its price."""

    service_code: str
    service_name: str
    amount: float
    currency: str
    transit_days: int | None = None
    carrier_ref: str = ""  # the carrier's rate or quote id, where it has one


@dataclass
class ShipmentRequest:
    """What to ship, from whom, to whom, how; the input of rate/ship/return.

    ``idempotency_key`` must be stable across retries of the same booking
    (e.g. picking and package ids): adapters use it to find a shipment an
    earlier, timed-out attempt already bought instead of buying twice.
    ``options`` are the carrier's shipment options, plus
    ``original_shipment_id`` on a return (the outbound shipment it comes back
    from), which adapters use or drop.
    """

    shipper: Address
    recipient: Address
    parcels: list[Parcel]
    service_code: str = ""
    label_format: str = "PDF"
    reference: str = ""
    idempotency_key: str = ""
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.label_format not in LABEL_FORMATS:
            raise ValueError(
                f"label format {self.label_format!r} is not one of "
                + ", ".join(LABEL_FORMATS)
            )
        if not self.parcels:
            raise ValueError("a shipment needs at least one parcel")


@dataclass
class PackageLabel:
    """The label of one parcel and the tracking number printed on it."""

    tracking_number: str
    label: bytes
    label_format: str = "PDF"
    parcel_reference: str = ""
    tracking_url: str = ""  # this parcel's public tracking page, when known

    @property
    def mimetype(self):
        return LABEL_MIMETYPES.get(self.label_format, "application/octet-stream")


@dataclass
class ShipmentDocument:
    """A document that comes with a shipment other than labels (e.g. a BOL)."""

    name: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass
class ShipmentResult:
    """A bought shipment: one :class:`PackageLabel` per parcel, in parcel order.

    ``label`` is the whole label document as the carrier sent it (all parcels).
    A package's own ``label`` is empty when that document could not be split
    per parcel; then attach ``label`` once for the shipment.
    """

    carrier_shipment_id: str
    packages: list[PackageLabel]
    total_price: float | None = None
    currency: str = ""
    documents: list[ShipmentDocument] = field(default_factory=list)
    service_code: str = ""
    tracking_url: str = ""
    label: bytes = b""
    label_format: str = "PDF"
    extra: dict = field(default_factory=dict)  # carrier-specific ids (PRO, BOL...)

    @property
    def tracking_numbers(self):
        return [package.tracking_number for package in self.packages]


@dataclass
class TrackingEvent:
    """One scan. ``timestamp`` is an aware UTC datetime, or None if unknown."""

    timestamp: datetime | None
    code: str
    description: str
    location: str = ""
    status: str = IN_TRANSIT


@dataclass
class TrackingInfo:
    """Where a shipment is: normalised status, events (newest first), POD.

    ``pod`` holds the proof-of-delivery document when the carrier sent it;
    ``pod_url`` says where an adapter can fetch it when it was only announced
    (a webhook carries the link, not the file).
    """

    tracking_number: str
    status: str
    events: list[TrackingEvent] = field(default_factory=list)
    delivered_at: datetime | None = None
    signed_by: str = ""
    pod: bytes | None = None
    carrier_shipment_id: str = ""
    carrier_status: str = ""  # the carrier's own word, before normalising
    pod_url: str = ""

    @property
    def delivered(self):
        return self.status == DELIVERED


@dataclass
class ParcelLimits:
    """What a service accepts: per parcel weight (kg) and longest side (cm),
    ``length + girth`` (cm, girth = 2 × (width + height)) and the weight of the
    whole shipment (kg). 0 means no limit.
    """

    max_weight_kg: float = 0.0
    max_length_cm: float = 0.0
    max_length_girth_cm: float = 0.0
    max_shipment_weight_kg: float = 0.0

    def violations(self, parcels):
        """Plain-words reasons ``parcels`` exceed these limits ([] when they fit).

        >>> limits = ParcelLimits(max_weight_kg=70, max_length_cm=274)
        >>> limits.violations([Parcel(30000, 30, 20, 10, reference="P1")])
        ['P1: 30000 kg exceeds the service maximum of 70 kg per parcel']
        >>> limits.violations([Parcel(2, 300, 20, 10)])
        ['parcel 1: longest side 300 cm exceeds the service maximum of 274 cm']
        """
        reasons = []
        for index, parcel in enumerate(parcels, start=1):
            name = parcel.reference or f"parcel {index}"
            if self.max_weight_kg and parcel.weight_kg > self.max_weight_kg:
                reasons.append(
                    f"{name}: {parcel.weight_kg:g} kg exceeds the service maximum "
                    f"of {self.max_weight_kg:g} kg per parcel"
                )
            sides = sorted(
                (parcel.length_cm, parcel.width_cm, parcel.height_cm), reverse=True
            )
            if self.max_length_cm and sides[0] > self.max_length_cm:
                reasons.append(
                    f"{name}: longest side {sides[0]:g} cm exceeds the service "
                    f"maximum of {self.max_length_cm:g} cm"
                )
            girth = sides[0] + 2 * (sides[1] + sides[2])
            if self.max_length_girth_cm and girth > self.max_length_girth_cm:
                reasons.append(
                    f"{name}: length + girth {girth:g} cm exceeds the service "
                    f"maximum of {self.max_length_girth_cm:g} cm"
                )
        total = sum(parcel.weight_kg for parcel in parcels)
        if self.max_shipment_weight_kg and total > self.max_shipment_weight_kg:
            reasons.append(
                f"the shipment's {total:g} kg exceed the service maximum of "
                f"{self.max_shipment_weight_kg:g} kg per shipment"
            )
        return reasons


class CarrierAdapter(abc.ABC):
    """The operations the carrier channel needs from any carrier.

    Each method either returns the dataclasses above or raises
    :class:`CarrierError`; network failures are mapped to transient errors.
    """

    name = "carrier"
    # The service's limits unless the delivery method sets its own.
    default_limits = ParcelLimits()

    @abc.abstractmethod
    def rate(self, request: ShipmentRequest) -> list[RateQuote]:
        """Return the services and prices the carrier offers for ``request``."""

    @abc.abstractmethod
    def ship(self, request: ShipmentRequest) -> ShipmentResult:
        """Buy the shipment (labels included); at most once per idempotency key."""

    @abc.abstractmethod
    def cancel(self, shipment_id: str) -> None:
        """Void a bought shipment."""

    def return_label(self, request: ShipmentRequest) -> ShipmentResult:
        """Buy a return shipment (recipient back to shipper) with its labels."""
        raise CarrierError.not_supported(self.name, "return labels")

    @abc.abstractmethod
    def track(self, tracking_numbers: list[str]) -> list[TrackingInfo]:
        """Return the current tracking state of each tracking number."""

    def parse_webhook(self, body: bytes, headers) -> list[TrackingInfo]:
        """Read a tracking push from the carrier; authentication is the gateway's."""
        raise CarrierError.not_supported(self.name, "tracking webhooks")

    def close(self):  # noqa: B027 - optional hook: adapters without sockets skip it
        """Release network resources (sessions)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
