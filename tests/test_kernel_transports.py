"""Kernel transports: a local folder, SFTP against a real OpenSSH server, HTTP.

The SFTP tests share one ``sshd`` (the ``sftp_server`` fixture) and give every
test its own outbox and inbox under the server's root. Times are set with
``os.utime`` rather than waited for, so the settle and stale checks cost no
sleeping.
"""

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from kernel import errors as kernel_errors
from kernel.transports import (
    FolderTransport,
    HttpTransport,
    InboundFile,
    SftpTransport,
    TransportError,
    fingerprint_of,
    normalize_fingerprint,
)

LONG_AGO = time.time() - 3600


def write(path, data=b"data", modified=LONG_AGO):
    path = Path(path)
    path.write_bytes(data)
    if modified is not None:
        os.utime(path, (modified, modified))
    return path


def names(folder):
    return sorted(os.listdir(folder))


@pytest.fixture
def folders(tmp_path):
    outbox, inbox = tmp_path / "out", tmp_path / "in"
    outbox.mkdir()
    inbox.mkdir()
    return outbox, inbox


@pytest.fixture
def folder(folders):
    return FolderTransport(*folders, settle_seconds=2.0)


# -- FolderTransport: writing


def test_put_shows_no_partial_file(folder, folders, monkeypatch):
    outbox, _inbox = folders
    partner = FolderTransport(outbox, outbox, settle_seconds=0)
    seen_while_writing = []
    real_fsync = os.fsync

    def fsync_and_look(descriptor):
        # The first fsync comes once the bytes are written, before the rename:
        # what a partner polling the outbox sees then, and can take.
        if not seen_while_writing:
            seen_while_writing.append((names(outbox), partner.claim()))
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_and_look)
    data = b"ISA*00*" + b"x" * 100_000
    assert folder.put("order.edi", data) == "order.edi"

    [(listing, taken)] = seen_while_writing
    assert len(listing) == 1
    assert listing[0].startswith(".order.edi.") and listing[0].endswith(".tmp")
    assert taken == []
    assert names(outbox) == ["order.edi"]
    assert (outbox / "order.edi").read_bytes() == data


def test_put_never_overwrites(folder, folders):
    outbox, _inbox = folders
    assert [folder.put("order.edi", b"%d" % n) for n in range(3)] == [
        "order.edi",
        "order-1.edi",
        "order-2.edi",
    ]
    assert folder.put("ORDERS", b"a") == "ORDERS"
    assert folder.put("ORDERS", b"b") == "ORDERS-1"
    assert (outbox / "order.edi").read_bytes() == b"0"
    assert (outbox / "order-2.edi").read_bytes() == b"2"
    assert names(outbox) == [
        "ORDERS",
        "ORDERS-1",
        "order-1.edi",
        "order-2.edi",
        "order.edi",
    ]


@pytest.mark.parametrize(
    "name", ["", "..", "../x.edi", "a/b.edi", ".hidden", "x.tmp", "x.processing"]
)
def test_put_refuses_names_that_leave_the_folder_or_are_never_read(folder, name):
    with pytest.raises(ValueError, match="file name"):
        folder.put(name, b"data")


def test_put_into_missing_outbox_names_it(tmp_path):
    transport = FolderTransport(tmp_path / "nowhere", tmp_path)
    with pytest.raises(TransportError) as caught:
        transport.put("order.edi", b"data")
    assert str(tmp_path / "nowhere" / "order.edi") in str(caught.value)
    assert caught.value.transient is False
    assert caught.value.category == "transport"


# -- FolderTransport: claiming


def test_claim_skips_temporary_hidden_claimed_recent_and_directories(folder, folders):
    _outbox, inbox = folders
    write(inbox / "ready.edi", b"ready")
    for name in (".hidden.edi", "upload.tmp", "upload.part", "other.edi.processing"):
        write(inbox / name)
    (inbox / "subfolder").mkdir()
    write(inbox / "recent.edi", modified=None)  # just written: may still grow

    claimed = folder.claim()

    assert [(f.name, f.claimed_name, f.size) for f in claimed] == [
        ("ready.edi", "ready.edi.processing", 5)
    ]
    assert claimed[0].modified == pytest.approx(LONG_AGO)
    assert "ready.edi" not in names(inbox)
    assert "recent.edi" in names(inbox)
    assert folder.read(claimed[0]) == b"ready"
    assert folder.claim() == []

    write(inbox / "recent.edi", modified=time.time() - 2.5)
    assert [f.name for f in folder.claim()] == ["recent.edi"]


def test_claim_returns_oldest_first_then_by_name(folder, folders):
    _outbox, inbox = folders
    write(inbox / "b.edi", modified=LONG_AGO)
    write(inbox / "a.edi", modified=LONG_AGO)
    write(inbox / "old.edi", modified=LONG_AGO - 60)
    assert [f.name for f in folder.claim()] == ["old.edi", "a.edi", "b.edi"]


def test_claim_limit_takes_the_oldest(folder, folders):
    _outbox, inbox = folders
    for minute in range(5):
        write(inbox / f"{minute}.edi", modified=LONG_AGO + minute * 60)
    assert [f.name for f in folder.claim(limit=2)] == ["0.edi", "1.edi"]
    assert [f.name for f in folder.claim()] == ["2.edi", "3.edi", "4.edi"]


def test_claim_leaves_a_file_whose_previous_namesake_is_still_claimed(folder, folders):
    _outbox, inbox = folders
    write(inbox / "order.edi", b"first")
    first = folder.claim()
    write(inbox / "order.edi", b"second")
    assert folder.claim() == []
    assert (inbox / "order.edi.processing").read_bytes() == b"first"
    folder.done(first[0])
    assert folder.read(folder.claim()[0]) == b"second"


def test_two_claimers_never_take_the_same_file(folders):
    _outbox, inbox = folders
    for number in range(300):
        write(inbox / f"{number:03d}.edi")
    pollers = [FolderTransport(*folders, settle_seconds=2.0) for _ in range(4)]
    start = threading.Barrier(len(pollers))
    results = [None] * len(pollers)

    def poll(index):
        start.wait()
        results[index] = [f.name for f in pollers[index].claim()]

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(pollers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    taken = [name for result in results for name in result]
    assert len(taken) == len(set(taken)) == 300
    assert all(name.endswith(".processing") for name in names(inbox))


def test_claim_of_missing_inbox_says_which(tmp_path):
    transport = FolderTransport(tmp_path, tmp_path / "no-inbox")
    with pytest.raises(TransportError, match="no-inbox") as caught:
        transport.claim()
    assert caught.value.transient is False


# -- FolderTransport: filing away


def test_done_files_in_processed_without_overwriting(folder, folders):
    _outbox, inbox = folders
    write(inbox / "order.edi", b"new")
    (inbox / "processed").mkdir()
    write(inbox / "processed" / "order.edi", b"older")

    inbound = folder.claim()[0]
    assert folder.done(inbound) == "order-1.edi"

    assert names(inbox) == ["processed"]
    assert (inbox / "processed" / "order.edi").read_bytes() == b"older"
    archived = inbox / "processed" / "order-1.edi"
    assert archived.read_bytes() == b"new"
    assert archived.stat().st_mtime == pytest.approx(LONG_AGO)  # the partner's time


def test_failed_files_away_with_the_reason_beside(folder, folders):
    _outbox, inbox = folders
    write(inbox / "bad.edi", b"garbage")
    write(inbox / "bad2.edi", b"garbage too")
    first, second = folder.claim()
    assert folder.failed(first, "ISA segment missing (byte 0)") == "bad.edi"
    # created once, reused after
    assert folder.failed(second, "Unknown partner ZZ:NOBODY") == "bad2.edi"

    failed = inbox / "failed"
    assert names(failed) == [
        "bad.edi",
        "bad.edi.reason.txt",
        "bad2.edi",
        "bad2.edi.reason.txt",
    ]
    assert (failed / "bad.edi").read_bytes() == b"garbage"
    reason = (failed / "bad.edi.reason.txt").read_text(encoding="utf-8")
    assert reason == "ISA segment missing (byte 0)\n"


def test_failed_pairs_the_reason_with_a_suffixed_name(folder, folders):
    _outbox, inbox = folders
    (inbox / "failed").mkdir()
    write(inbox / "failed" / "bad.edi", b"yesterday")
    write(inbox / "bad.edi", b"today")
    assert folder.failed(folder.claim()[0], "still bad") == "bad-1.edi"
    assert (inbox / "failed" / "bad-1.edi.reason.txt").read_text() == "still bad\n"
    assert not (inbox / "failed" / "bad.edi.reason.txt").exists()


def test_release_gives_the_file_back_for_the_next_poll(folder, folders):
    _outbox, inbox = folders
    write(inbox / "order.edi", b"order")
    inbound = folder.claim()[0]
    assert folder.release(inbound) == "order.edi"
    assert names(inbox) == ["order.edi"]
    # Its own time back, so it is settled and keeps its place in the queue.
    again = folder.claim()
    assert [(f.name, f.modified) for f in again] == [("order.edi", inbound.modified)]


def test_release_does_not_replace_a_namesake_that_arrived_meanwhile(folder, folders):
    _outbox, inbox = folders
    write(inbox / "order.edi", b"first")
    inbound = folder.claim()[0]
    write(inbox / "order.edi", b"second")
    assert folder.release(inbound) == "order-1.edi"
    assert (inbox / "order.edi").read_bytes() == b"second"
    assert (inbox / "order-1.edi").read_bytes() == b"first"


def test_recover_stale_gives_back_only_old_claims(folder, folders):
    _outbox, inbox = folders
    write(inbox / "crashed.edi", b"a")
    write(inbox / "busy.edi", b"b")
    busy, crashed = folder.claim()  # oldest first, then by name
    # The files were old, but they were claimed just now: nothing is stale.
    assert folder.recover_stale(600) == []

    claimed_long_ago = time.time() - 601
    os.utime(inbox / crashed.claimed_name, (claimed_long_ago, claimed_long_ago))
    assert folder.recover_stale(600) == ["crashed.edi"]
    assert names(inbox) == ["busy.edi.processing", "crashed.edi"]
    # The poller that still holds busy.edi can finish with it.
    assert folder.done(busy) == "busy.edi"


def test_recover_stale_mends_a_rename_interrupted_half_way(folder, folders):
    _outbox, inbox = folders
    # link() done, unlink() not: both names on one file.
    write(inbox / "order.edi", b"once", modified=time.time() - 900)
    os.link(inbox / "order.edi", inbox / "order.edi.processing")
    assert folder.recover_stale(600) == ["order.edi"]
    assert names(inbox) == ["order.edi"]


def test_check_names_what_is_wrong(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "in").write_text("a file, not a folder")
    assert "writable" in FolderTransport(tmp_path / "out", tmp_path / "out").check()

    with pytest.raises(TransportError, match=r"inbox .*/in is no directory"):
        FolderTransport(tmp_path / "out", tmp_path / "in").check()
    with pytest.raises(TransportError, match=r"outbox .*/gone does not exist"):
        FolderTransport(tmp_path / "gone", tmp_path / "out").check()
    assert names(tmp_path / "out") == []  # the probe file is gone


def test_kernel_reads_transport_errors_by_their_attributes():
    refused = TransportError("refused", transient=True)
    classified = kernel_errors.classify_exception(refused)
    assert isinstance(classified, kernel_errors.TransientError)
    assert classified.category == "transport"

    login = TransportError("no", transient=False, category="authentication")
    classified = kernel_errors.classify_exception(login)
    assert isinstance(classified, kernel_errors.PermanentError)
    assert classified.category == "authentication"


def test_fingerprints_in_every_form_ssh_keygen_prints(sftp_server):
    expected = sftp_server.host_key_fingerprint
    line = f"256 {expected} root@host (ED25519)"
    assert normalize_fingerprint(line) == expected
    assert normalize_fingerprint(expected[7:] + "=") == expected
    assert fingerprint_of(sftp_server.host_public_key) == expected
    for wrong in ("MD5:12:34:56", "SHA256:tooshort", "", "two words"):
        with pytest.raises(ValueError, match="SHA256"):
            normalize_fingerprint(wrong)


def test_inbound_file_time_in_odoo_form():
    inbound = InboundFile("a.edi", "a.edi.processing", 1, 1795852800.0)
    assert inbound.modified_utc.isoformat() == "2026-11-28T08:00:00"


# -- SftpTransport against a real sshd


@pytest.fixture
def remote(sftp_server, request):
    """Fresh outbox and inbox on the server: (outbox, inbox) local paths."""
    pytest.importorskip("paramiko")
    test = request.node.name.replace("[", "-").replace("]", "")
    return sftp_server.path(test, "out"), sftp_server.path(test, "in")


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


@pytest.fixture
def sftp(sftp_server, remote):
    with connect(sftp_server, remote) as transport:
        yield transport


def test_sftp_put_is_atomic_and_never_overwrites(sftp, remote):
    outbox, _inbox = remote
    data = b"ISA*" + bytes(range(256)) * 4000  # ~1 MB, binary-safe
    assert sftp.put("order.edi", data) == "order.edi"
    assert sftp.put("order.edi", b"second") == "order-1.edi"
    assert names(outbox) == ["order-1.edi", "order.edi"]  # no temporary left
    assert Path(outbox, "order.edi").read_bytes() == data
    assert Path(outbox, "order-1.edi").read_bytes() == b"second"


def test_sftp_claim_read_done(sftp, remote):
    _outbox, inbox = remote
    write(Path(inbox, "b.edi"), b"bee")
    write(Path(inbox, "a.edi"), b"ay", modified=LONG_AGO - 10)
    for name in (".hidden", "up.tmp", "up.part", "x.edi.processing"):
        write(Path(inbox, name))
    os.mkdir(Path(inbox, "sub"))
    write(Path(inbox, "recent.edi"), modified=time.time() - 1.5)  # < 2 s + 1 s

    claimed = sftp.claim()

    assert [(f.name, f.size) for f in claimed] == [("a.edi", 2), ("b.edi", 3)]
    assert claimed[0].modified == int(LONG_AGO - 10)  # SFTP: whole seconds
    assert [sftp.read(f) for f in claimed] == [b"ay", b"bee"]
    assert "recent.edi" in names(inbox)
    assert sftp.done(claimed[0]) == "a.edi"
    write(Path(inbox, "processed", "b.edi"), b"older")
    assert sftp.done(claimed[1]) == "b-1.edi"
    assert names(Path(inbox, "processed")) == ["a.edi", "b-1.edi", "b.edi"]
    assert Path(inbox, "processed", "b-1.edi").read_bytes() == b"bee"


def test_sftp_failed_release_and_recover_stale(sftp, remote):
    _outbox, inbox = remote
    for name in ("bad.edi", "rolled-back.edi", "crashed.edi"):
        write(Path(inbox, name), name.encode())
    bad, crashed, rolled_back = sftp.claim()  # same time: by name

    assert sftp.failed(bad, "BEG missing in set 0001") == "bad.edi"
    assert names(Path(inbox, "failed")) == ["bad.edi", "bad.edi.reason.txt"]
    assert Path(inbox, "failed", "bad.edi.reason.txt").read_text() == (
        "BEG missing in set 0001\n"
    )

    assert sftp.release(rolled_back) == "rolled-back.edi"
    assert Path(inbox, "rolled-back.edi").stat().st_mtime == int(LONG_AGO)

    assert sftp.recover_stale(600) == []  # claimed just now
    claimed_long_ago = time.time() - 601
    os.utime(Path(inbox, crashed.claimed_name), (claimed_long_ago,) * 2)
    assert sftp.recover_stale(600) == ["crashed.edi"]
    assert sorted(f.name for f in sftp.claim()) == ["crashed.edi", "rolled-back.edi"]


def test_sftp_two_claimers_never_take_the_same_file(sftp_server, remote):
    _outbox, inbox = remote
    for number in range(60):
        write(Path(inbox, f"{number:02d}.edi"))
    pollers = [connect(sftp_server, remote) for _ in range(3)]
    start = threading.Barrier(len(pollers))
    results = [None] * len(pollers)

    def poll(index):
        start.wait()
        results[index] = [f.name for f in pollers[index].claim()]

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(pollers))]
    try:
        for poller in pollers:
            poller.check()  # connect before the race starts
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for poller in pollers:
            poller.close()

    taken = [name for result in results for name in result]
    assert len(taken) == len(set(taken)) == 60


def test_sftp_check_and_reconnect(sftp_server, remote, sftp):
    assert "writable" in sftp.check()
    sftp.close()
    assert sftp.put("after-close.edi", b"x") == "after-close.edi"  # reconnects

    outbox, _inbox = remote
    missing = connect(sftp_server, (outbox, outbox + "/no-inbox"))
    with missing, pytest.raises(TransportError) as caught:
        missing.check()
    assert "inbox" in str(caught.value) and "no-inbox does not exist" in str(
        caught.value
    )
    assert caught.value.transient is False


def test_sftp_refuses_a_host_key_it_cannot_verify(sftp_server, remote):
    offered = sftp_server.host_key_fingerprint
    other = "SHA256:" + "A" * 43
    for configured in (other, ""):
        transport = connect(sftp_server, remote, host_key_fingerprint=configured)
        with transport, pytest.raises(TransportError) as caught:
            transport.put("order.edi", b"must not arrive")
        error = caught.value
        assert error.category == "authentication"
        assert error.transient is False
        assert offered in str(error)  # so an administrator can verify it
        assert error.offered_fingerprint == offered
    assert names(remote[0]) == []


def test_sftp_wrong_key_is_an_authentication_error(sftp_server, remote):
    stranger = sftp_server.make_key("stranger_key")
    transport = connect(
        sftp_server, remote, private_key_pem=stranger, password="s3cret-word"
    )
    with transport, pytest.raises(TransportError) as caught:
        transport.claim()
    assert caught.value.category == "authentication"
    assert caught.value.transient is False
    assert sftp_server.username in str(caught.value)
    for secret in ("s3cret-word", "BEGIN OPENSSH", stranger.splitlines()[1]):
        assert secret not in str(caught.value)
        assert secret not in repr(transport)


def test_sftp_unreadable_key_is_an_authentication_error(sftp_server, remote):
    transport = connect(sftp_server, remote, private_key_pem="not a key")
    with pytest.raises(TransportError, match="private key cannot be read") as caught:
        transport.check()
    assert caught.value.category == "authentication"


def test_sftp_closed_port_is_transient(sftp_peer, remote, sftp_server):
    port = sftp_peer._free_port("127.0.0.1")  # nobody listens there
    transport = SftpTransport(
        "127.0.0.1",
        port,
        sftp_server.username,
        private_key_pem=sftp_server.private_key_pem,
        host_key_fingerprint=sftp_server.host_key_fingerprint,
        outbox=remote[0],
        inbox=remote[1],
        timeout=2.0,
    )
    with pytest.raises(TransportError) as caught:
        transport.put("order.edi", b"x")
    assert caught.value.transient is True
    assert caught.value.category == "transport"
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_sftp_silent_server_times_out_as_transient(sftp_server, remote):
    with socket.create_server(("127.0.0.1", 0)) as silent:
        transport = connect(sftp_server, remote, timeout=0.5)
        transport.port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            transport.check()
    assert time.monotonic() - started < 5
    assert caught.value.transient is True
    assert caught.value.category == "transport"


def test_sftp_rejects_a_malformed_fingerprint_at_once(sftp_server, remote):
    with pytest.raises(TransportError, match="ssh-keygen -lf") as caught:
        connect(sftp_server, remote, host_key_fingerprint="MD5:ab:cd")
    assert caught.value.category == "authentication"


# -- HttpTransport against a real HTTP server on the loopback


class _Partner(BaseHTTPRequestHandler):
    """Answers POST /ok with 201 and what it got, /busy with 503, /bad with 400."""

    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append((self.path, body, self.headers.get("X-Test")))
        status = {"/ok": 201, "/busy": 503, "/bad": 400}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 503:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(b'{"id": "R-1"}')

    def do_GET(self):
        self.send_response(200 if self.path in ("/", "/health") else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_partner():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Partner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Partner.received = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_put_posts_and_returns_the_answer(http_partner):
    pytest.importorskip("requests")
    with HttpTransport(http_partner + "/", timeout=(2.0, 5.0)) as transport:
        response = transport.put("ok", b"payload", headers={"X-Test": "yes"})
        assert "answered HTTP 200" in transport.check("/health")
    assert response.status_code == 201
    assert response.json() == {"id": "R-1"}
    assert _Partner.received == [("/ok", b"payload", "yes")]


def test_http_statuses_are_judged_by_the_kernel(http_partner):
    pytest.importorskip("requests")
    transport = HttpTransport(http_partner, timeout=(2.0, 5.0))
    with pytest.raises(kernel_errors.TransientError) as busy:
        transport.put("/busy", b"x")
    assert busy.value.retry_after == 7.0
    with pytest.raises(kernel_errors.PermanentError) as bad:
        transport.put("/bad", b"x")
    assert bad.value.category == "validation"
    with pytest.raises(TransportError) as missing:
        transport.check("/nowhere")
    assert missing.value.transient is False


def test_http_unreachable_partner_is_transient(sftp_peer):
    pytest.importorskip("requests")
    port = sftp_peer._free_port("127.0.0.1")  # nobody listens there
    transport = HttpTransport(f"http://127.0.0.1:{port}", timeout=(1.0, 1.0))
    with pytest.raises(kernel_errors.TransientError) as caught:
        transport.put("/ok", b"x")
    assert caught.value.category == "transport"
    assert "connection refused" in str(caught.value).lower()


def test_http_transport_needs_an_http_url():
    pytest.importorskip("requests")
    with pytest.raises(TransportError, match="no HTTP URL") as caught:
        HttpTransport("sftp://partner.example")
    assert caught.value.transient is False
