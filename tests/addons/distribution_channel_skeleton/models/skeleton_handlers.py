"""Flow handlers of the skeleton channel: flow code → handler → client.

flow                       handler                                  client call
skeleton-publish           integration.handler.skeleton_publish     publish()
skeleton-changes-poll      integration.handler.skeleton_changes     changes()
skeleton-change-in         integration.handler.skeleton_change_in   (none)
"""

import requests

from odoo import _, models
from odoo.addons.distribution_integration_base.kernel import errors
from odoo.addons.distribution_integration_base.kernel.results import HandlerResult

from ..skeleton.client import DirectoryError

CHANGE_FLOW = "distribution_channel_skeleton.flow_skeleton_change_in"


def kernel_error(exc):
    """The kernel's error for what the client raised (retry or exception queue)."""
    if isinstance(exc, DirectoryError):
        return errors.error_for_http_status(
            exc.status,
            retry_after=exc.retry_after,
            body_excerpt=exc.body,
            url=exc.url,
        )
    return errors.classify_exception(exc)


def contact_of(env, payload):
    """The contact a payload names, or an error a person can act on."""
    try:
        contact_id = int(payload["contact"])
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.PermanentError(
            env._("The payload names no contact: %s", exc), category="validation"
        ) from exc
    partner = env["res.partner"].browse(contact_id).exists()
    if not partner:
        raise errors.PermanentError(
            env._("Contact %s no longer exists.", contact_id), category="mapping"
        )
    return partner


class SkeletonPublishHandler(models.AbstractModel):
    _name = "integration.handler.skeleton_publish"
    _inherit = "integration.handler.outbound"
    _description = "Skeleton: publish a contact to the directory"

    def _send(self, message):
        account = self.env["skeleton.account"]._for_endpoint(message.endpoint_id)
        payload = self._payload_json(message)
        partner = contact_of(self.env, payload)
        try:
            reference = account._client().publish(
                payload, message.idempotency_key or message.name
            )
        except (DirectoryError, requests.RequestException) as exc:
            raise kernel_error(exc) from exc
        except (KeyError, ValueError) as exc:
            raise errors.PermanentError(
                _("The directory's answer has no reference."), category="validation"
            ) from exc
        partner._skeleton_apply_reference(reference)
        return HandlerResult(external_ref=reference, record=partner)


class SkeletonChangesHandler(models.AbstractModel):
    _name = "integration.handler.skeleton_changes"
    _inherit = "integration.handler.collector"
    _description = "Skeleton: collect the directory's changes"

    def _collect(self, flow, endpoint):
        account = self.env["skeleton.account"]._for_endpoint(endpoint)
        try:
            changes = account._client().changes()
        except (DirectoryError, requests.RequestException) as exc:
            raise kernel_error(exc) from exc
        change_flow = self.env.ref(CHANGE_FLOW)
        dispatch = self.env["integration.dispatch"]
        for change in changes:
            # The change id makes a change read twice one message.
            dispatch._receive(
                change_flow,
                endpoint,
                change,
                idempotency_key=f"change-{change.get('id')}",
            )
        return len(changes)


class SkeletonChangeInHandler(models.AbstractModel):
    _name = "integration.handler.skeleton_change_in"
    _inherit = "integration.handler.inbound"
    _description = "Skeleton: apply a change the directory made"

    def _process(self, message):
        payload = self._payload_json(message)
        partner = contact_of(self.env, payload)
        reference = payload.get("reference")
        if not reference:
            raise errors.PermanentError(
                _("The change names no reference."), category="validation"
            )
        partner._skeleton_apply_reference(str(reference))
        return HandlerResult(external_ref=str(reference), record=partner)
