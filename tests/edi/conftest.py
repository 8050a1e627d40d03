"""Make the plain-Python EDI codec importable as ``edi``; start mock-edi.

Every document the tests write is checked by a real mock-edi (the independent
trading partner of the channel's tests) through its ``POST /_mock/validate``,
and every EDIFACT document is also parsed by pydifact. The kernel's file
transports carry EDI files to a real OpenSSH server (``sftp_server``, from the
top-level conftest).
"""

import sys
import warnings
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2] / "addons" / "distribution_edi"
SAMPLES = Path(__file__).resolve().parent / "samples"  # also in edi_builders

if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))


@pytest.fixture(scope="session")
def mock_edi():
    """A mock-edi server on a free loopback port, for the whole session."""
    testing = pytest.importorskip("mockedi.testing")
    with testing.Mock.start() as mock:
        yield mock


@pytest.fixture
def assert_mock_clean(mock_edi):
    """Assert that mock-edi's validator has zero findings on a document."""

    def check(document):
        answer = mock_edi.expect("POST", "/_mock/validate", document)
        assert answer["parsed"], answer
        assert answer["clean"] is True, "\n".join(answer.get("explain", []))
        return answer

    return check


@pytest.fixture
def pydifact_parse():
    """Parse an EDIFACT document with pydifact; return its segments."""
    segmentcollection = pytest.importorskip("pydifact.segmentcollection")

    def parse(document):
        text = document.decode("latin-1") if isinstance(document, bytes) else document
        with warnings.catch_warnings():
            # pydifact warns that it ships no XML directory for syntax 3 checks.
            warnings.simplefilter("ignore")
            interchange = segmentcollection.Interchange.from_str(text)
            return [(segment.tag, segment.elements) for segment in interchange.segments]

    return parse


@pytest.fixture
def sample():
    """Bytes of a shared sample, by ``dialect/name``."""

    def read(name):
        return (SAMPLES / name).read_bytes()

    return read
