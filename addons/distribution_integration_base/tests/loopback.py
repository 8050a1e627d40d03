"""Odoo test classes whose HTTP peers are real servers on the loopback interface.

Odoo's test framework patches ``requests.Session.send`` in every test class: a
request to another host is blocked, one to 127.0.0.1 goes through. The 2024
release lets loopback requests through as they are; later 18.0 builds first
compare ``timeout < 10`` (a TypeError for the ``(connect, read)`` pair the
suite's clients pass, as production code does) and raise any shorter timeout to
10 s, which would hide what these tests check: a slow peer must time out after
the endpoint's own read timeout.

The suite's partners (the partner peer, mock-edi, Karrio behind the fault proxy,
the LTL sandbox) are servers the tests start on 127.0.0.1, so their traffic is
sent unaltered, like any other request of the code under test. Requests to any
other host still go through Odoo's handler, which blocks them.
"""

import requests

from odoo.tests.common import HOST

# requests' own send, taken when the tests are loaded, before any test class
# patches it (Odoo's test framework keeps it the same way).
_send = requests.Session.send
LOOPBACK_HOSTS = frozenset({HOST, "127.0.0.1", "localhost", "::1"})


class LoopbackPeersMixin:
    """Send requests to loopback peers unaltered; others as Odoo's tests decide."""

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        if requests.utils.urlparse(request.url).hostname in LOOPBACK_HOSTS:
            return _send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)
