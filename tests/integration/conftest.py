"""Fixtures for tests that run against a real Odoo server.

``./scripts/test.sh`` sets ``DIS_ODOO_PYTHON``, ``DIS_ODOO_CONFIG`` and
``DIS_ODOO_DB`` after installing the suite into a fresh database; without them
these tests are skipped.
"""

import os
from dataclasses import dataclass

import pytest

from .odoo_server import OdooServer

REQUIRED_VARIABLES = ("DIS_ODOO_PYTHON", "DIS_ODOO_CONFIG", "DIS_ODOO_DB")


@dataclass(frozen=True)
class OdooEnvironment:
    """Where the installed test database lives and what runs it."""

    python: str
    config: str
    db: str


@pytest.fixture(scope="session")
def odoo_env():
    """The installed test database, or a skip when ./scripts/test.sh did not set it."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not set: run ./scripts/test.sh, which installs "
            "the addons into a test database and then runs these tests"
        )
    return OdooEnvironment(
        python=os.environ["DIS_ODOO_PYTHON"],
        config=os.environ["DIS_ODOO_CONFIG"],
        db=os.environ["DIS_ODOO_DB"],
    )


@pytest.fixture(scope="module")
def odoo_server(odoo_env):
    """A running multi-process Odoo server (2 workers, queue_job runner) per module."""
    with OdooServer(odoo_env.python, odoo_env.config, odoo_env.db) as server:
        yield server
