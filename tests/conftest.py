"""Make the plain-Python kernel importable as ``kernel`` in pytest; start sshd.

The kernel's file transports are tested against a real OpenSSH server
(``sftp_server``), shared with the EDI tests.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ADDON_DIR = (
    Path(__file__).resolve().parent.parent / "addons" / "distribution_integration_base"
)
# Shared with the kernel's Odoo tests, which import it as `.sftp_peer`.
SFTP_PEER = ADDON_DIR / "tests" / "sftp_peer.py"

if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))

# Test-only Odoo addons (the skeleton channel): Odoo runs their tests, not pytest.
collect_ignore = ["addons"]


@pytest.fixture(scope="session")
def sftp_peer():
    """The ``sftp_peer`` module of the kernel's tests, loaded by file path."""
    spec = importlib.util.spec_from_file_location("integration_sftp_peer", SFTP_PEER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sftp_server(sftp_peer):
    """A real OpenSSH sshd on a free loopback port, for the whole session.

    Skips the test, with the reason, where no sshd can be started.
    """
    server = sftp_peer.SftpServer()
    try:
        server.start()
    except sftp_peer.SftpPeerUnavailable as error:
        pytest.skip(str(error))
    with server:
        yield server
