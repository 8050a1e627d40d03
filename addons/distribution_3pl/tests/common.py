"""What the 3PL channel's Odoo tests share: the repository's sandbox warehouse
(sandbox/warehouse_3pl) started on 127.0.0.1 for a test class, the X12
interchange profile our side uses with it, and its admin API."""

import json
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from sandbox.warehouse_3pl import (  # noqa: E402
    SANDBOX_API_KEY,
    SandboxWarehouseServer,
)

__all__ = ["SANDBOX_API_KEY", "TplSandboxMixin"]


class TplSandboxMixin:
    """The sandbox warehouse for a test class, and its admin API."""

    @classmethod
    def scratch_folder(cls, prefix):
        """A folder of the class's own, removed after it."""
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        cls.addClassCleanup(shutil.rmtree, folder, ignore_errors=True)
        return folder

    @classmethod
    def start_sandbox(cls, **options):
        """Start the sandbox warehouse for the class as ``cls.sandbox``
        (``options``: its server's); stopped after the class."""
        cls.sandbox = SandboxWarehouseServer(port=0, **options)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)

    @classmethod
    def sandbox_profile(cls, our_interchange_id="DEPOSITORTST"):
        """The X12 interchange profile of our side with the sandbox."""
        return cls.env["edi.interchange.profile"].create(
            {
                "dialect": "X12",
                "x12_version": "004010",
                "our_qualifier": "ZZ",
                "our_interchange_id": our_interchange_id,
                "partner_qualifier": "ZZ",
                "partner_interchange_id": "SANDBOX3PL",
            }
        )

    def admin(self, path, body=None):
        """POST ``body`` to the sandbox's admin API (``/_sandbox/...``)."""
        request = urllib.request.Request(
            self.sandbox.url + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")
