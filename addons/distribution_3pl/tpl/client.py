"""How X12 interchanges reach a 3PL warehouse: over HTTP or into its folder.

Both wrap a kernel transport (``kernel/transports.py``), which owns timeouts,
atomic file writes and the transient/permanent rule; the client only knows
where a warehouse takes interchanges.
"""

X12_PATH = "x12"
X12_CONTENT_TYPE = "application/edi-x12"


class HttpX12Client:
    """Interchanges POSTed to ``<base URL>/x12``; the warehouse's 997 comes back
    in the answer. The warehouse's own documents wait in ``/x12/outbox`` until
    picked up (read, then deleted).

    ``check`` turns a ``requests`` response into the error to raise (or None):
    the caller's rule of which statuses are worth a retry.
    """

    def __init__(self, transport, headers=None, auth=None, check=None):
        self.transport = transport
        self.headers = dict(headers or {})
        self.auth = auth
        self.check = check or (lambda response: None)

    def _call(self, method, path, **options):
        response = self.transport._session.request(
            method,
            self.transport.url(path),
            headers=self.headers,
            auth=self.auth,
            timeout=self.transport.timeout,
            **options,
        )
        problem = self.check(response)
        if problem is not None:
            raise problem
        return response

    def outbox(self):
        """The ids of the documents waiting for us, oldest first."""
        return [str(item["id"]) for item in self._call("GET", "x12/outbox").json()]

    def fetch(self, document_id):
        """One waiting interchange (bytes)."""
        return self._call("GET", f"x12/outbox/{document_id}").content

    def picked_up(self, document_id):
        """Tell the warehouse a document is safely ours."""
        self._call("DELETE", f"x12/outbox/{document_id}")

    def deliver(self, name, data):
        """Send one interchange; ``(reference, answer bytes)``."""
        response = self.transport.put(
            X12_PATH,
            data,
            headers={"Content-Type": X12_CONTENT_TYPE, **self.headers},
            auth=self.auth,
        )
        return name, response.content or b""

    def close(self):
        self.transport.close()


class FolderX12Client:
    """Interchanges written to the warehouse's pickup folder (its 997 arrives
    later as a file, collected with its other documents)."""

    def __init__(self, transport):
        self.transport = transport

    def deliver(self, name, data):
        return self.transport.put(name, data), b""

    def close(self):
        self.transport.close()
