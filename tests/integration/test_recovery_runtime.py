"""Recovery after crashes, measured on real servers with the real queue_job runner.

Workers are killed with SIGKILL in the middle of partner calls, and a whole node
of a two-node setup on one database is killed. Each test reports the
time-to-resume (from the kill to the partner's next request) and asserts the
bar of the shipped defaults: at most two minutes, nothing lost, each crashed
attempt resent once and counted once, and a slow job of a live worker left alone.
Run with ``-s`` to see the figures live; they are also printed in the summary
of a normal run (recorded in benchmarks/RESULTS.md).
"""

import importlib.util
import json
import os
import signal
import time
from pathlib import Path

import pytest

from .odoo_server import OdooServer
from .odoo_shell import odoo_shell

PEER_PATH = (
    Path(__file__).resolve().parents[2]
    / "addons/distribution_integration_base/tests/partner_peer.py"
)
_spec = importlib.util.spec_from_file_location("dis_partner_peer", PEER_PATH)
partner_peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(partner_peer)
PartnerServer = partner_peer.PartnerServer

RESUME_LIMIT_SECONDS = 120  # with default settings
HOLD_SECONDS = 90  # a partner call in progress when the crash happens
SLOW_SECONDS = 85  # a live job outlasting a dead-job scan (cron: every minute)


@pytest.fixture
def crash_peer():
    server = PartnerServer().start()
    yield server
    server.stop()


@pytest.fixture
def slow_peer():
    server = PartnerServer().start()
    yield server
    server.stop()


def configure(odoo_env, endpoints):
    """Create or update ``(code, peer, capacity)`` endpoints, each with a flow."""
    odoo_shell(
        odoo_env,
        f"""
        for code, url, capacity in {[(c, p.url, n) for c, p, n in endpoints]!r}:
            values = {{
                "name": code, "code": code, "base_url": url,
                "connect_timeout": 2, "read_timeout": {HOLD_SECONDS + 15},
                "job_channel_capacity": capacity,
            }}
            endpoint = env["integration.endpoint"].search([("code", "=", code)])
            if endpoint:
                endpoint.write(values)
            else:
                env["integration.endpoint"].create(values)
            if not env["integration.flow"].search([("code", "=", code + "-orders")]):
                env["integration.flow"].create({{
                    "name": code + " orders", "code": code + "-orders",
                    "direction": "outbound",
                    "handler": "integration.handler.http_json",
                    "http_path": "/orders", "retry_initial_delay": 1,
                    "retry_max_attempts": 4,
                }})
        """,
    )


def send(odoo_env, batches):
    """Send ``{code: count}`` messages in one transaction; ids per code."""
    stamp = time.time_ns()
    lines = odoo_shell(
        odoo_env,
        f"""
        dispatch = env["integration.dispatch"]
        for code, count in {sorted(batches.items())!r}:
            for index in range(count):
                key = "%s-{stamp}-%d" % (code, index)
                message = dispatch._send(code + "-orders", code, {{"order": key}},
                                         idempotency_key=key)
                print("RESULT:", code, message.id)
        """,
    )
    ids = {code: [] for code in batches}
    for line in lines:
        code, message_id = line.split()
        ids[code].append(int(message_id))
    return ids


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.25)


def message_rows(server, ids):
    return server.execute_kw(
        "integration.message",
        "read",
        [ids, ["state", "attempt_count", "idempotency_key"]],
    )


def all_sent(server, ids):
    rows = message_rows(server, ids)
    return rows if all(row["state"] == "sent" for row in rows) else None


def started_jobs(server, channel, count):
    jobs = server.execute_kw(
        "queue.job",
        "search_read",
        [[("channel", "=", channel), ("state", "=", "started")]],
        {"fields": ["uuid", "worker_pid"]},
    )
    return jobs if len(jobs) == count and all(j["worker_pid"] for j in jobs) else None


def keys_sent(peer):
    return [request["headers"].get("Idempotency-Key") for request in peer.requests]


def queue_job_version(server):
    (module,) = server.execute_kw(
        "ir.module.module",
        "search_read",
        [[("name", "=", "queue_job")]],
        {"fields": ["latest_version"]},
    )
    return module["latest_version"]


def active_runner(server):
    (settings_id,) = [server.execute_kw("res.config.settings", "create", [{}])]
    (row,) = server.execute_kw(
        "res.config.settings", "read", [[settings_id], ["integration_job_runner"]]
    )
    return row["integration_job_runner"]


def report(capsys, title, figures):
    line = f"[recovery] {title}: " + json.dumps(figures)
    with capsys.disabled():
        print("\n" + line)


def check_crashed_messages(server, peer, ids, crashed_keys):
    rows = {row["idempotency_key"]: row for row in message_rows(server, ids)}
    sent = keys_sent(peer)
    for key, row in rows.items():
        expected = 2 if key in crashed_keys else 1
        # The crashed attempt is resent once with its key, and counted once.
        assert sent.count(key) == expected, (key, sent)
        assert row["attempt_count"] == expected, row
    failed = server.execute_kw(
        "queue.job",
        "search_count",
        [[("model_name", "=", "integration.message"), ("state", "=", "failed")]],
    )
    assert failed == 0


def test_killed_workers_resume_within_two_minutes(
    odoo_env, crash_peer, slow_peer, capsys
):
    configure(odoo_env, [("crash-peer", crash_peer, 2), ("slow-peer", slow_peer, 1)])
    # The first two calls hang in the partner until their workers are killed.
    crash_peer.script = [{"delay": HOLD_SECONDS}, {"delay": HOLD_SECONDS}]
    slow_peer.default = {"status": 200, "body": {"id": "SLOW"}, "delay": SLOW_SECONDS}
    server = OdooServer(
        odoo_env.python,
        odoo_env.config,
        odoo_env.db,
        workers=4,  # three for jobs, one for the test's own calls
        cron_threads=1,
        channels="root:3,root.integration.crash-peer:2,root.integration.slow-peer:1",
    )
    with server:
        version = queue_job_version(server)
        sent = send(odoo_env, {"slow-peer": 1, "crash-peer": 6})
        ids, (slow_id,) = sent["crash-peer"], sent["slow-peer"]
        wait_until(lambda: len(crash_peer.requests) >= 2, 90, "two calls in progress")
        wait_until(lambda: slow_peer.requests, 90, "the slow call")
        jobs = wait_until(
            lambda: started_jobs(server, "root.integration.crash-peer", 2),
            30,
            "two started jobs",
        )
        crashed_keys = set(keys_sent(crash_peer)[:2])
        pids = [job["worker_pid"] for job in jobs]
        assert all(server.owns_process(pid) for pid in pids), pids
        killed_at = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

        wait_until(lambda: len(crash_peer.requests) > 2, 150, "delivery to resume")
        resumed = crash_peer.requests[2]["at"] - killed_at
        wait_until(lambda: all_sent(server, ids), 150, "every message sent")
        done = max(request["at"] for request in crash_peer.requests) - killed_at
        (slow,) = wait_until(lambda: all_sent(server, [slow_id]), 120, "slow sent")
        report(
            capsys,
            "two workers killed mid-call",
            {
                "queue_job": version,
                "time_to_resume_s": round(resumed, 1),
                "all_delivered_s": round(done, 1),
                "messages": len(ids),
                "slow_live_job_s": SLOW_SECONDS,
                "slow_live_job_attempts": slow["attempt_count"],
            },
        )
        assert resumed <= RESUME_LIMIT_SECONDS
        check_crashed_messages(server, crash_peer, ids, crashed_keys)
        # The live slow job was never taken for dead: one call, one attempt.
        assert len(slow_peer.requests) == 1
        assert slow["attempt_count"] == 1


def test_killed_node_of_two_resumes_within_two_minutes(odoo_env, crash_peer, capsys):
    configure(odoo_env, [("node-peer", crash_peer, 2)])
    crash_peer.script = [{"delay": HOLD_SECONDS}, {"delay": HOLD_SECONDS}]
    common = {
        "workers": 2,
        "cron_threads": 1,
        "channels": "root:2,root.integration.node-peer:2",
    }
    node_a = OdooServer(
        odoo_env.python,
        odoo_env.config,
        odoo_env.db,
        environ={"ODOO_PGAPPNAME": "dis-node-a-{pid}"},
        **common,
    )
    node_b = OdooServer(
        odoo_env.python,
        odoo_env.config,
        odoo_env.db,
        environ={"ODOO_PGAPPNAME": "dis-node-b-{pid}"},
        **common,
    )
    ready = r"queue job runner ready for db"
    with node_a:
        node_a.wait_for_log(ready, timeout=60)
        with node_b:
            version = queue_job_version(node_b)
            # The operator's view: Settings name the active runner's node.
            assert "dis-node-a-" in active_runner(node_b)
            ids = send(odoo_env, {"node-peer": 6})["node-peer"]
            wait_until(lambda: len(crash_peer.requests) >= 2, 90, "calls on node A")
            crashed_keys = set(keys_sent(crash_peer)[:2])
            killed_at = time.monotonic()
            node_a.kill()

            node_b.wait_for_log(ready, timeout=60)
            took_over = time.monotonic() - killed_at
            wait_until(lambda: len(crash_peer.requests) > 2, 150, "delivery")
            resumed = crash_peer.requests[2]["at"] - killed_at
            wait_until(lambda: all_sent(node_b, ids), 150, "every message sent")
            done = max(request["at"] for request in crash_peer.requests) - killed_at
            runner_after = active_runner(node_b)
            report(
                capsys,
                "node holding the runner lock killed (2 nodes, 1 database)",
                {
                    "queue_job": version,
                    "runner_took_over_s": round(took_over, 1),
                    "time_to_resume_s": round(resumed, 1),
                    "all_delivered_s": round(done, 1),
                    "messages": len(ids),
                },
            )
            assert "dis-node-b-" in runner_after
            assert resumed <= RESUME_LIMIT_SECONDS
            check_crashed_messages(node_b, crash_peer, ids, crashed_keys)
