"""Plain-Python core of the integration kernel.

Nothing in this package imports ``odoo``: it holds the decisions (encryption of
secrets, request signatures, error taxonomy, retry delays, circuit breaking,
which database conflicts are expected) that the Odoo models store and apply,
so they can be tested with plain pytest.
"""

from . import circuit, conflict_logging, crypto, errors, results, retry, signatures

__all__ = [
    "circuit",
    "conflict_logging",
    "crypto",
    "errors",
    "results",
    "retry",
    "signatures",
]
