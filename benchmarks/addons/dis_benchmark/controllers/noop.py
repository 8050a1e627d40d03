from odoo import http


class BenchmarkNoop(http.Controller):
    """The baseline of the gateway ingest benchmark: a JSON route doing nothing,
    with the same authentication mode (public) as the inbound gateway, so that
    both sides pay Odoo's request handling (routing, session, a database
    transaction) and only the gateway's own work differs."""

    @http.route(
        "/dis_benchmark/noop",
        type="json",
        auth="public",
        csrf=False,
        save_session=False,
    )
    def noop(self, **_params):
        return {}
