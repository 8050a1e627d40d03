"""Run Odoo commands (``shell``, ``integration-rekey``) on the test database.

Tests use ``odoo shell`` to do what business code does inside Odoo (confirm
something that sends a message) and commit it, exactly as a user transaction
would, before the real server and its queue_job runner take over.
"""

import configparser
import os
import subprocess
import textwrap

ODOO_MAIN = "import odoo.cli; odoo.cli.main()"


def addons_path(config_file):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config_file)
    return parser.get("options", "addons_path")


def run_odoo(odoo_env, *args, stdin=None, env=None, check=True, timeout=300):
    """Run ``odoo --addons-path=... <args>`` and return the CompletedProcess."""
    command = [
        odoo_env.python,
        "-c",
        ODOO_MAIN,
        f"--addons-path={addons_path(odoo_env.config)}",
        *args,
    ]
    result = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args[:1])} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
        )
    return result


def odoo_shell(odoo_env, code, config=None, env=None):
    """Execute ``code`` in ``odoo shell`` (``env`` is bound), commit, and return
    what it printed on lines starting with ``RESULT:``."""
    script = textwrap.dedent(code) + "\nenv.cr.commit()\n"
    result = run_odoo(
        odoo_env,
        "shell",
        "-c",
        config or odoo_env.config,
        "-d",
        odoo_env.db,
        "--no-http",
        "--log-level=warn",
        stdin=script,
        env=env,
    )
    return [
        line[len("RESULT:") :].strip()
        for line in result.stdout.splitlines()
        if line.startswith("RESULT:")
    ]
