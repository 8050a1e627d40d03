"""The adapter interface without peers: errors, statuses, label splitting."""

import pytest
from carrier import (
    TRACKING_STATUSES,
    Address,
    CarrierAdapter,
    CarrierError,
    Parcel,
    ShipmentRequest,
)
from carrier.karrio import KARRIO_STATUS_MAP, normalise_status, split_zpl
from carrier.ltl import LTL_STATUS_MAP
from carrier.soap import redact_xml
from lxml import etree


def test_carrier_errors_are_read_by_the_kernel():
    errors = pytest.importorskip("kernel.errors")

    down = errors.classify_exception(
        CarrierError("Karrio is unreachable", transient=True, retry_after=7)
    )
    assert isinstance(down, errors.TransientError) and down.retry_after == 7
    auth = errors.classify_exception(
        CarrierError("bad token", category="authentication")
    )
    assert isinstance(auth, errors.PermanentError) and auth.category == "authentication"
    refused = errors.classify_exception(CarrierError("postal code invalid"))
    assert refused.category == "validation" and not refused.transient


def test_not_supported_is_a_permanent_business_rule():
    error = CarrierError.not_supported("Sandbox", "return labels")
    assert (error.transient, error.category, error.code) == (
        False,
        "business_rule",
        "not_supported",
    )


def test_default_return_label_and_webhook_say_not_supported():
    class Minimal(CarrierAdapter):
        name = "Minimal"

        def rate(self, request):
            return []

        def ship(self, request):
            raise AssertionError

        def cancel(self, shipment_id):
            pass

        def track(self, tracking_numbers):
            return []

    with pytest.raises(CarrierError, match="Minimal does not support return labels"):
        Minimal().return_label(None)
    with pytest.raises(CarrierError, match="does not support tracking webhooks"):
        Minimal().parse_webhook(b"{}", {})


def test_request_refuses_unknown_label_format_and_no_parcel():
    address = Address("A", "S", "C", "1", "US")
    with pytest.raises(ValueError, match="label format 'PNG'"):
        ShipmentRequest(address, address, [Parcel(1)], label_format="PNG")
    with pytest.raises(ValueError, match="at least one parcel"):
        ShipmentRequest(address, address, [])


def test_every_carrier_status_maps_to_one_of_ours():
    assert set(KARRIO_STATUS_MAP.values()) <= set(TRACKING_STATUSES)
    assert set(LTL_STATUS_MAP.values()) <= set(TRACKING_STATUSES)
    assert normalise_status("return_to_sender") == "returned"
    assert normalise_status("on_hold") == "exception"
    assert normalise_status("something_new") == "in_transit"


def test_split_zpl_keeps_each_label_whole():
    document = b"^XA^FDone^FS^XZ\n^XA^FDtwo^FS^XZ\n"
    assert split_zpl(document) == [b"^XA^FDone^FS^XZ", b"^XA^FDtwo^FS^XZ"]


def test_redact_xml_masks_secret_elements_only():
    element = etree.fromstring(
        b"<a xmlns='urn:x'><UserName>u</UserName><Password>p</Password>"
        b"<Auth><ApiKey>k</ApiKey><Token><Inner>t</Inner></Token></Auth></a>"
    )
    text = redact_xml(element)
    assert ">u<" in text
    assert text.count("***") == 3
    assert ">p<" not in text and ">k<" not in text and "Inner" not in text


@pytest.mark.parametrize(
    "module",
    [
        "carrier.base",
        "carrier.karrio",
        "carrier.tracking_links",
        "carrier.sandbox_ltl.server",
        "carrier.sandbox_ltl.pdf",
    ],
)
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
