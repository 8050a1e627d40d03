"""SANDBOX 3PL warehouse (standard library only): not a real warehouse.

``python -m sandbox.warehouse_3pl --port 8098 --profile x12`` (see README.md).
"""

from .server import (
    SANDBOX_API_KEY,
    SANDBOX_SECRET,
    SIGNATURE_HEADER,
    SandboxWarehouseServer,
    sign,
)
from .warehouse import DEFAULT_BEHAVIOURS, Warehouse

__all__ = [
    "DEFAULT_BEHAVIOURS",
    "SANDBOX_API_KEY",
    "SANDBOX_SECRET",
    "SIGNATURE_HEADER",
    "SandboxWarehouseServer",
    "Warehouse",
    "sign",
]
