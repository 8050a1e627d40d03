"""A real Karrio shipping gateway on 127.0.0.1, as the carrier channel's test peer.

Shared by the Odoo tests of this addon and the pytest suite (``tests/carrier``
loads this file by path), so it imports nothing from Odoo.

``scripts/karrio_env.sh`` builds Karrio's own virtualenv and a migrated template
database once (cached); :class:`KarrioPeer` starts gunicorn on a copy of that
database, creates an admin, an API token and an offline "generic" carrier
connection, and plays the carrier's tracking scans (the generic carrier has no
tracking API: trackers are created in ``karrio shell`` and events injected
through ``POST /v1/trackers/{id}/inject-events``).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import requests


def _find_env_script():
    """``scripts/karrio_env.sh`` of the repository this addon sits in."""
    configured = os.environ.get("DIS_KARRIO_ENV_SCRIPT")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "scripts" / "karrio_env.sh"
        if candidate.is_file():
            return candidate
    return Path("scripts/karrio_env.sh")  # reported missing by build_karrio_env


ENV_SCRIPT = _find_env_script()
CARRIER_ID = "dis_generic"
CARRIER_NAME = "dis_test"
ADMIN_EMAIL = "admin@dis.example"


class KarrioUnavailable(RuntimeError):
    """Karrio's environment could not be built or started (reason in the message)."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_karrio_env(timeout=900):
    """Run ``scripts/karrio_env.sh`` and return its KEY=VALUE lines as a dict."""
    if not ENV_SCRIPT.is_file():
        raise KarrioUnavailable(
            f"{ENV_SCRIPT} not found "
            "(set DIS_KARRIO_ENV_SCRIPT to scripts/karrio_env.sh)"
        )
    try:
        result = subprocess.run(
            ["bash", str(ENV_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KarrioUnavailable(f"{ENV_SCRIPT.name} could not run: {exc}") from exc
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise KarrioUnavailable(
            f"{ENV_SCRIPT.name} failed (exit {result.returncode}): {tail}"
        )
    return dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line
    )


class KarrioPeer:
    """One Karrio server for a test session; ``url``, ``api_key`` once started."""

    def __init__(self, env=None, *, workers=2):
        self.env = env or build_karrio_env()
        self.workers = workers
        self.work_dir = None
        self.port = None
        self.url = None
        self.api_key = secrets.token_hex(20)
        self.connection_id = None
        self.carrier_id = CARRIER_ID
        self._process = None
        self._log = None
        self.session = requests.Session()

    # -- lifecycle -----------------------------------------------------------
    def _environ(self):
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("REDIS_", "DJANGO_", "DATABASE_"))
        }
        environ.update(
            WORK_DIR=self.work_dir,
            LOG_DIR=self.work_dir,
            DATABASE_ENGINE="sqlite3",
            DATABASE_NAME="karrio.sqlite3",
            SECRET_KEY="dis-tests-" + self.api_key[:8],
            DEBUG_MODE="True",
            ALLOWED_HOSTS="*",
            # Webhooks and background tasks run inline: no Redis, no worker.
            WORKER_IMMEDIATE_MODE="True",
        )
        return environ

    def shell(self, code, timeout=60):
        """Run Python in ``karrio shell`` (Django set up); return its stdout."""
        result = subprocess.run(
            [self.env["KARRIO_BIN"], "shell", "-c", textwrap.dedent(code)],
            env=self._environ(),
            cwd=self.work_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"karrio shell failed: {result.stderr[-2000:]}")
        return result.stdout

    def _shell_json(self, code):
        """Run ``code`` that prints one line ``DIS-RESULT <json>``; return it."""
        for line in self.shell(code).splitlines():
            if line.startswith("DIS-RESULT "):
                return json.loads(line[len("DIS-RESULT ") :])
        raise RuntimeError("karrio shell printed no result")

    def start(self, timeout=60):
        self.work_dir = tempfile.mkdtemp(prefix="dis-karrio-")
        shutil.copyfile(
            self.env["KARRIO_TEMPLATE_DB"], Path(self.work_dir, "karrio.sqlite3")
        )
        self._shell_json(
            f"""
            import json
            from django.contrib.auth import get_user_model
            from karrio.server.user.models import Token
            user = get_user_model().objects.create_superuser(
                email={ADMIN_EMAIL!r}, password={secrets.token_hex(12)!r})
            Token.objects.create(user=user, key={self.api_key!r}, label="dis-tests")
            print("DIS-RESULT " + json.dumps(user.id))
            """
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(Path(self.work_dir, "gunicorn.log"), "wb")  # noqa: SIM115
        gunicorn = Path(self.env["KARRIO_BIN"]).with_name("gunicorn")
        self._process = subprocess.Popen(
            [
                str(gunicorn),
                "karrio.server.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "120",
            ],
            env=self._environ(),
            cwd=self.work_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stop() signals gunicorn and its workers
        )
        self._wait_ready(timeout)
        connection = self.api(
            "POST",
            "/v1/connections",
            {
                "carrier_name": "generic",
                "carrier_id": CARRIER_ID,
                "credentials": {
                    "display_name": "DIS Test Carrier",
                    "custom_carrier_name": CARRIER_NAME,
                },
            },
        )
        self.connection_id = connection["id"]
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise KarrioUnavailable(
                    f"gunicorn exited with {self._process.returncode}: "
                    + self.log_tail()
                )
            try:
                if self.session.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise KarrioUnavailable(
            f"Karrio did not answer in {timeout}s: " + self.log_tail()
        )

    def log_tail(self, lines=20):
        path = Path(self.work_dir or "", "gunicorn.log")
        if not path.is_file():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=5)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self.session.close()
        if self.work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- REST helpers ----------------------------------------------------------
    def api(self, method, path, payload=None, *, expect=(200, 201)):
        """Call Karrio's REST API as the admin; return the decoded JSON body."""
        response = self.session.request(
            method,
            self.url + path,
            json=payload,
            headers={"Authorization": f"Token {self.api_key}"},
            timeout=30,
        )
        if response.status_code not in expect:
            raise AssertionError(
                f"{method} {path} answered {response.status_code}: "
                + response.text[:500]
            )
        return response.json() if response.content else None

    def create_webhook(self, url, events=("all",)):
        """Register a webhook; return Karrio's answer (``id``, ``secret``...)."""
        return self.api(
            "POST",
            "/v1/webhooks",
            {"url": url, "enabled_events": list(events), "description": "dis tests"},
        )

    def delete_webhook(self, webhook_id):
        self.api("DELETE", f"/v1/webhooks/{webhook_id}", expect=(200, 202, 204))

    def shipments(self, **filters):
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        return self.api("GET", "/v1/shipments" + (f"?{query}" if query else ""))

    # -- playing the carrier's scans ---------------------------------------------
    def create_tracker(self, shipment_id):
        """Create the tracker Karrio would create for a carrier with tracking."""
        return self._shell_json(
            f"""
            import json
            from karrio.server.core import utils
            from karrio.server.manager import models
            shipment = models.Shipment.objects.get(pk={shipment_id!r})
            tracker = models.Tracking.objects.create(
                tracking_number=shipment.tracking_number,
                delivered=False,
                shipment=shipment,
                carrier=shipment.carrier,
                test_mode=shipment.test_mode,
                created_by=shipment.created_by,
                status="pending",
                events=utils.default_tracking_event(event_at=shipment.updated_at),
                options={{shipment.tracking_number: {{"carrier": {CARRIER_NAME!r}}}}},
                meta={{"carrier": {CARRIER_NAME!r}}},
                info={{"source": "api", "customer_name":
                      (shipment.recipient or {{}}).get("person_name")}},
            )
            print("DIS-RESULT " + json.dumps(
                {{"id": tracker.id, "tracking_number": tracker.tracking_number}}))
            """
        )

    def set_proof_of_delivery(self, tracker_id, signed_by, delivery_image=None):
        """Store the signer and POD image the carrier would report on delivery."""
        import base64

        image = base64.b64encode(delivery_image).decode() if delivery_image else None
        self._shell_json(
            f"""
            import json
            from karrio.server.manager import models
            tracker = models.Tracking.objects.get(pk={tracker_id!r})
            tracker.info = {{**(tracker.info or {{}}), "signed_by": {signed_by!r}}}
            tracker.delivery_image = {image!r}
            tracker.save(update_fields=["info", "delivery_image"])
            print("DIS-RESULT " + json.dumps(tracker.id))
            """
        )

    def inject_events(self, tracker_id, status, events, *, delivered=False):
        """Push scans into a tracker as the carrier would (fires tracker_updated)."""
        return self.api(
            "POST",
            f"/v1/trackers/{tracker_id}/inject-events",
            {"status": status, "events": list(events), "delivered": delivered},
        )
