"""KarrioAdapter against a real Karrio server with its offline generic carrier."""

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from carrier import DELIVERED, IN_TRANSIT, CarrierError, Parcel
from carrier.karrio import KarrioAdapter
from carrier.ltl import LtlSoapAdapter
from fault_proxy import FaultProxy
from karrio_peer import free_port


def _two_parcels(prefix):
    return [
        Parcel(
            weight_kg=2.5,
            length_cm=30,
            width_cm=20,
            height_cm=10,
            reference=f"{prefix}-1",
        ),
        Parcel(
            weight_kg=1.0,
            length_cm=20,
            width_cm=15,
            height_cm=10,
            reference=f"{prefix}-2",
        ),
    ]


def test_rates_come_from_the_carrier_connection(karrio_adapter, make_request):
    quotes = karrio_adapter.rate(make_request())

    assert [quote.service_code for quote in quotes] == ["standard_service"]
    quote = quotes[0]
    # The generic carrier without a rate sheet prices every service at 0.00 USD.
    assert (quote.amount, quote.currency, quote.transit_days) == (0.0, "USD", 1)
    assert quote.service_name == "STANDARD SERVICE"
    assert quote.carrier_ref.startswith("rat_")


@pytest.mark.parametrize(("label_format", "magic"), [("PDF", b"%PDF"), ("ZPL", b"^XA")])
def test_ship_two_parcels_gives_one_tracking_number_and_label_each(
    karrio_adapter, karrio, make_request, label_format, magic
):
    request = make_request(
        parcels=_two_parcels(f"PK-{label_format}"),
        label_format=label_format,
        idempotency_key=f"picking-1-{label_format}",
    )

    result = karrio_adapter.ship(request)

    assert result.carrier_shipment_id.startswith("shp_")
    assert result.label.startswith(magic)
    assert [package.parcel_reference for package in result.packages] == [
        f"PK-{label_format}-1",
        f"PK-{label_format}-2",
    ]
    # The generic carrier takes each parcel's reference as its tracking number.
    assert result.tracking_numbers == [f"PK-{label_format}-1", f"PK-{label_format}-2"]
    for package in result.packages:
        assert package.label.startswith(magic), package
        assert package.label_format == label_format
    if label_format == "ZPL":
        # Each package's own label, not the shipment's: it names its carton.
        assert b"CARTON: 1 OF 2" in result.packages[0].label
        assert b"CARTON: 2 OF 2" in result.packages[1].label
    assert result.total_price == 0.0 and result.currency == "USD"
    held = karrio.api("GET", f"/v1/shipments/{result.carrier_shipment_id}")
    assert held["label_type"] == label_format
    assert held["metadata"] == {"idempotency_key": f"picking-1-{label_format}"}


def test_cancel_voids_the_shipment(karrio_adapter, karrio, make_request):
    result = karrio_adapter.ship(make_request(idempotency_key="picking-cancel"))

    karrio_adapter.cancel(result.carrier_shipment_id)
    karrio_adapter.cancel(result.carrier_shipment_id)  # again: still fine

    held = karrio.api("GET", f"/v1/shipments/{result.carrier_shipment_id}")
    assert held["status"] == "cancelled"
    # A cancelled shipment is not "already bought": the key may book again.
    assert karrio_adapter.find_shipment("picking-cancel") is None


def test_cancel_unknown_shipment_is_permanent(karrio_adapter):
    with pytest.raises(CarrierError) as caught:
        karrio_adapter.cancel("shp_does_not_exist")
    assert caught.value.transient is False
    assert "Resource not found" in caught.value.message


def test_retry_after_timeout_buys_one_shipment_only(karrio, make_request):
    key = "picking-42-timeout"
    request = make_request(parcels=_two_parcels("PK-T"), idempotency_key=key)
    # Karrio buys, then the answer is held past the client's read timeout: the
    # purchase happened, the client only saw a timeout.
    proxy = FaultProxy(karrio.url).start()
    proxy.slow_after[("POST", "/v1/shipments")] = 3
    impatient = KarrioAdapter(
        proxy.url, karrio.api_key, carrier_ids=[karrio.carrier_id], timeout=(3, 1)
    )
    try:
        with pytest.raises(CarrierError) as caught:
            impatient.ship(request)
    finally:
        impatient.close()
        proxy.stop()
    assert caught.value.transient is True and caught.value.category == "timeout"

    def held():
        return karrio.shipments(metadata_key="idempotency_key", metadata_value=key)

    deadline = time.monotonic() + 10
    while held()["count"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)  # the job queue's back-off, shortened
    assert held()["count"] == 1

    patient = KarrioAdapter(karrio.url, karrio.api_key, carrier_ids=[karrio.carrier_id])
    first = patient.ship(request)
    second = patient.ship(request)
    patient.close()

    assert first.carrier_shipment_id == second.carrier_shipment_id
    assert first.extra["reused"] and second.extra["reused"]
    assert first.tracking_numbers == ["PK-T-1", "PK-T-2"]
    assert first.label.startswith(b"%PDF")  # downloaded again through label_url
    assert held()["count"] == 1


def test_invalid_address_is_permanent_with_karrio_message(karrio_adapter, make_request):
    request = make_request(idempotency_key="picking-bad-address")
    request.recipient.postal_code = "ABCDE"

    with pytest.raises(CarrierError) as caught:
        karrio_adapter.ship(request)

    error = caught.value
    assert (error.transient, error.category, error.code) == (
        False,
        "validation",
        "validation",
    )
    assert "recipient.postal_code: The American postal code must match" in error.message


def test_unknown_service_is_a_permanent_business_rule(karrio_adapter, make_request):
    with pytest.raises(CarrierError) as caught:
        karrio_adapter.ship(
            make_request(service_code="teleport", idempotency_key="x-svc")
        )
    assert caught.value.transient is False
    assert caught.value.category == "business_rule"
    assert "not available" in caught.value.message


def test_karrio_down_is_transient(make_request):
    closed = f"http://127.0.0.1:{free_port()}"
    with (
        KarrioAdapter(closed, "any", timeout=(1, 1)) as adapter,
        pytest.raises(CarrierError) as caught,
    ):
        adapter.rate(make_request())
    assert caught.value.transient is True
    assert caught.value.category == "transport"
    assert caught.value.message.startswith("Karrio was unavailable for the rate")


def test_karrio_answering_503_is_unavailable_not_refused(karrio, make_request):
    proxy = FaultProxy(karrio.url).start()
    proxy.down = True
    try:
        with (
            KarrioAdapter(proxy.url, karrio.api_key, timeout=(3, 10)) as adapter,
            pytest.raises(CarrierError) as caught,
        ):
            adapter.find_shipment("picking-down")
    finally:
        proxy.stop()
    error = caught.value
    assert (error.transient, error.category) == (True, "transport")
    assert error.message.startswith(
        "Karrio was unavailable for the shipment lookup (HTTP 503)"
    ), error.message
    assert "refused" not in error.message


def test_every_parcel_gets_a_working_tracking_link(
    karrio, karrio_adapter, make_request
):
    result = karrio_adapter.ship(
        make_request(parcels=_two_parcels("PK-L"), idempotency_key="picking-links")
    )

    # The generic carrier has no public page: Karrio's tracker link, made
    # absolute, one per parcel.
    assert [package.tracking_url for package in result.packages] == [
        f"{karrio.url}/v1/trackers/dis_test/PK-L-1",
        f"{karrio.url}/v1/trackers/dis_test/PK-L-2",
    ]
    assert result.tracking_url == result.packages[0].tracking_url
    karrio.create_tracker(result.carrier_shipment_id)
    response = requests.get(
        result.packages[0].tracking_url,
        headers={"Authorization": f"Token {karrio.api_key}"},
        timeout=10,
    )
    assert response.status_code in (200, 202), response.text
    assert response.json()["tracking_number"] == "PK-L-1"


def test_well_known_carriers_link_to_their_public_page(karrio_adapter):
    # A shipment as Karrio answers it for UPS (narrow: no UPS account here).
    shipment = {
        "carrier_name": "ups",
        "service": "ups_ground",
        "tracking_number": "1Z001",
        "tracking_url": "/v1/trackers/ups/1Z001",
    }
    assert (
        karrio_adapter._tracking_url(shipment, "1Z002")
        == "https://www.ups.com/track?tracknum=1Z002"
    )
    # Karrio's own link when the carrier is not a well-known one.
    shipment.update(carrier_name="acme_freight", service="acme_std")
    assert karrio_adapter._tracking_url(shipment, "1Z002") == (
        f"{karrio_adapter.base_url}/v1/trackers/ups/1Z002"
    )


@pytest.mark.parametrize(
    ("adapter", "parcels", "reason"),
    [
        (KarrioAdapter, [Parcel(30000, 30, 20, 10, reference="P1")], "70 kg"),
        (KarrioAdapter, [Parcel(5, 300, 20, 10, reference="P1")], "274 cm"),
        (KarrioAdapter, [Parcel(5, 200, 60, 60, reference="P1")], "419 cm"),
        (LtlSoapAdapter, [Parcel(3000, 120, 100, 100, reference="P1")], "2268 kg"),
        (
            LtlSoapAdapter,
            [Parcel(2000, 120, 100, 100, reference=f"P{n}") for n in range(11)],
            "20000 kg per shipment",
        ),
    ],
)
def test_service_limits_refuse_oversized_parcels(adapter, parcels, reason):
    reasons = adapter.default_limits.violations(parcels)
    assert len(reasons) == 1 and reason in reasons[0], reasons
    fitting = [Parcel(20, 60, 40, 40, reference="OK")]
    assert adapter.default_limits.violations(fitting) == []


def test_wrong_token_is_an_authentication_error(karrio, make_request):
    with (
        KarrioAdapter(karrio.url, "not-a-token", timeout=(3, 10)) as adapter,
        pytest.raises(CarrierError) as caught,
    ):
        adapter.rate(make_request())
    assert (caught.value.transient, caught.value.category) == (False, "authentication")
    assert "401" in caught.value.message


def test_return_label_not_supported_by_generic_carrier(karrio_adapter, make_request):
    with pytest.raises(CarrierError) as caught:
        karrio_adapter.return_label(make_request(idempotency_key="return-1"))
    error = caught.value
    assert (error.transient, error.category, error.code) == (
        False,
        "business_rule",
        "not_supported",
    )
    assert "this operation is not supported" in error.message


def scan_time(hours):
    """A scan ``hours`` after now, as carriers report it (minutes, no zone).

    Karrio's tracker starts with its own event at the shipment's time (now):
    the carrier's scans come after it, whatever today's date is.
    """
    moment = datetime.now(timezone.utc) + timedelta(hours=hours)
    return moment.replace(second=0, microsecond=0)


def test_tracking_webhook_through_to_delivered(
    karrio, karrio_adapter, make_request, webhook_receiver
):
    picked_up, delivered = scan_time(1), scan_time(2)
    webhook = karrio.create_webhook(webhook_receiver.url)
    try:
        shipment = karrio_adapter.ship(
            make_request(
                parcels=_two_parcels("PK-W"), idempotency_key="picking-webhook"
            )
        )
        tracker = karrio.create_tracker(shipment.carrier_shipment_id)
        karrio.inject_events(
            tracker["id"],
            "in_transit",
            [
                {
                    "date": picked_up.strftime("%Y-%m-%d"),
                    "time": picked_up.strftime("%H:%M"),
                    "code": "PU",
                    "description": "Picked up",
                    "location": "Newark, NJ",
                    "status": "in_transit",
                }
            ],
        )
        karrio.set_proof_of_delivery(tracker["id"], "J. Doe", b"POD-IMAGE-BYTES")
        karrio.inject_events(
            tracker["id"],
            "delivered",
            [
                {
                    "date": delivered.strftime("%Y-%m-%d"),
                    "time": delivered.strftime("%H:%M"),
                    "code": "DL",
                    "description": "Delivered, signed by J. Doe",
                    "location": "Chicago, IL",
                    "status": "delivered",
                }
            ],
            delivered=True,
        )
        headers, body = webhook_receiver.wait_for(
            lambda payload: (
                payload["event"] == "tracker_updated"
                and payload["data"]["status"] == "delivered"
            )
        )
    finally:
        karrio.delete_webhook(webhook["id"])

    # Karrio authenticates deliveries with the webhook secret, not a signature.
    assert headers["X-Event-Id"] == webhook["secret"]
    [info] = karrio_adapter.parse_webhook(body, headers)
    assert info.tracking_number == tracker["tracking_number"]
    assert info.tracking_number in shipment.tracking_numbers
    assert info.status == DELIVERED and info.delivered
    assert info.signed_by == "J. Doe"
    assert info.delivered_at == delivered
    assert info.delivered_at.tzinfo is timezone.utc
    # Karrio adds its own CREATED event, stamped when the tracker was made (the
    # real date): the carrier's scans are compared among themselves, newest first.
    scans = [e for e in info.events if e.code != "CREATED"]
    assert [(e.code, e.status) for e in scans] == [
        ("DL", DELIVERED),
        ("PU", IN_TRANSIT),
    ]
    assert scans[0].location == "Chicago, IL"
    assert info.pod_url.endswith("/delivery_image")
    # Karrio 2026.1.32 announces the image URL but routes it to another view.
    assert karrio_adapter.fetch_pod(info) is None

    # Shipment events are not tracking updates.
    _headers, purchased = webhook_receiver.wait_for(
        lambda payload: payload["event"] == "shipment_purchased"
    )
    assert karrio_adapter.parse_webhook(purchased, {}) == []

    # Polling gives the same answer, POD downloaded.
    [polled] = karrio_adapter.track([info.tracking_number])
    assert (polled.status, polled.signed_by) == (DELIVERED, "J. Doe")
    assert polled.delivered_at == info.delivered_at


def test_unreadable_webhook_is_permanent(karrio_adapter):
    with pytest.raises(CarrierError) as caught:
        karrio_adapter.parse_webhook(b"<html>", {})
    assert caught.value.transient is False


def test_adapter_session_is_reused(karrio_adapter, make_request):
    # One Session, one pooled connection: the second call opens no new socket.
    karrio_adapter.rate(make_request())
    pool = karrio_adapter.session.get_adapter(karrio_adapter.base_url).poolmanager
    karrio_adapter.rate(make_request())
    assert len(pool.pools) == 1
    assert isinstance(karrio_adapter.session, requests.Session)
