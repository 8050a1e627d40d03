"""SANDBOX LTL freight carrier (SOAP 1.1) shipped with the suite: NOT A REAL CARRIER.

Used by the demo data and the tests in place of a freight carrier's SOAP API.
Standard library only, so it runs in Odoo's environment and in Docker::

    python -m carrier.sandbox_ltl --port 8099   # from addons/distribution_carrier
    # WSDL: http://127.0.0.1:8099/ltl?wsdl   user "sandbox", password "sandbox-password"

In tests: ``server = SandboxLtlServer().start()`` … ``server.stop()``.
See :mod:`.server` for the deterministic answers and the failure switches.
"""

from .server import (
    REJECTED_POSTAL_CODE,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    LtlSandbox,
    SandboxLtlServer,
)

__all__ = [
    "REJECTED_POSTAL_CODE",
    "SANDBOX_PASSWORD",
    "SANDBOX_USERNAME",
    "LtlSandbox",
    "SandboxLtlServer",
]
