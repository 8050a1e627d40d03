"""The kernel on a real, committed database with a real multi-process Odoo server:
the queue_job runner delivering messages, secrets in a database dump, and the
master-key rotation command."""

import configparser
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .odoo_shell import odoo_shell, run_odoo

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addons" / "distribution_integration_base"
CANARY = "PLAINTEXT-CANARY-7c1e9a"


def _load_plain_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


partner_peer = _load_plain_module(
    "dis_partner_peer", ADDON / "tests" / "partner_peer.py"
)
sys.path.insert(0, str(ADDON))
from kernel import crypto  # noqa: E402


@pytest.fixture(scope="module")
def peer():
    server = partner_peer.PartnerServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def configured(odoo_env, peer):
    """An endpoint pointing at the peer, with an encrypted API key, and a flow."""
    odoo_shell(
        odoo_env,
        f"""
        endpoint = env["integration.endpoint"].create({{
            "name": "Runner peer", "code": "runner-peer", "base_url": "{peer.url}",
            "connect_timeout": 2, "read_timeout": 10,
        }})
        env["integration.credential"].create({{
            "name": "Runner key", "endpoint_id": endpoint.id, "kind": "api_key",
            "secret": "{CANARY}",
        }})
        env["integration.flow"].create({{
            "name": "Runner orders", "code": "runner-orders", "direction": "outbound",
            "handler": "integration.handler.http_json", "http_path": "/orders",
            "retry_initial_delay": 1, "retry_max_attempts": 4,
        }})
        """,
    )
    return odoo_env


def send(odoo_env, count, prefix):
    return odoo_shell(
        odoo_env,
        f"""
        dispatch = env["integration.dispatch"]
        for index in range({count}):
            message = dispatch._send("runner-orders", "runner-peer",
                                     {{"order": "{prefix}-%d" % index}},
                                     idempotency_key="{prefix}-%d" % index)
            print("RESULT:", message.id)
        """,
    )


def wait_for_states(server, ids, states, timeout=120):
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = server.execute_kw(
            "integration.message", "read", [ids, ["state", "attempt_count"]]
        )
        if all(row["state"] in states for row in rows):
            return rows
        time.sleep(0.5)
    raise AssertionError(f"messages did not reach {states}: {rows}")


def test_runner_delivers_committed_messages_once_each(configured, peer, odoo_server):
    peer.requests.clear()
    ids = [int(i) for i in send(configured, 20, "RUN")]
    rows = wait_for_states(odoo_server, ids, {"sent"})
    assert [row["attempt_count"] for row in rows] == [1] * 20
    bodies = sorted(request["body"] for request in peer.requests)
    assert bodies == sorted(f'{{"order":"RUN-{i}"}}'.encode() for i in range(20))
    assert {r["headers"]["X-Api-Key"] for r in peer.requests} == {CANARY}
    jobs = odoo_server.execute_kw(
        "queue.job",
        "search_read",
        [[("model_name", "=", "integration.message"), ("state", "!=", "done")]],
        {"fields": ["uuid", "state", "exc_info"]},
    )
    assert jobs == []


def test_runner_retries_transient_failures(configured, peer, odoo_server):
    peer.requests.clear()
    peer.script = [
        {"status": 503, "body": "busy", "headers": {"Retry-After": "1"}},
    ]
    (message_id,) = [int(i) for i in send(configured, 1, "RETRY")]
    (row,) = wait_for_states(odoo_server, [message_id], {"sent", "dead"}, timeout=60)
    assert row == {"id": message_id, "state": "sent", "attempt_count": 2}
    assert len(peer.requests) == 2


def test_sending_state_is_visible_while_the_partner_works(
    configured, peer, odoo_server
):
    peer.script = [{"status": 200, "body": {"id": "SLOW"}, "delay": 4}]
    (message_id,) = [int(i) for i in send(configured, 1, "SLOW")]
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        (row,) = odoo_server.execute_kw(
            "integration.message", "read", [[message_id], ["state", "attempt_count"]]
        )
        seen.add((row["state"], row["attempt_count"]))
        if row["state"] == "sent":
            break
        time.sleep(0.2)
    assert ("sending", 1) in seen
    assert ("sent", 1) in seen


def test_database_dump_holds_no_plaintext_secret(configured):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(configured.config)
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--table=integration_credential", configured.db],
        capture_output=True,
        check=True,
    ).stdout
    assert b"dis1$" in dump  # the ciphertext is there...
    full = subprocess.run(
        ["pg_dump", configured.db], capture_output=True, check=True
    ).stdout
    assert CANARY.encode() not in full  # ...and the secret nowhere in the database


def test_rekey_command_reencrypts_and_refuses_a_wrong_key(configured, tmp_path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(configured.config)
    old_key = parser.get("options", crypto.MASTER_KEY_OPTION)
    new_key = crypto.generate_master_key()
    new_box = crypto.SecretBox(crypto.parse_master_key(new_key))

    # A wrong current key: refused with a clear message, nothing changed.
    wrong_config = tmp_path / "wrong.conf"
    parser.set("options", crypto.MASTER_KEY_OPTION, crypto.generate_master_key())
    with open(wrong_config, "w") as handle:
        parser.write(handle)
    refused = run_odoo(
        configured,
        "integration-rekey",
        "-c",
        str(wrong_config),
        "-d",
        configured.db,
        env={"ODOO_INTEGRATION_NEW_MASTER_KEY": new_key},
        check=False,
    )
    assert refused.returncode != 0
    assert "Nothing was changed" in refused.stderr + refused.stdout

    done = run_odoo(
        configured,
        "integration-rekey",
        "-c",
        configured.config,
        "-d",
        configured.db,
        env={"ODOO_INTEGRATION_NEW_MASTER_KEY": new_key},
    )
    assert new_box.key_id in done.stdout
    new_config = tmp_path / "new.conf"
    parser.set("options", crypto.MASTER_KEY_OPTION, new_key)
    with open(new_config, "w") as handle:
        parser.write(handle)
    (secret,) = odoo_shell(
        configured,
        """
        credential = env["integration.credential"].search([("name", "=", "Runner key")])
        print("RESULT:", credential._get_secret())
        """,
        config=str(new_config),
    )
    assert secret == CANARY

    # Put the database back under the run's key for the tests that follow.
    run_odoo(
        configured,
        "integration-rekey",
        "-c",
        str(new_config),
        "-d",
        configured.db,
        env={"ODOO_INTEGRATION_NEW_MASTER_KEY": old_key},
    )
    assert os.environ.get("ODOO_INTEGRATION_NEW_MASTER_KEY") is None
