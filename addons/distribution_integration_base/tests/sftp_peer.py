"""A real OpenSSH SFTP server for tests, started on a free loopback port.

Standard library only, so both the Odoo tests (``from .sftp_peer import
SftpServer``) and pytest (loading this file by path) can use it::

    with SftpServer() as server:
        transport = SftpTransport(
            server.host, server.port, server.username,
            private_key_pem=server.private_key_pem,
            host_key_fingerprint=server.host_key_fingerprint,
            outbox=server.path("out"), inbox=server.path("in"),
        )

The server has its own ed25519 host key, accepts only a fresh client key, for
the user running the tests, and serves the whole file system through
``internal-sftp``: paths are absolute, and :attr:`SftpServer.root` is a
directory made for the exchanges. When ``sshd`` or ``ssh-keygen`` is missing,
:meth:`SftpServer.start` raises :class:`SftpPeerUnavailable`, whose message is
the reason to skip the test with.
"""

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

SSHD = "/usr/sbin/sshd"
STARTUP_TIMEOUT = 10.0
START_ATTEMPTS = 3


class SftpPeerUnavailable(RuntimeError):
    """No OpenSSH server can be started here; the message says why."""


def _free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _current_user():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return getpass.getuser()


class SftpServer:
    """An ``sshd -D`` of its own, with keys and configuration in a temp dir.

    After :meth:`start`: ``host``, ``port``, ``username``, ``private_key_pem``
    (the client key, OpenSSH text), ``public_key`` (its ``authorized_keys``
    line), ``host_key_fingerprint`` (``SHA256:...``, from ``ssh-keygen -lf``),
    ``host_public_key`` (the host key's OpenSSH line) and ``root`` (an empty
    directory for the exchanges).
    """

    def __init__(self, *, sshd=SSHD, host="127.0.0.1"):
        self.sshd = sshd
        self.host = host
        self.port = None
        self.username = _current_user()
        self.private_key_pem = None
        self.public_key = None
        self.host_key_fingerprint = None
        self.host_public_key = None
        self.base = None
        self.root = None
        self._process = None
        self._log_path = None

    # -- lifecycle

    def start(self):
        """Make keys and configuration, start sshd, wait until it answers."""
        if self._process is not None:
            return self
        keygen = shutil.which("ssh-keygen")
        if not os.access(self.sshd, os.X_OK):
            raise SftpPeerUnavailable(
                f"{self.sshd} not found: install openssh-server to run SFTP tests"
            )
        if keygen is None:
            raise SftpPeerUnavailable(
                "ssh-keygen not found: install openssh-client to run SFTP tests"
            )
        self.base = tempfile.mkdtemp(prefix="dis-sftp-peer-")
        try:
            self._make_keys(keygen)
            self.root = os.path.join(self.base, "exchange")
            os.mkdir(self.root)
            if os.geteuid() == 0:
                # sshd's privilege separation directory, missing in containers.
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            self._start_sshd()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stop sshd and remove its directory (keys, logs, exchanged files)."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- helpers for tests

    def path(self, *parts, create=True):
        """A path under :attr:`root`; a directory made now unless ``create`` is off."""
        path = os.path.join(self.root, *parts)
        if create:
            os.makedirs(path, exist_ok=True)
        return path

    def log(self):
        """What sshd wrote so far (it logs to stderr with ``-e``)."""
        try:
            with open(self._log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (OSError, TypeError):
            return ""

    def make_key(self, name):
        """A new ed25519 private key (OpenSSH text) the server does not accept."""
        return self._keygen(shutil.which("ssh-keygen"), name)[0]

    # -- steps

    def _keygen(self, keygen, name):
        path = os.path.join(self.base, name)
        subprocess.run(
            [keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        with (
            open(path, encoding="ascii") as private,
            open(path + ".pub", encoding="ascii") as public,
        ):
            return private.read(), public.read().strip(), path

    def _make_keys(self, keygen):
        _private, self.host_public_key, host_key = self._keygen(
            keygen, "ssh_host_ed25519_key"
        )
        listing = subprocess.run(
            [keygen, "-l", "-E", "sha256", "-f", host_key + ".pub"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # "256 SHA256:<base64> comment (ED25519)"
        self.host_key_fingerprint = listing.split()[1]
        self._host_key = host_key
        self.private_key_pem, self.public_key, _path = self._keygen(
            keygen, "client_ed25519_key"
        )
        self._authorized_keys = os.path.join(self.base, "authorized_keys")
        with open(self._authorized_keys, "w", encoding="ascii") as handle:
            handle.write(self.public_key + "\n")

    def _write_config(self):
        config = os.path.join(self.base, "sshd_config")
        lines = [
            f"ListenAddress {self.host}",
            f"Port {self.port}",
            f'HostKey "{self._host_key}"',
            f'PidFile "{os.path.join(self.base, "sshd.pid")}"',
            f'AuthorizedKeysFile "{self._authorized_keys}"',
            f"AllowUsers {self.username}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            # Not run as root, sshd without PAM refuses the account as locked
            # (seen on Debian 12); as root, no PAM keeps the host's PAM stack
            # out of the tests.
            "UsePAM no" if os.geteuid() == 0 else "UsePAM yes",
            # The tests run as root on CI machines; as another user too.
            "PermitRootLogin prohibit-password",
            # Keys and files live in a temp dir whose modes sshd would refuse.
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
        ]
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        return config

    def _start_sshd(self):
        self._log_path = os.path.join(self.base, "sshd.log")
        problem = ""
        for _attempt in range(START_ATTEMPTS):
            # Another process may take the port between probe and bind: retry.
            self.port = _free_port(self.host)
            config = self._write_config()
            with open(self._log_path, "ab") as log:
                self._process = subprocess.Popen(
                    [self.sshd, "-D", "-e", "-f", config],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            problem = self._wait_until_listening()
            if not problem:
                return
            self._stop_process()
            if "Address already in use" not in problem:
                break
        raise SftpPeerUnavailable(f"sshd did not start: {problem}")

    def _wait_until_listening(self):
        """'' once sshd greets on the port, else what went wrong."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return (
                    f"exited with status {self._process.returncode}: "
                    + self.log().strip()[-2000:]
                )
            try:
                with socket.create_connection((self.host, self.port), 1.0) as probe:
                    probe.settimeout(1.0)
                    if probe.recv(8).startswith(b"SSH-"):
                        return ""
            except OSError:
                pass
            time.sleep(0.05)
        return f"no SSH greeting on port {self.port} within {STARTUP_TIMEOUT} s"

    def _stop_process(self):
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=5)
