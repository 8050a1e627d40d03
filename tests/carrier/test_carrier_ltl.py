"""LtlSoapAdapter (zeep) against the sandbox LTL SOAP service."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from carrier import DELIVERED, EXCEPTION, IN_TRANSIT, PENDING, CarrierError, Parcel
from carrier.ltl import LtlSoapAdapter
from carrier.sandbox_ltl import (
    REJECTED_POSTAL_CODE,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
)
from carrier.sandbox_ltl.server import quote_amount
from carrier.soap import forget_wsdl
from karrio_peer import free_port

ADDON_DIR = Path(__file__).resolve().parents[2] / "addons" / "distribution_carrier"


@pytest.fixture
def ltl(sandbox):
    with LtlSoapAdapter(
        sandbox.wsdl_url,
        SANDBOX_USERNAME,
        SANDBOX_PASSWORD,
        timeout=5,
        operation_timeout=5,
    ) as adapter:
        yield adapter


@pytest.fixture
def pallets_request(make_request):
    def build(**overrides):
        parcels = [
            Parcel(400, 120, 80, 100, reference="PAL-1", freight_class="70"),
            Parcel(250, 120, 80, 90, reference="PAL-2", freight_class="100"),
        ]
        overrides.setdefault("service_code", "STD")
        return make_request(parcels=parcels, **overrides)

    return build


def _control(sandbox, path, payload=None):
    response = requests.post(sandbox.url + path, json=payload or {}, timeout=5)
    response.raise_for_status()
    return response.json()


def test_quote_gives_each_service_level_with_formula_price(ltl, pallets_request):
    quotes = ltl.rate(pallets_request(service_code=""))

    items = [
        {"weight": 400.0, "freight_class": "70"},
        {"weight": 250.0, "freight_class": "100"},
    ]
    assert [(q.service_code, q.amount, q.currency) for q in quotes] == [
        ("STD", quote_amount(items, "07102", "60601", "STD"), "USD"),
        ("GTD", quote_amount(items, "07102", "60601", "GTD"), "USD"),
    ]
    assert quotes[0].transit_days > quotes[1].transit_days
    assert quotes[0].carrier_ref.startswith("QSTD-")


def test_book_returns_pro_bol_pdf_and_unit_labels(ltl, pallets_request):
    result = ltl.ship(pallets_request(idempotency_key="picking-7"))

    pro = result.carrier_shipment_id
    assert result.extra == {
        "pro_number": pro,
        "bol_number": f"BOL{pro}",
        "reused": False,
    }
    [bol] = result.documents
    assert bol.content.startswith(b"%PDF-1.4") and bol.content.rstrip().endswith(
        b"%%EOF"
    )
    assert bol.name == f"Bill of lading BOL{pro}"
    assert result.tracking_numbers == [pro, pro]  # LTL: one PRO for the shipment
    assert [p.parcel_reference for p in result.packages] == ["PAL-1", "PAL-2"]
    assert all(p.label.startswith(b"%PDF") for p in result.packages)
    assert result.total_price > 0 and result.currency == "USD"
    pypdf = pytest.importorskip("pypdf")
    text = pypdf.PdfReader(io.BytesIO(bol.content)).pages[0].extract_text()
    assert f"BOL{pro}" in text and "SANDBOX" in text


def test_book_zpl_labels(ltl, pallets_request):
    result = ltl.ship(pallets_request(label_format="ZPL", idempotency_key="picking-z"))
    for package in result.packages:
        assert package.label.startswith(b"^XA") and package.label.endswith(b"^XZ")
        assert result.carrier_shipment_id.encode() in package.label


def test_booking_again_with_same_key_returns_same_pro(ltl, sandbox, pallets_request):
    first = ltl.ship(pallets_request(idempotency_key="picking-8"))
    second = ltl.ship(pallets_request(idempotency_key="picking-8"))

    assert second.carrier_shipment_id == first.carrier_shipment_id
    assert second.extra["reused"] is True
    state = requests.get(sandbox.url + "/_sandbox/state", timeout=5).json()
    assert len(state["shipments"]) == 1


def test_return_books_own_pro_with_return_bol_swapped_parties(
    ltl, sandbox, pallets_request
):
    outbound = ltl.ship(pallets_request(idempotency_key="picking-r1"))
    forward = pallets_request()
    request = pallets_request(
        shipper=forward.recipient,
        recipient=forward.shipper,
        idempotency_key="return-r1",
        options={"original_shipment_id": outbound.carrier_shipment_id},
    )

    result = ltl.return_label(request)

    pro = result.carrier_shipment_id
    assert pro != outbound.carrier_shipment_id
    assert result.extra == {
        "pro_number": pro,
        "bol_number": f"RBOL{pro}",
        "reused": False,
        "original_pro_number": outbound.carrier_shipment_id,
    }
    [bol] = result.documents
    assert bol.name == f"Return bill of lading RBOL{pro}"
    assert bol.content.startswith(b"%PDF-1.4")
    assert result.tracking_numbers == [pro, pro]
    assert all(p.label.startswith(b"%PDF") for p in result.packages)
    # The customer ships, the warehouse receives: the XML says so.
    sent = ltl.last_exchange["request"]
    assert "ReturnShipmentRequest" in sent
    shipper_xml = sent.split("Shipper>")[1]
    assert "Chicago" in shipper_xml and "Newark" not in shipper_xml
    pypdf = pytest.importorskip("pypdf")
    text = pypdf.PdfReader(io.BytesIO(bol.content)).pages[0].extract_text()
    assert "RETURN BILL OF LADING" in text
    assert f"Return of PRO: {outbound.carrier_shipment_id}" in text

    again = ltl.return_label(request)
    assert again.carrier_shipment_id == pro and again.extra["reused"] is True
    state = requests.get(sandbox.url + "/_sandbox/state", timeout=5).json()
    assert state["shipments"][pro]["is_return"] is True
    assert len(state["shipments"]) == 2
    [info] = ltl.track([pro])
    assert info.status == PENDING


def test_return_of_unknown_pro_is_refused(ltl, pallets_request):
    request = pallets_request(
        idempotency_key="return-r2", options={"original_shipment_id": "99999999"}
    )
    with pytest.raises(CarrierError) as caught:
        ltl.return_label(request)
    assert (caught.value.transient, caught.value.code) == (False, "NotFound")
    assert "99999999" in caught.value.message


def test_track_to_delivered_with_signer_and_pod(ltl, sandbox, pallets_request):
    pro = ltl.ship(pallets_request(idempotency_key="picking-9")).carrier_shipment_id
    [booked] = ltl.track([pro])
    assert booked.status == PENDING and booked.delivered_at is None

    _control(sandbox, f"/_sandbox/advance/{pro}")
    [picked] = ltl.track([pro])
    assert picked.status == IN_TRANSIT and picked.carrier_status == "PICKED_UP"

    _control(
        sandbox,
        f"/_sandbox/advance/{pro}",
        {"to": "delivered", "signed_by": "M. Ortiz"},
    )
    [info] = ltl.track([pro])

    assert info.status == DELIVERED and info.carrier_status == "DELIVERED"
    assert info.signed_by == "M. Ortiz"
    assert info.delivered_at is not None and info.delivered_at.utcoffset().seconds == 0
    assert info.pod.startswith(b"%PDF")
    assert [event.code for event in info.events] == ["D1", "OD", "AR", "PU", "BK"]
    assert info.events[0].location == "Chicago"


def test_cancel_before_pickup_then_refused_after(ltl, sandbox, pallets_request):
    pro = ltl.ship(pallets_request(idempotency_key="picking-10")).carrier_shipment_id
    ltl.cancel(pro)
    [info] = ltl.track([pro])
    assert (info.status, info.carrier_status) == (EXCEPTION, "CANCELLED")

    other = ltl.ship(pallets_request(idempotency_key="picking-11")).carrier_shipment_id
    _control(sandbox, f"/_sandbox/advance/{other}")
    with pytest.raises(CarrierError) as caught:
        ltl.cancel(other)
    error = caught.value
    assert (error.transient, error.category, error.code) == (
        False,
        "business_rule",
        "NotCancellable",
    )
    assert "only shipments not yet picked up can be cancelled" in error.message


def test_address_rejected_fault_is_permanent(ltl, pallets_request):
    request = pallets_request(idempotency_key="picking-12")
    request.recipient.postal_code = REJECTED_POSTAL_CODE

    with pytest.raises(CarrierError) as caught:
        ltl.ship(request)

    error = caught.value
    assert (error.transient, error.category, error.code) == (
        False,
        "validation",
        "AddressRejected",
    )
    assert "Consignee address rejected: postal code 00000" in error.message


def test_wrong_password_is_authentication(sandbox, pallets_request):
    with (
        LtlSoapAdapter(sandbox.wsdl_url, SANDBOX_USERNAME, "wrong") as adapter,
        pytest.raises(CarrierError) as caught,
    ):
        adapter.rate(pallets_request())
    assert (caught.value.transient, caught.value.category) == (False, "authentication")


@pytest.mark.parametrize("style", ["http", "fault"])
def test_service_down_is_transient_then_recovers(ltl, sandbox, pallets_request, style):
    ltl.rate(pallets_request())  # WSDL loaded while up
    _control(sandbox, "/_sandbox/mode", {"down": True, "down_style": style})

    with pytest.raises(CarrierError) as caught:
        ltl.rate(pallets_request())

    error = caught.value
    assert error.transient is True and error.category == "transport"
    if style == "http":
        assert "HTTP 503" in error.message and error.retry_after == 5.0
    else:
        assert error.code == "ServiceUnavailable"
    _control(sandbox, "/_sandbox/mode", {"down": False})
    assert ltl.rate(pallets_request())


def test_slow_service_times_out_on_operation_timeout(sandbox, pallets_request):
    with LtlSoapAdapter(
        sandbox.wsdl_url,
        SANDBOX_USERNAME,
        SANDBOX_PASSWORD,
        timeout=5,
        operation_timeout=0.5,
    ) as adapter:
        adapter.client  # noqa: B018 - load the WSDL before the service turns slow
        _control(sandbox, "/_sandbox/mode", {"delay": 3})
        started = time.monotonic()
        with pytest.raises(CarrierError) as caught:
            adapter.rate(pallets_request())
        elapsed = time.monotonic() - started
    assert caught.value.transient is True and caught.value.category == "timeout"
    assert elapsed < 2


def test_unreachable_service_is_transient(pallets_request):
    url = f"http://127.0.0.1:{free_port()}/ltl?wsdl"
    with (
        LtlSoapAdapter(url, "u", "p", timeout=1) as adapter,
        pytest.raises(CarrierError) as caught,
    ):
        adapter.rate(pallets_request())
    assert caught.value.transient is True


def test_captured_xml_masks_credentials(ltl, pallets_request):
    ltl.ship(pallets_request(idempotency_key="picking-13"))
    exchange = ltl.last_exchange

    assert exchange["operation"] == "BookShipment"
    assert exchange["http_status"] == 200
    assert SANDBOX_PASSWORD not in exchange["request"]
    assert "<ns0:Password>***</ns0:Password>" in exchange["request"]
    assert "<ns0:UserName>sandbox</ns0:UserName>" in exchange["request"]
    assert "ProNumber" in exchange["response"]

    request = pallets_request(idempotency_key="picking-14")
    request.recipient.postal_code = REJECTED_POSTAL_CODE
    with pytest.raises(CarrierError):
        ltl.ship(request)
    assert SANDBOX_PASSWORD not in ltl.last_exchange["request"]
    assert "AddressRejected" in ltl.last_exchange["response"]


def test_wsdl_is_fetched_once_for_two_adapters(sandbox, pallets_request):
    forget_wsdl(sandbox.wsdl_url)
    before = requests.get(sandbox.url + "/_sandbox/state", timeout=5).json()

    for _ in range(2):
        with LtlSoapAdapter(sandbox.wsdl_url, SANDBOX_USERNAME, SANDBOX_PASSWORD) as a:
            a.rate(pallets_request())

    after = requests.get(sandbox.url + "/_sandbox/state", timeout=5).json()
    assert after["wsdl_requests"] - before["wsdl_requests"] == 1
    assert after["soap_requests"] - before["soap_requests"] == 2


def test_sandbox_runs_as_a_command_and_says_it_is_a_sandbox():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "carrier.sandbox_ltl", "--port", str(port)],
        cwd=ADDON_DIR,
        env={**os.environ, "PYTHONPATH": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        banner = process.stdout.readline().decode()
        assert "SANDBOX" in banner and f":{port}/ltl?wsdl" in banner
        wsdl = requests.get(f"http://127.0.0.1:{port}/ltl?wsdl", timeout=5).text
        assert "SANDBOX ONLY - NOT A REAL CARRIER" in wsdl
        assert f'location="http://127.0.0.1:{port}/ltl"' in wsdl
    finally:
        process.terminate()
        process.wait(timeout=10)
