"""The inbound gateway on a real 2-worker Odoo server: a bounded fuzz run, and
what concurrent requests on different workers get (same idempotency key, the
same signed request, repeated bad signatures)."""

import concurrent.futures
import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest
import requests

from .odoo_shell import odoo_shell

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addons" / "distribution_integration_base"
SECRET = "runtime-gateway-secret"
ENDPOINT = "gw-runtime"
FLOW = "gw-runtime-customers"


def _load_plain_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gateway_fuzz = _load_plain_module(
    "dis_gateway_fuzz", ADDON / "tests" / "gateway_fuzz.py"
)


@pytest.fixture(scope="module")
def gateway(odoo_env, odoo_server):
    """An HMAC endpoint and an inbound JSON flow, committed; the server running."""
    odoo_shell(
        odoo_env,
        f"""
        # Reused when this module runs again on the same database.
        endpoint = env["integration.endpoint"].with_context(active_test=False).search(
            [("code", "=", "{ENDPOINT}")]) or env["integration.endpoint"].create({{
            "name": "Runtime gateway", "code": "{ENDPOINT}", "inbound_auth": "hmac",
            "inbound_rate_limit_per_minute": 0, "inbound_max_payload_kb": 512,
            "inbound_failure_limit": 0,
        }})
        endpoint.inbound_credential_id = env["integration.credential"].create({{
            "name": "Runtime gateway secret", "endpoint_id": endpoint.id,
            "kind": "hmac_secret", "secret": "{SECRET}",
        }})
        env["integration.flow"].search([("code", "=", "{FLOW}")]) or env[
            "integration.flow"].create({{
            "name": "Runtime customers", "code": "{FLOW}", "direction": "inbound",
            "trigger": "inbound", "handler": "integration.handler.partner_upsert",
            "endpoint_ids": [(6, 0, endpoint.ids)],
        }})
        """,
    )
    yield odoo_server
    # Refusals counted here must not throttle later tests from this address.
    odoo_shell(
        odoo_env,
        """
        env.cr.execute("DELETE FROM integration_gateway_failure")
        """,
    )


def set_failure_limit(odoo_env, limit):
    odoo_shell(
        odoo_env,
        f"""
        env["integration.endpoint"].search([("code", "=", "{ENDPOINT}")]).write(
            {{"inbound_failure_limit": {limit}, "inbound_failure_window": 60}})
        env.cr.execute("DELETE FROM integration_gateway_failure")
        """,
    )


def url(server):
    return f"{server.url}/integration/inbound/{ENDPOINT}/{FLOW}"


def post_together(server, requests_to_send):
    """POST every ``(body, headers)`` at once (one thread each, released
    together); return the responses in order."""
    barrier = threading.Barrier(len(requests_to_send))

    def one(item):
        body, headers = item
        barrier.wait(timeout=30)
        for attempt in range(3):
            try:
                with requests.Session() as session:
                    return session.post(
                        url(server), data=body, headers=headers, timeout=120
                    )
            except requests.ConnectionError:
                # The prefork server's listen backlog (8 per worker) overflows
                # with 50 connections at once: a TCP reset, never an answer.
                if attempt == 2:
                    raise
                time.sleep(0.2)

    with concurrent.futures.ThreadPoolExecutor(len(requests_to_send)) as pool:
        return list(pool.map(one, requests_to_send))


def message_count(odoo_env, key):
    (count,) = odoo_shell(
        odoo_env,
        f"""
        print("RESULT:", env["integration.message"].search_count(
            [("idempotency_key", "=", "{key}")]))
        """,
    )
    return int(count)


@pytest.mark.parametrize("signing", ["one signature", "signed by each sender"])
def test_concurrent_posts_with_one_key_all_get_the_first_message(
    odoo_env, gateway, signing
):
    key = f"evt-concurrent-{signing.replace(' ', '-')}-{time.time_ns()}"
    body = json.dumps({"ref": key, "name": "Concurrent"}).encode()
    shared = gateway_fuzz.sign(SECRET, body)
    batch = []
    for index in range(50):
        signed = (
            shared
            if signing == "one signature"
            else gateway_fuzz.sign(SECRET, body, timestamp=time.time() - index)
        )
        headers = {k.decode(): v.decode() for k, v in signed.items()}
        headers.update({"Content-Type": "application/json", "Idempotency-Key": key})
        batch.append((body, headers))
    responses = post_together(gateway, batch)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 49 + [202], [r.text[:200] for r in responses]
    assert all(
        r.headers["Content-Type"].startswith("application/json") for r in responses
    )
    names = {response.json()["message"] for response in responses}
    assert len(names) == 1, names
    assert sum(response.json()["duplicate"] for response in responses) == 49
    assert message_count(odoo_env, key) == 1


def test_the_same_signed_request_on_every_worker_is_stored_once(odoo_env, gateway):
    ref = f"replay-{time.time_ns()}"
    body = json.dumps({"ref": ref, "name": "Replayed"}).encode()
    headers = {
        k.decode(): v.decode() for k, v in gateway_fuzz.sign(SECRET, body).items()
    }
    headers["Content-Type"] = "application/json"
    responses = post_together(gateway, [(body, headers)] * 20)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [202] + [409] * 19, [r.text[:200] for r in responses]
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {
        "replayed_request"
    }
    (count,) = odoo_shell(
        odoo_env,
        f"""
        messages = env["integration.message"].search([("flow_id.code", "=", "{FLOW}")])
        print("RESULT:", len(messages.filtered(lambda m: b"{ref}" in m._get_payload())))
        """,
    )
    assert int(count) == 1


def test_bad_signatures_are_throttled_across_workers(odoo_env, gateway):
    set_failure_limit(odoo_env, 5)
    try:
        bad = {
            "Content-Type": "application/json",
            "X-Integration-Timestamp": str(int(time.time())),
            "X-Integration-Signature": "sha256=" + "0" * 64,
        }
        responses = post_together(gateway, [(b'{"ref": "x"}', bad)] * 12)
        statuses = [response.status_code for response in responses]
        assert set(statuses) <= {401, 429}, statuses
        assert statuses.count(429) >= 1, statuses
        body = b'{"ref": "after", "name": "n"}'
        good = {
            k.decode(): v.decode() for k, v in gateway_fuzz.sign(SECRET, body).items()
        }
        good["Content-Type"] = "application/json"
        response = requests.post(url(gateway), data=body, headers=good, timeout=30)
        assert response.status_code == 429, response.text
        assert response.json()["error"] == "too_many_failures"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    finally:
        set_failure_limit(odoo_env, 0)


def set_secret(odoo_env, secret):
    """Replace the gateway's secret and confirm the rotation, in ``odoo shell``:
    a process that does not signal Odoo's caches to the server's workers."""
    odoo_shell(
        odoo_env,
        f"""
        endpoint = env["integration.endpoint"].search([("code", "=", "{ENDPOINT}")])
        endpoint.inbound_credential_id.secret = "{secret}"
        endpoint.inbound_credential_id.action_confirm_rotation()
        """,
    )


def signed_post(server, secret, ref):
    body = json.dumps({"ref": ref, "name": "Cached"}).encode()
    headers = {
        k.decode(): v.decode() for k, v in gateway_fuzz.sign(secret, body).items()
    }
    headers["Content-Type"] = "application/json"
    return requests.post(url(server), data=body, headers=headers, timeout=30)


def test_a_secret_changed_elsewhere_applies_at_once_on_every_worker(odoo_env, gateway):
    # Every worker keeps the endpoint and its credential in a cache: warm them
    # all, change the secret from another process, and the old one must be
    # refused on the very next requests, whichever worker answers.
    tag = time.time_ns()
    batch = [(SECRET, f"warm-{tag}-{index}") for index in range(8)]
    assert {signed_post(gateway, *item).status_code for item in batch} == {202}
    try:
        set_secret(odoo_env, "rotated-runtime-secret")
        old = [signed_post(gateway, SECRET, f"old-{tag}-{i}") for i in range(8)]
        assert {r.status_code for r in old} == {401}, [r.text[:200] for r in old]
        new = [
            signed_post(gateway, "rotated-runtime-secret", f"new-{tag}-{i}")
            for i in range(8)
        ]
        assert {r.status_code for r in new} == {202}, [r.text[:200] for r in new]
    finally:
        set_secret(odoo_env, SECRET)
        odoo_shell(
            odoo_env, 'env.cr.execute("DELETE FROM integration_gateway_failure")'
        )


def test_fuzz_run_never_answers_5xx(gateway):
    fuzzer = gateway_fuzz.GatewayFuzzer(
        ENDPOINT, FLOW, SECRET, seed=2026, other_codes=["acme-edi", "nobody"]
    )
    started = time.monotonic()
    sent, statuses, problems = gateway_fuzz.run(
        "127.0.0.1",
        int(gateway.url.rsplit(":", 1)[1]),
        fuzzer,
        2000,
        deadline_seconds=240,
        threads=4,
    )
    elapsed = time.monotonic() - started
    print(
        f"fuzz: {sent} requests in {elapsed:.0f} s: {sorted(statuses.items(), key=str)}"
    )
    assert problems == [], problems[:20]
    assert sent == 2000, statuses
    # The run reached past authentication, not only the front door.
    assert {202, 400, 401, 404, 405, 415} <= set(statuses), statuses
