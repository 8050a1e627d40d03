"""Client of the partner's directory API (plain Python, no Odoo import).

The partner keeps a directory of our contacts: we publish a contact
(``POST /contacts``, answered with the directory's reference) and read the
changes it made on its side (``GET /contacts/changes``). Errors are left to
the caller as :class:`DirectoryError` (an HTTP status) or ``requests``
exceptions, which the channel's handlers turn into the kernel's errors.
"""

import requests


class DirectoryError(Exception):
    """The directory answered with an HTTP error status."""

    def __init__(self, status, body, url, retry_after=None):
        super().__init__(f"{url} answered HTTP {status}")
        self.status = status
        self.body = body
        self.url = url
        self.retry_after = retry_after


class DirectoryClient:
    """One account's view of the directory. ``session`` is shared (the
    kernel's per-endpoint session); every call has a ``timeout``."""

    def __init__(self, base_url, api_key, *, session=None, timeout=(5.0, 30.0)):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.session = session or requests.Session()
        self.timeout = timeout

    def _call(self, method, path, **kwargs):
        url = self.base_url + path
        headers = dict(kwargs.pop("headers", {}), **{"X-Api-Key": self.api_key})
        response = self.session.request(
            method, url, headers=headers, timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise DirectoryError(
                response.status_code,
                response.text[:500],
                url,
                retry_after=response.headers.get("Retry-After"),
            )
        return response.json()

    def publish(self, contact, idempotency_key):
        """Publish ``contact`` (a dict); return the directory's reference."""
        answer = self._call(
            "POST",
            "/contacts",
            json=contact,
            headers={"Idempotency-Key": idempotency_key},
        )
        return str(answer["reference"])

    def changes(self):
        """The changes the directory made: ``[{"id", "contact", "reference"}]``."""
        return list(self._call("GET", "/contacts/changes").get("changes", []))
