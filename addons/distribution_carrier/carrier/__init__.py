"""Plain-Python carrier adapters of the carrier channel (no Odoo import).

The interface lives in :mod:`.base`; adapters are imported lazily so the
stdlib-only sandbox (``python -m carrier.sandbox_ltl``) runs without requests
or zeep installed.
"""

from .base import (
    DELIVERED,
    EXCEPTION,
    IN_TRANSIT,
    LABEL_FORMATS,
    OUT_FOR_DELIVERY,
    PENDING,
    RETURNED,
    TRACKING_STATUSES,
    Address,
    CarrierAdapter,
    CarrierError,
    PackageLabel,
    Parcel,
    ParcelLimits,
    RateQuote,
    ShipmentDocument,
    ShipmentRequest,
    ShipmentResult,
    TrackingEvent,
    TrackingInfo,
)

_LAZY = {
    "KarrioAdapter": ".karrio",
    "SoapAdapterBase": ".soap",
    "LtlSoapAdapter": ".ltl",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
