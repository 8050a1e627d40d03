"""Shared plumbing for the benchmarks: find Odoo 18, create a throw-away database
with the suite installed, run shell snippets in it and query it.

Benchmarks print ratios against a baseline measured in the same run; they never
assert timings. Run them with the Python that runs Odoo (they re-execute
themselves under it when started with another one).
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.odoo_shell import odoo_shell  # noqa: E402


def odoo_python():
    """The Python interpreter of the Odoo 18 found via ODOO_BIN or PATH."""
    launcher = (
        os.environ.get("ODOO_BIN") or shutil.which("odoo") or shutil.which("odoo-bin")
    )
    if not launcher:
        sys.exit("Odoo 18 not found: set ODOO_BIN or put odoo/odoo-bin on PATH.")
    first = Path(launcher).read_text(errors="replace").splitlines()[0]
    match = re.match(r"#!\s*(\S+)(?:\s+(\S+))?", first)
    if not match:
        return sys.executable
    interpreter, argument = match.groups()
    if interpreter.endswith("/env") and argument:
        return shutil.which(argument) or argument
    return interpreter


def ensure_odoo_python():
    """Re-run the current script under Odoo's Python if needed."""
    try:
        import odoo  # noqa: F401
    except ImportError:
        python = odoo_python()
        os.execv(python, [python, *sys.argv])


def addons_path(python, extra=()):
    """Odoo's and queue_job's addons folders (found by scripts/lib/odoo_paths.py,
    the same discovery the test command uses), then the suite's, then ``extra``."""
    output = subprocess.run(
        [python, str(REPO / "scripts" / "lib" / "odoo_paths.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    paths = [
        found.get("ODOO_ADDONS_PATH", ""),
        found.get("QUEUE_JOB_DIR", ""),
        str(REPO / "addons"),
        str(REPO / "benchmarks" / "addons"),
        *extra,
    ]
    return ",".join(path for path in paths if path)


class BenchEnvironment:
    """A fresh database with the given modules; dropped on exit."""

    def __init__(self, modules, channels="root:2", extra_addons=()):
        self.python = odoo_python()
        self.extra_addons = [str(path) for path in extra_addons]
        self.modules = modules
        self.channels = channels
        self.db = f"dis_bench_{int(time.time())}_{os.getpid()}"
        self.work_dir = Path(tempfile.mkdtemp(prefix="dis-bench-"))
        self.config = str(self.work_dir / "odoo.conf")

    def __enter__(self):
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        Path(self.config).write_text(
            "[options]\n"
            f"addons_path = {addons_path(self.python, self.extra_addons)}\n"
            f"data_dir = {self.work_dir / 'data'}\n"
            f"integration_master_key = {key}\n"
            "\n[queue_job]\n"
            f"channels = {self.channels}\n"
        )
        started = time.monotonic()
        subprocess.run(
            [
                self.python,
                "-c",
                "import odoo.cli; odoo.cli.main()",
                "-c",
                self.config,
                "-d",
                self.db,
                "-i",
                ",".join(self.modules),
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        print(f"# database {self.db} installed in {time.monotonic() - started:.0f} s")
        return self

    def __exit__(self, *exc_info):
        subprocess.run(["dropdb", "--if-exists", self.db], check=False)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def shell(self, code):
        return odoo_shell(self, code)

    def sql(self, query):
        return subprocess.run(
            ["psql", "-d", self.db, "-Atc", query],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()


def machine_line():
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"# machine: {os.cpu_count()} cores, {cpu}; {time.strftime('%Y-%m-%d')}"
