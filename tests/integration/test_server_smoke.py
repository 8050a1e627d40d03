"""The test database answers through a real multi-process server with a job runner."""

import re


def test_admin_reads_users_over_rpc(odoo_server):
    users = odoo_server.execute_kw(
        "res.users",
        "search_read",
        [[("login", "=", "admin")]],
        {"fields": ["login"]},
    )
    assert [user["login"] for user in users] == ["admin"]
    assert odoo_server.execute_kw("res.users", "search_count", [[]]) >= 1


def test_queue_job_runner_is_ready_for_the_database(odoo_server):
    # queue_job's runner waits 5 s after start, then logs this once per database
    # (Odoo ends every log line with a space).
    line = odoo_server.wait_for_log(
        rf"queue job runner ready for db {re.escape(odoo_server.db)}\s*$", timeout=60
    )
    assert odoo_server.db in line
