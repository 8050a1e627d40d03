"""The skeleton channel's account: everything shared comes from the kernel's
``integration.channel.account``; the channel only declares what differs."""

from odoo import fields, models

from ..skeleton.client import DirectoryClient


class SkeletonAccount(models.Model):
    _name = "skeleton.account"
    _description = "Skeleton Directory Account"
    _inherit = ["integration.channel.account"]
    _order = "sequence, name"

    # The endpoint kind this channel accepts, the protocols it speaks (the one
    # switch: protocol → client method) and what it can do.
    _channel_endpoint_kind = "other"
    _channel_clients = {"rest": "_client_directory"}
    _channel_capabilities = ("publish", "pull_changes")

    name = fields.Char(required=True)
    pull_changes = fields.Boolean(
        help="Read the changes the directory made on its side on a schedule "
        "(batch flow skeleton-changes-poll).",
    )

    def _client_directory(self, **options):
        endpoint = self.endpoint_id.sudo()
        return DirectoryClient(
            endpoint.base_url,
            self._credential()._get_secret(),
            session=self._channel_http_session(),
            timeout=options.get("timeout") or endpoint._timeout(),
        )

    def _channel_batch_flows(self):
        flows = super()._channel_batch_flows()
        if self.pull_changes:
            flows |= self.env.ref(
                "distribution_channel_skeleton.flow_skeleton_changes_poll"
            )
        return flows
