"""Start a real multi-process Odoo server on loopback for integration tests.

``./scripts/test.sh`` installs the suite into a fresh database and hands its Python,
configuration file and database name to the tests (``DIS_ODOO_*`` variables). Tests
then run this server with workers, so that OCA queue_job's runner executes delayed
jobs through HTTP exactly as in production.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

# Odoo's prefork server starts its gevent worker by re-running ``sys.argv[0]``, so
# the server must be started from a real file, not from ``python -c``.
LAUNCHER_SOURCE = "import odoo.cli\n\nodoo.cli.main()\n"


class OdooServerError(RuntimeError):
    """The server did not start, died, or did not log what was awaited."""


class OdooRpcError(RuntimeError):
    """An RPC call answered with an error; ``data`` holds Odoo's error payload."""

    def __init__(self, message, data=None):
        super().__init__(message)
        self.data = data or {}


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OdooServer:
    """A multi-process Odoo server for one database, usable as a context manager.

    It serves ``db`` by name, without a db filter, as ``odoo.conf.example``
    recommends; ``db_filter=True`` serves it through a filter instead (Odoo
    then lists the databases for every request without a session cookie).

    >>> with OdooServer(python, config, db) as server:       # doctest: +SKIP
    ...     server.execute_kw("res.users", "search_count", [[]])
    """

    def __init__(
        self,
        python,
        config,
        db,
        workers=2,
        channels=None,
        startup_timeout=90,
        extra_args=(),
        cron_threads=0,
        environ=None,
        db_filter=False,
    ):
        self.python = python
        self.config = config
        self.db = db
        self.workers = workers
        self.channels = channels
        self.cron_threads = cron_threads
        self.environ = dict(environ or {})
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.db_filter = db_filter
        self.http_port = None
        self.gevent_port = None
        self.process = None
        self.work_dir = None
        self.log_path = None
        self._output_path = None
        self._uids = {}
        self._session = requests.Session()

    @property
    def url(self):
        """Base URL of the server, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.http_port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        """Start the server and wait until ``/web/health`` answers 200."""
        if self.process is not None:
            raise OdooServerError("server already started")
        self.work_dir = Path(tempfile.mkdtemp(prefix="dis-odoo-server-"))
        self.log_path = self.work_dir / "odoo.log"
        self._output_path = self.work_dir / "output.log"
        launcher = self.work_dir / "odoo_launcher.py"
        launcher.write_text(LAUNCHER_SOURCE)
        self.http_port = free_port()
        self.gevent_port = free_port()
        command = [
            self.python,
            str(launcher),
            "-c",
            str(self.config),
            "-d",
            self.db,
            f"--workers={self.workers}",
            "--http-interface=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--gevent-port={self.gevent_port}",
            "--load=base,web,queue_job",
            f"--max-cron-threads={self.cron_threads}",
            # Empty: none, even if the configuration file sets one.
            f"--db-filter=^{re.escape(self.db)}$" if self.db_filter else "--db-filter=",
            "--log-level=info",
            f"--logfile={self.log_path}",
            *self.extra_args,
        ]
        env = dict(os.environ, **self.environ)
        if self.channels:
            env["ODOO_QUEUE_JOB_CHANNELS"] = self.channels
        with open(self._output_path, "wb") as output:
            # A session of its own lets stop() end the workers with the master.
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise OdooServerError(
                    f"Odoo exited with {self.process.returncode} during startup\n"
                    + self.log_tail()
                )
            try:
                response = self._session.get(f"{self.url}/web/health", timeout=2)
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise OdooServerError(
            f"/web/health did not answer 200 within {self.startup_timeout} s\n"
            + self.log_tail()
        )

    def stop(self, timeout=30):
        """Terminate the server's process group and wait for it; idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            # Workers may outlive the master by a moment; never leave them behind.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self._session.close()
        if self.work_dir is not None and not os.environ.get("DIS_KEEP_SERVER_LOG"):
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def kill(self):
        """Kill the whole node at once (master, workers, runner), as a crash or
        an OOM kill of its container would, and reap it."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def owns_process(self, pid):
        """Tell whether ``pid`` is a process of this node (its process group)."""
        try:
            return self.process is not None and os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def log_text(self):
        """Return the server log written so far ('' before it exists)."""
        try:
            return self.log_path.read_text(errors="replace")
        except (AttributeError, FileNotFoundError):
            return ""

    def log_tail(self, lines=60):
        """Return the last lines of the log and of the raw process output."""
        parts = []
        for title, path in (("odoo.log", self.log_path), ("output", self._output_path)):
            try:
                text = path.read_text(errors="replace")
            except (AttributeError, FileNotFoundError):
                continue
            if text.strip():
                tail = "\n".join(text.splitlines()[-lines:])
                parts.append(f"--- last lines of {title} ---\n{tail}")
        return "\n".join(parts) or "(no log written)"

    def wait_for_log(self, pattern, timeout=60):
        """Wait until a log line matches the regular expression; return that line."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text().splitlines():
                if regex.search(line):
                    return line
            if self.process is None or self.process.poll() is not None:
                raise OdooServerError(
                    f"server stopped before logging {pattern!r}\n" + self.log_tail()
                )
            if time.monotonic() >= deadline:
                raise OdooServerError(
                    f"no log line matched {pattern!r} within {timeout} s\n"
                    + self.log_tail()
                )
            time.sleep(0.5)

    def jsonrpc(self, service, method, *args, timeout=60):
        """Call ``service.method(*args)`` through Odoo's ``/jsonrpc`` endpoint."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": int(time.monotonic() * 1000),
        }
        response = self._session.post(
            f"{self.url}/jsonrpc", json=payload, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            error = body["error"]
            data = error.get("data") or {}
            message = data.get("message") or error.get("message") or "RPC error"
            raise OdooRpcError(f"{service}.{method}: {message}", data)
        return body.get("result")

    def login(self, user="admin", password="admin"):
        """Return the uid of ``user``, authenticating once per user."""
        if user not in self._uids:
            uid = self.jsonrpc("common", "login", self.db, user, password)
            if not uid:
                raise OdooRpcError(f"login refused for {user!r} on {self.db!r}")
            self._uids[user] = uid
        return self._uids[user]

    def execute_kw(
        self, model, method, args, kwargs=None, user="admin", password="admin"
    ):
        """Call ``model.method(*args, **kwargs)`` as ``user`` (admin by default)."""
        uid = self.login(user, password)
        return self.jsonrpc(
            "object",
            "execute_kw",
            self.db,
            uid,
            password,
            model,
            method,
            list(args),
            kwargs or {},
        )
