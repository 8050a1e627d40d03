"""Plain-Python core of the integration kernel.

Nothing in this package imports ``odoo``: it holds the decisions (encryption of
secrets, request signatures, error taxonomy, retry delays, circuit breaking,
which database conflicts are expected) and the transports (folder, SFTP, HTTP)
that the Odoo models store and apply, so they can be tested with plain pytest.
"""

from . import (
    circuit,
    conflict_logging,
    crypto,
    errors,
    results,
    retry,
    signatures,
    transports,
)

__all__ = [
    "circuit",
    "conflict_logging",
    "crypto",
    "errors",
    "results",
    "retry",
    "signatures",
    "transports",
]
