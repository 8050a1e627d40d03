"""How X12 interchanges reach a 3PL warehouse: over HTTP or into its folder.

Both wrap a kernel transport (``kernel/transports.py``), which owns timeouts,
atomic file writes and the transient/permanent rule; the client only knows
where a warehouse takes interchanges.
"""

X12_PATH = "x12"
X12_CONTENT_TYPE = "application/edi-x12"


class HttpX12Client:
    """Interchanges POSTed to ``<base URL>/x12``; the warehouse's 997 comes back
    in the answer."""

    def __init__(self, transport, headers=None, auth=None):
        self.transport = transport
        self.headers = dict(headers or {})
        self.auth = auth

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
