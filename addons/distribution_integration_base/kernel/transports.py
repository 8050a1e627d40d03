"""Transports of the integration kernel: a local folder, SFTP and HTTP.

Plain Python (no ``odoo`` import), so any channel's flows use them and plain
pytest tests them; ``integration.endpoint._transport()`` builds the one its
``protocol`` names.

The file transports (:class:`FolderTransport`, :class:`SftpTransport`) follow
one protocol, the one directory trading partners expect:

- :meth:`put` writes to a hidden temporary name and renames it into place, so
  a partner polling the outbox never reads half a file, and never replaces a
  file the partner has not collected yet (``order.edi`` becomes
  ``order-1.edi``);
- :meth:`claim` renames each settled inbox file to ``<name>.processing``;
  whoever wins the rename owns the file, so two pollers never take the same
  one;
- the owner then files it away with :meth:`done` (``processed/``),
  :meth:`failed` (``failed/`` with a ``.reason.txt`` beside it), or gives it
  back with :meth:`release` when the transaction that logged it rolled back;
- :meth:`recover_stale` gives back files a crashed poller left claimed.

:class:`HttpTransport` posts a payload to a URL (``put``) and checks that the
partner answers (``check``); failures and statuses are judged by :mod:`.errors`.

Errors are :class:`TransportError`, which carries the ``transient`` and
``category`` attributes the kernel's ``classify_exception`` honours.
paramiko is imported only when an :class:`SftpTransport` connects, requests
only when an :class:`HttpTransport` is made.
"""

import base64
import binascii
import contextlib
import errno
import hashlib
import hmac
import io
import logging
import os
import posixpath
import secrets
import socket
import stat
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import classify_exception, error_for_response, redact_url

_logger = logging.getLogger(__name__)

# Endpoint protocols served by the file transports, and by HttpTransport.
FILE_PROTOCOLS = ("folder", "sftp")
HTTP_PROTOCOLS = ("rest", "edi_http")

CLAIMED_SUFFIX = ".processing"
# Names a poller never takes: files still being written, or already claimed.
IGNORED_SUFFIXES = (".tmp", ".part", CLAIMED_SUFFIX)
PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
REASON_SUFFIX = ".reason.txt"
MAX_NAME_ATTEMPTS = 1000

# errno values after which trying again later may succeed.
_TRANSIENT_ERRNOS = frozenset(
    code
    for code in (
        getattr(errno, name, None)
        for name in (
            "EAGAIN",
            "EBUSY",
            "EINTR",
            "EIO",
            "ENOSPC",
            "EDQUOT",
            "ESTALE",
            "ETIMEDOUT",
            "ECONNRESET",
            "ECONNABORTED",
            "ECONNREFUSED",
            "EHOSTUNREACH",
            "ENETUNREACH",
            "ENETDOWN",
        )
    )
    if code is not None
)
# A filesystem that cannot hard-link (FAT, some network mounts) answers these.
_NO_HARD_LINKS = frozenset(
    code
    for code in (
        getattr(errno, name, None)
        for name in ("EPERM", "EXDEV", "EMLINK", "ENOTSUP", "EOPNOTSUPP", "ENOSYS")
    )
    if code is not None
)


class TransportError(Exception):
    """A file transport could not do what it was asked; the message says where.

    ``transient`` says whether retrying later may help (a refused connection,
    a full disk); ``category`` is ``"transport"`` or ``"authentication"`` (a
    refused login, an unverified host key). ``offered_fingerprint`` is the
    host key fingerprint an SFTP server presented, when the error is about it,
    so a "Test connection" button can show it to an administrator to verify.
    """

    def __init__(
        self,
        message,
        *,
        transient,
        category="transport",
        retry_after=None,
        offered_fingerprint=None,
    ):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.category = category
        self.retry_after = retry_after
        self.offered_fingerprint = offered_fingerprint


@dataclass(frozen=True)
class InboundFile:
    """A file :meth:`claim` took from the inbox.

    ``name`` is the name the partner gave it, ``claimed_name`` the name it has
    in the inbox while this poller owns it (``<name>.processing``), ``size``
    its size in bytes and ``modified`` its modification time as the partner
    left it (seconds since the epoch).
    """

    name: str
    claimed_name: str
    size: int
    modified: float

    @property
    def modified_utc(self):
        """``modified`` as a naive UTC datetime (how Odoo stores datetimes)."""
        moment = datetime.fromtimestamp(self.modified, tz=timezone.utc)
        return moment.replace(tzinfo=None)


def fingerprint_of(public_key):
    """Return the ``SHA256:<base64>`` fingerprint of an SSH public key.

    ``public_key`` is the key blob in SSH wire format (bytes), an OpenSSH
    public key line (``"ssh-ed25519 AAAA... comment"``) or a paramiko key.
    The result is what ``ssh-keygen -lf`` prints.

    >>> fingerprint_of(b"not really a key")
    'SHA256:1ZLTD5Sd93+QFQKUFLJcH8LnruRghGNJ2PLc1ISbefc'
    """
    if hasattr(public_key, "asbytes"):
        blob = public_key.asbytes()
    elif isinstance(public_key, str):
        fields = public_key.split()
        if len(fields) < 2:
            raise ValueError("an OpenSSH public key line is '<type> <base64> ...'")
        blob = base64.b64decode(fields[1])
    else:
        blob = bytes(public_key)
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def normalize_fingerprint(text):
    """Return ``text`` as ``SHA256:<base64 without padding>``, or raise ValueError.

    Accepts the fingerprint alone, with or without ``SHA256:`` and padding, or
    a whole ``ssh-keygen -lf`` line (``256 SHA256:... comment (ED25519)``).

    >>> line = "256 SHA256:1ZLTD5Sd93+QFQKUFLJcH8LnruRghGNJ2PLc1ISbefc= me (ED25519)"
    >>> normalize_fingerprint(line)
    'SHA256:1ZLTD5Sd93+QFQKUFLJcH8LnruRghGNJ2PLc1ISbefc'
    """
    tokens = str(text or "").split()
    chosen = next((t for t in tokens if t.upper().startswith("SHA256:")), None)
    if chosen is None and len(tokens) == 1:
        chosen = tokens[0]
    problem = (
        f"host key fingerprint {text!r} is not of the form SHA256:<base64>, "
        "as `ssh-keygen -lf <key>.pub` prints it"
    )
    if chosen is None:
        raise ValueError(problem)
    if chosen.upper().startswith("MD5:") or chosen.count(":") > 1:
        raise ValueError(problem + "; MD5 fingerprints are not accepted")
    encoded = chosen[7:] if chosen.upper().startswith("SHA256:") else chosen
    encoded = encoded.rstrip("=")
    try:
        digest = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(problem) from None
    if len(digest) != 32:
        raise ValueError(problem)
    return "SHA256:" + encoded


def _check_name(name):
    """Refuse names that would leave the directory or that pollers ignore."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise ValueError(f"file name {name!r} is empty or not a name")
    if any(char in name for char in "/\\\0"):
        raise ValueError(f"file name {name!r} must not hold a path separator")
    if name.startswith("."):
        # Pollers (ours, mock-edi's, most partners') never read dotfiles.
        raise ValueError(f"file name {name!r} must not start with a dot")
    if name.endswith(IGNORED_SUFFIXES):
        raise ValueError(
            f"file name {name!r} ends like a file still being written: "
            "pollers would never read it"
        )


def _candidate_names(name):
    """``name``, then ``<stem>-1<suffix>``, ``<stem>-2<suffix>``... ."""
    yield name
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no suffix, or only a leading dot
        stem, dot, suffix = name, "", ""
    for number in range(1, MAX_NAME_ATTEMPTS):
        yield f"{stem}-{number}{dot}{suffix}"


def _is_ignored(name):
    return name.startswith(".") or name.endswith(IGNORED_SUFFIXES)


def _temporary_name(name):
    # Hidden and *.tmp, so neither we nor a partner's poller reads it; the
    # token keeps two writers of one name apart.
    return f".{name}.{secrets.token_hex(4)}.tmp"


class _Listed:
    __slots__ = ("name", "regular", "size", "modified")

    def __init__(self, name, regular, size, modified):
        self.name = name
        self.regular = regular
        self.size = size
        self.modified = modified


class _FileTransport:
    """The protocol, on top of a few primitives each transport implements.

    Primitives take full paths and raise ``OSError`` (``FileNotFoundError``
    when the source is gone); :meth:`_translate` turns them into
    :class:`TransportError`.
    """

    # How coarse the transport's modification times are (SFTP: whole seconds).
    _mtime_resolution = 0.0

    def __init__(self, outbox, inbox, settle_seconds):
        self.outbox = outbox
        self.inbox = inbox
        self.settle_seconds = float(settle_seconds)

    # -- the protocol

    def put(self, name, data):
        """Write ``data`` to the outbox as ``name``; return the name used.

        The bytes go to a hidden ``.tmp`` file first, which is renamed into
        place, so the file appears whole or not at all. An existing file is
        never replaced: ``order.edi`` becomes ``order-1.edi``, ``order-2.edi``...
        """
        _check_name(name)
        temporary = self._join(self.outbox, _temporary_name(name))
        with self._translate("write", self._join(self.outbox, name)):
            try:
                self._write_new(temporary, bytes(data))
                final = self._move_to_free_name(temporary, self.outbox, name)
            except BaseException:
                self._remove_quietly(temporary)
                raise
            self._sync_directory(self.outbox)
        return final

    def claim(self, *, limit=None):
        """Take the settled files of the inbox; return them oldest first.

        Skips directories, dotfiles, ``*.tmp``, ``*.part``, ``*.processing``
        and files modified within ``settle_seconds`` (still being written).
        Each file taken is renamed ``<name>.processing``; one another poller
        took first is skipped. At most ``limit`` files when given.
        """
        now = time.time()
        with self._translate("list", self.inbox):
            listed = self._list(self.inbox)
        candidates = sorted(
            (
                entry
                for entry in listed
                if entry.regular
                and not _is_ignored(entry.name)
                and self._settled(entry.modified, now)
            ),
            key=lambda entry: (entry.modified, entry.name),
        )
        claimed = []
        for entry in candidates:
            if limit is not None and len(claimed) >= limit:
                break
            inbound = self._claim_one(entry, now)
            if inbound is not None:
                claimed.append(inbound)
        return claimed

    def read(self, inbound):
        """Return the bytes of a claimed file."""
        path = self._join(self.inbox, inbound.claimed_name)
        with self._translate("read", path):
            return self._read(path)

    def done(self, inbound):
        """File a claimed file away in ``<inbox>/processed/``; return its name there.

        An existing file of that name is never replaced (``-1``, ``-2``...).
        """
        return self._file_away(inbound, PROCESSED_DIR)

    def failed(self, inbound, reason):
        """File a claimed file in ``<inbox>/failed/`` with ``<name>.reason.txt``.

        Returns the file's name in ``failed/``; the reason file is named after
        it, so the two stay paired when a name had to be suffixed.
        """
        final = self._file_away(inbound, FAILED_DIR)
        folder = self._join(self.inbox, FAILED_DIR)
        text = str(reason or "").rstrip("\n") + "\n"
        temporary = self._join(folder, _temporary_name(final))
        with self._translate("write the reason for", self._join(folder, final)):
            try:
                self._write_new(temporary, text.encode("utf-8"))
                self._move_to_free_name(temporary, folder, final + REASON_SUFFIX)
            except BaseException:
                self._remove_quietly(temporary)
                raise
        return final

    def release(self, inbound):
        """Give a claimed file its name back, so the next poll takes it again.

        For when the transaction that logged the file rolled back. If a file
        of that name arrived meanwhile, the released one is suffixed rather
        than replacing it. Returns the name it has now.
        """
        source = self._join(self.inbox, inbound.claimed_name)
        with self._translate("release", source):
            final = self._move_to_free_name(source, self.inbox, inbound.name)
            self._restore_mtime(self._join(self.inbox, final), inbound.modified)
        return final

    def recover_stale(self, older_than_seconds):
        """Give back files claimed more than ``older_than_seconds`` ago.

        A poller that crashed between :meth:`claim` and :meth:`done` leaves
        ``*.processing`` files nobody will take; this renames them back.
        Returns the names they have again.
        """
        now = time.time()
        with self._translate("list", self.inbox):
            listed = self._list(self.inbox)
        recovered = []
        for entry in listed:
            if not (
                entry.regular
                and entry.name.endswith(CLAIMED_SUFFIX)
                and len(entry.name) > len(CLAIMED_SUFFIX)
                and now - entry.modified >= older_than_seconds
            ):
                continue
            original = entry.name[: -len(CLAIMED_SUFFIX)]
            source = self._join(self.inbox, entry.name)
            with self._translate("recover", source):
                try:
                    final = self._recover_one(source, original)
                except FileNotFoundError:
                    continue  # filed away or recovered by another poller meanwhile
            _logger.warning(
                "recovered %s in %s, claimed %.0f s ago by a poller that never "
                "finished with it",
                final,
                self.where,
                now - entry.modified,
            )
            recovered.append(final)
        return recovered

    def check(self):
        """Verify that outbox and inbox exist and can be written to.

        Raises :class:`TransportError` saying what is wrong and where; returns
        a one-line description of what was checked.
        """
        for label, directory in (("outbox", self.outbox), ("inbox", self.inbox)):
            with self._translate(f"check the {label}", directory):
                try:
                    is_directory = self._is_directory(directory)
                except FileNotFoundError:
                    is_directory = None
            if not is_directory:
                state = "does not exist" if is_directory is None else "is no directory"
                raise TransportError(
                    f"The {label} {directory} {state} on {self.where}: create it, "
                    "or correct the path.",
                    transient=False,
                )
            probe = self._join(directory, f".dis-check-{secrets.token_hex(4)}.tmp")
            with self._translate(f"write in the {label}", directory):
                self._write_new(probe, b"")
                self._remove(probe)
        return f"{self.where}: outbox {self.outbox} and inbox {self.inbox} are writable"

    def close(self):
        """Release the connection, if any. The transport can still be used."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- shared steps

    def _settled(self, modified, now):
        if self.settle_seconds <= 0:
            return True
        # A coarse clock rounds down: give it its resolution on top.
        return now - modified >= self.settle_seconds + self._mtime_resolution

    def _claim_one(self, entry, now):
        source = self._join(self.inbox, entry.name)
        target = self._join(self.inbox, entry.name + CLAIMED_SUFFIX)
        with self._translate("claim", source):
            # Touched before the rename, so the claimed file's time is the
            # claim's: recover_stale must not take a file just claimed.
            try:
                self._set_mtime(source, now)
            except FileNotFoundError:
                return None  # another poller took it
            if not self._rename_unless_exists(source, target):
                if not self._exists(source):
                    return None  # another poller took it
                # A file of the same name is still claimed: take this one later.
                self._restore_mtime(source, entry.modified)
                _logger.info(
                    "%s in %s waits: %s is still being processed",
                    entry.name,
                    self.where,
                    entry.name + CLAIMED_SUFFIX,
                )
                return None
        return InboundFile(
            name=entry.name,
            claimed_name=entry.name + CLAIMED_SUFFIX,
            size=entry.size,
            modified=entry.modified,
        )

    def _file_away(self, inbound, folder_name):
        source = self._join(self.inbox, inbound.claimed_name)
        folder = self._join(self.inbox, folder_name)
        with self._translate(f"move to {folder_name}/", source):
            self._ensure_directory(folder)
            final = self._move_to_free_name(source, folder, inbound.name)
            self._restore_mtime(self._join(folder, final), inbound.modified)
        return final

    def _recover_one(self, source, original):
        return self._move_to_free_name(source, self.inbox, original)

    def _move_to_free_name(self, source, folder, name):
        """Move ``source`` to ``folder/name`` or the first free suffixed name."""
        for candidate in _candidate_names(name):
            if self._link_unless_exists(source, self._join(folder, candidate)):
                return candidate
        raise TransportError(
            f"No free name for {name} in {folder} on {self.where} after "
            f"{MAX_NAME_ATTEMPTS} tries: empty the folder.",
            transient=False,
        )

    def _restore_mtime(self, path, modified):
        # Only for the archive's and the next poll's ordering: not worth failing.
        try:
            self._set_mtime(path, modified)
        except Exception as error:
            _logger.debug("could not restore the time of %s: %s", path, error)

    def _remove_quietly(self, path):
        # Cleanup after a failure: must never hide the failure itself.
        try:
            self._remove(path)
        except Exception as error:
            _logger.debug("could not remove %s: %s", path, error)

    def _error(self, action, path, error):
        """The TransportError for an OSError raised while doing ``action``."""
        transient = isinstance(error, (TimeoutError, ConnectionError)) or (
            error.errno in _TRANSIENT_ERRNOS
        )
        detail = error.strerror or str(error) or type(error).__name__
        return TransportError(
            f"Cannot {action} {path} on {self.where}: {detail}", transient=transient
        )

    @contextlib.contextmanager
    def _translate(self, action, path):
        try:
            yield
        except OSError as error:
            raise self._error(action, path, error) from error

    # -- primitives, per transport

    @property
    def where(self):
        raise NotImplementedError

    def _join(self, folder, name):
        raise NotImplementedError

    def _list(self, folder):
        raise NotImplementedError

    def _is_directory(self, path):
        raise NotImplementedError

    def _exists(self, path):
        raise NotImplementedError

    def _write_new(self, path, data):
        raise NotImplementedError

    def _read(self, path):
        raise NotImplementedError

    def _remove(self, path):
        raise NotImplementedError

    def _ensure_directory(self, path):
        raise NotImplementedError

    def _set_mtime(self, path, modified):
        raise NotImplementedError

    def _rename_unless_exists(self, source, target):
        """Rename; False if ``target`` exists. Used where ``source`` is shared."""
        raise NotImplementedError

    def _link_unless_exists(self, source, target):
        """Rename without ever replacing ``target``; False if it exists."""
        raise NotImplementedError

    def _sync_directory(self, folder):
        """Make a rename in ``folder`` durable, where the transport can."""


class FolderTransport(_FileTransport):
    """Files exchanged through local (or mounted) directories.

    ``outbox`` is where :meth:`put` writes for the partner, ``inbox`` where
    the partner's files arrive. A file modified within ``settle_seconds`` is
    taken to be still being written and left for the next :meth:`claim`.
    """

    def __init__(self, outbox, inbox, *, settle_seconds=2.0):
        super().__init__(os.fspath(outbox), os.fspath(inbox), settle_seconds)

    def __repr__(self):
        return f"<FolderTransport outbox={self.outbox!r} inbox={self.inbox!r}>"

    @property
    def where(self):
        return "this server's file system"

    def _join(self, folder, name):
        return os.path.join(folder, name)

    def _list(self, folder):
        listed = []
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # taken between listing and stat
                listed.append(
                    _Listed(
                        entry.name,
                        stat.S_ISREG(info.st_mode),
                        info.st_size,
                        info.st_mtime,
                    )
                )
        return listed

    def _is_directory(self, path):
        return stat.S_ISDIR(os.stat(path).st_mode)

    def _exists(self, path):
        return os.path.lexists(path)

    def _write_new(self, path, data):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with open(descriptor, "wb", closefd=False) as handle:
                handle.write(data)
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            self._remove_quietly(path)
            raise
        os.close(descriptor)

    def _read(self, path):
        with open(path, "rb") as handle:
            return handle.read()

    def _remove(self, path):
        os.unlink(path)

    def _ensure_directory(self, path):
        os.makedirs(path, exist_ok=True)

    def _set_mtime(self, path, modified):
        os.utime(path, (modified, modified))

    def _rename_unless_exists(self, source, target):
        # Only pollers following this protocol create `<name>.processing`,
        # and only by renaming `<name>` itself, which then is gone: the check
        # cannot be raced into replacing a file.
        if os.path.lexists(target):
            return False
        try:
            os.rename(source, target)
        except FileNotFoundError:
            if os.path.lexists(source):
                raise
            return False
        return True

    def _link_unless_exists(self, source, target):
        # link() fails if the target exists, atomically; rename() would replace.
        try:
            os.link(source, target)
        except FileExistsError:
            return False
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            # No hard links on this file system: check, then rename.
            if os.path.lexists(target):
                return False
            os.rename(source, target)
            return True
        # recover_stale may have removed the leftover name (see _recover_one).
        with contextlib.suppress(FileNotFoundError):
            os.unlink(source)
        return True

    def _recover_one(self, source, original):
        target = self._join(self.inbox, original)
        # A crash between link() and unlink() leaves both names on one file.
        with contextlib.suppress(FileNotFoundError):
            if os.path.samefile(source, target):
                os.unlink(source)
                return original
        return super()._recover_one(source, original)

    def _sync_directory(self, folder):
        try:
            descriptor = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(descriptor)
        except OSError:
            pass  # some file systems cannot sync a directory; the rename stands
        finally:
            os.close(descriptor)


def _import_paramiko():
    try:
        import paramiko
    except ImportError as error:  # pragma: no cover - depends on the install
        raise TransportError(
            "SFTP needs the Python library paramiko: pip install paramiko",
            transient=False,
        ) from error
    return paramiko


def _load_private_key(paramiko, private_key_pem):
    """A paramiko key from OpenSSH or PEM text (ed25519, ECDSA or RSA)."""
    text = (
        private_key_pem.decode("ascii", "replace")
        if isinstance(private_key_pem, bytes)
        else str(private_key_pem)
    )
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except paramiko.PasswordRequiredException:
            raise TransportError(
                "The SFTP private key is protected by a passphrase: store it "
                "without one (the credential store encrypts it).",
                transient=False,
                category="authentication",
            ) from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError):
            continue
    raise TransportError(
        "The SFTP private key cannot be read: give an ed25519, ECDSA or RSA key "
        "in OpenSSH or PEM form (the text of the file ssh-keygen wrote).",
        transient=False,
        category="authentication",
    )


class SftpTransport(_FileTransport):
    """Files exchanged through directories on an SFTP server.

    The server's host key must have the fingerprint ``host_key_fingerprint``
    (``SHA256:<base64>``, as ``ssh-keygen -lf`` prints it); any other key is
    refused before credentials are sent, and the error names the fingerprint
    the server offered. Log in with ``private_key_pem``, ``password`` or both.
    One connection is opened on first use and kept until :meth:`close`;
    ``timeout`` bounds connecting, logging in and every request.

    The settle check compares the server's modification times with this
    machine's clock: keep both synchronised (NTP).
    """

    _mtime_resolution = 1.0  # SFTP v3 carries whole seconds

    def __init__(
        self,
        host,
        port,
        username,
        *,
        password=None,
        private_key_pem=None,
        host_key_fingerprint,
        outbox,
        inbox,
        timeout=10.0,
        settle_seconds=2.0,
    ):
        super().__init__(outbox, inbox, settle_seconds)
        self.host = host
        self.port = int(port or 22)
        self.username = username
        self.timeout = timeout
        self._password = password or None
        self._private_key_pem = private_key_pem or None
        if host_key_fingerprint:
            try:
                self.host_key_fingerprint = normalize_fingerprint(host_key_fingerprint)
            except ValueError as error:
                raise TransportError(
                    f"{error} (for {self.where})",
                    transient=False,
                    category="authentication",
                ) from None
        else:
            # Allowed so that "Test connection" can show what the server offers.
            self.host_key_fingerprint = None
        self._client = None
        self._sftp_client = None

    def __repr__(self):
        return (
            f"<SftpTransport {self.where} outbox={self.outbox!r} inbox={self.inbox!r}>"
        )

    @property
    def where(self):
        return f"sftp://{self.username}@{self.host}:{self.port}"

    # -- connection

    def _sftp(self):
        client = self._client
        if client is not None:
            transport = client.get_transport()
            if transport is not None and transport.is_active():
                return self._sftp_client
            self.close()
        self._connect()
        return self._sftp_client

    def _connect(self):
        paramiko = _import_paramiko()
        key = (
            _load_private_key(paramiko, self._private_key_pem)
            if self._private_key_pem
            else None
        )
        if key is None and self._password is None:
            raise TransportError(
                f"No credentials for {self.where}: give a private key or a password.",
                transient=False,
                category="authentication",
            )
        client = paramiko.SSHClient()
        # No known_hosts is loaded, so every host key reaches this policy.
        client.set_missing_host_key_policy(self._host_key_policy(paramiko))
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.username,
                password=self._password,
                pkey=key,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                # Only the credentials configured here: never the agent or
                # the keys in the Odoo user's ~/.ssh.
                allow_agent=False,
                look_for_keys=False,
            )
            self._verify_host_key(client.get_transport().get_remote_server_key())
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(self.timeout)
        except BaseException as error:
            client.close()
            if isinstance(error, TransportError):
                raise
            if isinstance(error, Exception):
                raise self._connect_error(paramiko, error) from error
            raise
        self._client = client
        self._sftp_client = sftp

    def _host_key_policy(self, paramiko):
        transport = self

        class VerifyFingerprint(paramiko.MissingHostKeyPolicy):
            def missing_host_key(self, client, hostname, key):
                transport._verify_host_key(key)

        return VerifyFingerprint()

    def _verify_host_key(self, key):
        offered = fingerprint_of(key)
        expected = self.host_key_fingerprint
        if expected and hmac.compare_digest(offered, expected):
            return
        algorithm = key.get_name()
        check = (
            f"ask the partner for the fingerprint, or run `ssh-keyscan -p {self.port} "
            f"-t {algorithm} {self.host} | ssh-keygen -lf -` from a trusted network"
        )
        if expected:
            message = (
                f"The host key of {self.where} does not match: it offered "
                f"{algorithm} {offered}, expected {expected}. Someone may be "
                f"intercepting the connection, or the server's key changed: {check}, "
                "then update the fingerprint."
            )
        else:
            message = (
                f"No host key fingerprint is set for {self.where}: it offered "
                f"{algorithm} {offered}. Verify it ({check}) and enter it."
            )
        raise TransportError(
            message,
            transient=False,
            category="authentication",
            offered_fingerprint=offered,
        )

    def _connect_error(self, paramiko, error):
        if isinstance(error, paramiko.AuthenticationException):
            tried = " and ".join(
                what
                for what, given in (
                    ("the private key", self._private_key_pem),
                    ("the password", self._password),
                )
                if given
            )
            return TransportError(
                f"{self.where} refused to log in user {self.username!r} with {tried} "
                f"({error}): check the user name and that the partner installed "
                "our public key or password.",
                transient=False,
                category="authentication",
            )
        if isinstance(error, socket.gaierror):
            return TransportError(
                f"Cannot resolve the host name of {self.where}: {error}",
                transient=True,
            )
        if isinstance(error, (TimeoutError, socket.timeout)):
            return TransportError(
                f"Timed out after {self.timeout} s connecting to {self.where}",
                transient=True,
            )
        if isinstance(error, OSError):  # refused, unreachable, reset
            # paramiko's NoValidConnectionsError holds one error per address.
            causes = getattr(error, "errors", None) or {None: error}
            reasons = sorted(
                {(cause.strerror or str(cause)).lower() for cause in causes.values()}
            )
            return TransportError(
                f"Cannot connect to {self.where}: {', '.join(reasons)}",
                transient=True,
            )
        text = str(error) or type(error).__name__
        if "Incompatible" in text or "no acceptable" in text:
            return TransportError(
                f"{self.where} and we share no SSH algorithm: {text}",
                transient=False,
            )
        return TransportError(
            f"SSH connection to {self.where} failed: {text}", transient=True
        )

    def close(self):
        """Close the SSH connection; the next call opens a new one."""
        sftp, client = self._sftp_client, self._client
        self._sftp_client = self._client = None
        for closable in (sftp, client):
            if closable is not None:
                with contextlib.suppress(Exception):
                    closable.close()

    @contextlib.contextmanager
    def _translate(self, action, path):
        try:
            yield
        except TransportError:
            raise
        except (FileNotFoundError, PermissionError) as error:
            raise self._error(action, path, error) from error
        except (EOFError, OSError) as error:
            # paramiko reports a dropped connection as EOFError or a socket
            # error; an SFTP "failure" status is an OSError on a live one.
            if isinstance(error, OSError) and not self._connection_lost():
                raise self._error(action, path, error) from error
            self.close()
            raise TransportError(
                f"Connection to {self.where} lost while trying to {action} "
                f"{path}: {error or type(error).__name__}",
                transient=True,
            ) from error
        except Exception as error:
            if isinstance(error, _import_paramiko().SSHException):
                self.close()
                raise TransportError(
                    f"SSH error on {self.where} while trying to {action} {path}: "
                    f"{error}",
                    transient=True,
                ) from error
            raise

    def _connection_lost(self):
        transport = self._client.get_transport() if self._client else None
        return transport is None or not transport.is_active()

    # -- primitives

    def _join(self, folder, name):
        return posixpath.join(folder, name)

    def _list(self, folder):
        return [
            _Listed(
                attributes.filename,
                stat.S_ISREG(attributes.st_mode or 0),
                attributes.st_size or 0,
                float(attributes.st_mtime or 0),
            )
            for attributes in self._sftp().listdir_attr(folder)
        ]

    def _is_directory(self, path):
        return stat.S_ISDIR(self._sftp().stat(path).st_mode or 0)

    def _exists(self, path):
        try:
            self._sftp().lstat(path)
        except FileNotFoundError:
            return False
        return True

    def _write_new(self, path, data):
        # OpenSSH offers fsync@openssh.com, but paramiko does not expose it;
        # the server's close() and the rename are what make the file appear.
        with self._sftp().open(path, "wbx") as handle:
            handle.set_pipelined(True)
            handle.write(data)

    def _read(self, path):
        with self._sftp().open(path, "rb") as handle:
            handle.prefetch()
            return handle.read()

    def _remove(self, path):
        self._sftp().remove(path)

    def _remove_quietly(self, path):
        # Not worth a reconnection: a leftover hidden *.tmp is ignored by all.
        if self._client is not None and not self._connection_lost():
            super()._remove_quietly(path)

    def _ensure_directory(self, path):
        sftp = self._sftp()
        try:
            if stat.S_ISDIR(sftp.stat(path).st_mode or 0):
                return
        except FileNotFoundError:
            pass
        try:
            sftp.mkdir(path)
        except OSError:
            # Another poller made it meanwhile, or we truly cannot.
            if not stat.S_ISDIR(sftp.stat(path).st_mode or 0):
                raise

    def _set_mtime(self, path, modified):
        self._sftp().utime(path, (modified, modified))

    def _rename_unless_exists(self, source, target):
        return self._link_unless_exists(source, target)

    def _link_unless_exists(self, source, target):
        # Plain SFTP rename refuses to replace an existing target (OpenSSH
        # implements it with link() and unlink()). posix-rename@openssh.com
        # is atomic too but replaces the target, which this protocol forbids.
        sftp = self._sftp()
        try:
            sftp.rename(source, target)
        except OSError:
            if self._exists(target):
                return False
            if not self._exists(source):
                raise FileNotFoundError(
                    errno.ENOENT, "no such file (taken meanwhile?)", source
                ) from None
            raise
        return True


class HttpTransport:
    """Payloads posted to a partner's URL over one ``requests.Session``.

    ``timeout`` is the ``(connect, read)`` pair bounding every call; a given
    ``session`` is reused (connection pooling), else one is made and closed by
    :meth:`close`. Authentication depends on the body (signatures), so it is
    passed per call.
    """

    def __init__(self, base_url, *, timeout=(5.0, 30.0), session=None):
        import requests  # only where HTTP is used, like paramiko for SFTP

        if not base_url or not str(base_url).startswith(("http://", "https://")):
            raise TransportError(
                f"{base_url!r} is no HTTP URL: set the endpoint's base URL "
                "to http(s)://...",
                transient=False,
                category="mapping",
            )
        self._requests = requests
        self.base_url = str(base_url).rstrip("/")
        self.timeout = timeout
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()

    def __repr__(self):
        return f"<HttpTransport {redact_url(self.base_url)}>"

    @property
    def where(self):
        return redact_url(self.base_url)

    def url(self, path=""):
        """The base URL with ``path`` appended."""
        return self.base_url + ("/" + path.lstrip("/") if path else "")

    def put(self, path, data, *, headers=None, auth=None, cert=None):
        """POST ``data`` to ``path``; return the response of a 2xx/3xx answer.

        Anything else raises the kernel error :mod:`.errors` makes of it, by
        the one rule every channel shares: no answer, a refused connection or
        a timeout is transient, and so are 5xx, 408, 425 and 429; 401/403 are
        authentication errors; other statuses are permanent.
        """
        url = self.url(path)
        try:
            response = self._session.post(
                url,
                data=bytes(data),
                headers=dict(headers or {}),
                auth=auth,
                cert=cert,
                timeout=self.timeout,
            )
        except self._requests.RequestException as error:
            raise classify_exception(error) from error
        problem = error_for_response(response, url)
        if problem is not None:
            raise problem
        return response

    def check(self, path=""):
        """GET ``path`` once; raise :class:`TransportError` unless it answers < 400."""
        url = self.url(path)
        try:
            response = self._session.get(
                url, timeout=self.timeout, allow_redirects=False
            )
        except self._requests.RequestException as error:
            raise TransportError(
                f"Cannot reach {self.where}: {type(error).__name__}",
                transient=True,
            ) from error
        if response.status_code >= 400:
            raise TransportError(
                f"{self.where} answered HTTP {response.status_code}",
                transient=response.status_code >= 500,
            )
        return f"{self.where} answered HTTP {response.status_code}"

    def close(self):
        """Close the session if this transport made it."""
        if self._own_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
