"""Odoo names deliveries "WH/OUT/00001": such numbers reach the sandbox's
routes %2F-encoded in one path segment (the Docker demo ships that way)."""

from urllib.parse import quote


def _order(number):
    return {
        "number": number,
        "po_number": "SO-7",
        "ship_to": {"name": "Customer", "city": "Austin"},
        "lines": [{"line_id": "1", "item": "PANEL-A3", "quantity": "2"}],
    }


def test_an_order_number_with_slashes_is_one_encoded_segment(client):
    number = "3PLR/OUT/00001"
    status, _answer = client.json("POST", "/api/v1/orders", _order(number))
    assert status == 201
    encoded = quote(number, safe="")
    status, order = client.json("GET", f"/api/v1/orders/{encoded}")
    assert status == 200 and order["number"] == number
    (shipment,) = client.admin(f"ship/{encoded}")
    assert shipment["order_number"] == number
    status, order = client.json("GET", f"/api/v1/orders/{encoded}")
    assert order["status"] == "shipped"
    # Unencoded, the slashes are path separators: no such route.
    assert client.json("POST", f"/_sandbox/ship/{number}", {})[0] == 404
