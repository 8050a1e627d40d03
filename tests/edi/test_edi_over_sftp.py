"""An order to mock-edi over SFTP (the kernel's transport), and its answers back.

Uses the real OpenSSH server of the top-level ``sftp_server`` fixture.
"""

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
from edi.writer import OutboundSet
from edi_builders import x12_document
from kernel.transports import SftpTransport

LONG_AGO = time.time() - 3600


def names(folder):
    return sorted(os.listdir(folder))


def connect(server, remote, **changes):
    outbox, inbox = remote
    settings = dict(
        private_key_pem=server.private_key_pem,
        host_key_fingerprint=server.host_key_fingerprint,
        outbox=outbox,
        inbox=inbox,
        timeout=5.0,
        settle_seconds=2.0,
    )
    settings.update(changes)
    return SftpTransport(server.host, server.port, server.username, **settings)


def mock_order():
    """An 850 to mock-edi for two items of its catalogue."""
    body = [
        ("BEG", "00", "SA", "4500000042", "", "20261126"),
        ("N1", "ST", "Main warehouse", "92", "WH1"),
    ]
    for line, (code, quantity, price) in enumerate(
        [("WIDGET-001", 100, "12.50"), ("BRKT-050", 40, "4.15")], start=1
    ):
        body.append(("PO1", str(line), quantity, "EA", Decimal(price), "", "VP", code))
    body.append(("CTT", 2))
    order = OutboundSet("850", "0001", body)
    return x12_document(sets=[order], sender_id="ACME", receiver_id="MOCKEDI")


def test_order_over_sftp_to_mock_edi_and_its_answers_back(sftp_server):
    testing = pytest.importorskip("mockedi.testing")
    drop = sftp_server.path("mock", "drop")
    pickup = sftp_server.path("mock", "pickup")
    with (
        testing.Mock.start(
            drop_dir=drop,
            pickup_dir=pickup,
            drop_settle_ms=0,
            drop_interval_ms=3_600_000,  # only our explicit scans
        ) as mock,
        connect(sftp_server, (drop, pickup), settle_seconds=0) as transport,
    ):
        assert transport.put("ACME-850-4500000042.edi", mock_order())
        scan = mock.expect("POST", "/_mock/drop/scan")
        mock.advance(everything=True)  # release what the mock has queued
        answers = transport.claim()

        assert "ACME-850-4500000042.edi" in str(scan), scan
        assert names(Path(drop, "processed")) == ["ACME-850-4500000042.edi"]
        documents = {inbound.name: transport.read(inbound) for inbound in answers}
        codes = sorted(name.split("-")[1] for name in documents)
        assert codes == ["810", "855", "856", "997"], documents.keys()
        for name, document in documents.items():
            assert b"ST*" + name.split("-")[1].encode() in document
            assert b"*MOCKEDI" in document[:120] and b"ACME" in document[:120]
        assert b"AK5*A" in documents[next(n for n in documents if "-997-" in n)]
        for inbound in answers:
            transport.done(inbound)
        assert sorted(names(Path(pickup, "processed"))) == sorted(documents)
