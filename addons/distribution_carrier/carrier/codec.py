"""JSON form of the adapter dataclasses: what the kernel's message log stores.

A booking message carries the :class:`~.base.ShipmentRequest` exactly as it
was built when the picking was validated, so a retry or a replay sends the
same thing; a polled tracking message carries a :class:`~.base.TrackingInfo`.

>>> from .base import Address, Parcel, ShipmentRequest
>>> address = Address("A", "1 St", "Town", "10001", "US")
>>> request = ShipmentRequest(address, address, [Parcel(1.5, reference="P1")])
>>> request_from_dict(request_to_dict(request)) == request
True
"""

import base64
from dataclasses import asdict
from datetime import datetime

from .base import Address, Parcel, ShipmentRequest, TrackingEvent, TrackingInfo


def request_to_dict(request):
    """A ShipmentRequest as plain JSON-serialisable data."""
    return asdict(request)


def request_from_dict(data):
    """The ShipmentRequest :func:`request_to_dict` wrote."""
    values = dict(data)
    values["shipper"] = Address(**values["shipper"])
    values["recipient"] = Address(**values["recipient"])
    values["parcels"] = [Parcel(**parcel) for parcel in values["parcels"]]
    return ShipmentRequest(**values)


def _stamp(moment):
    return moment.isoformat() if moment else None


def _moment(text):
    return datetime.fromisoformat(text) if text else None


def tracking_to_dict(info):
    """A TrackingInfo as JSON data; the POD document is base64."""
    data = asdict(info)
    data["delivered_at"] = _stamp(info.delivered_at)
    data["pod"] = base64.b64encode(info.pod).decode() if info.pod else None
    data["events"] = [
        dict(asdict(event), timestamp=_stamp(event.timestamp)) for event in info.events
    ]
    return data


def tracking_from_dict(data):
    """The TrackingInfo :func:`tracking_to_dict` wrote."""
    values = dict(data)
    values["delivered_at"] = _moment(values.get("delivered_at"))
    values["pod"] = base64.b64decode(values["pod"]) if values.get("pod") else None
    values["events"] = [
        TrackingEvent(**dict(event, timestamp=_moment(event.get("timestamp"))))
        for event in values.get("events") or []
    ]
    return TrackingInfo(**values)
