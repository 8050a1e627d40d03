"""Any business record shows what the integration did about it.

A model that inherits ``integration.consumer.mixin`` (a purchase order, a
transfer, a bill) gets three counts — its messages, its open exceptions, the
replies still expected — and smart buttons on its form that open exactly what
each count counts. The buttons are added to the form's button box by
:meth:`_get_view`, so two channels applying the mixin to one model never show
them twice.
"""

from lxml import etree

from odoo import _, api, fields, models

from .entry_point import entry_point
from .integration_expectation import WAITING_STATES

USER_GROUP = "distribution_integration_base.group_integration_user"
OPEN_EXCEPTION_STATES = ("new", "in_progress")
LIST_FORM = ("list", "form")
BUTTONS = (
    # (action method, count field, icon, label)
    ("action_open_integration_messages", "integration_message_count", "fa-exchange",
     "Messages"),
    ("action_open_integration_exceptions", "integration_exception_count",
     "fa-exclamation-triangle", "Exceptions"),
    ("action_open_integration_expectations", "integration_expectation_count",
     "fa-hourglass-half", "Expected"),
)  # fmt: skip


class IntegrationConsumerMixin(models.AbstractModel):
    _name = "integration.consumer.mixin"
    _description = "Integration consumer (messages, exceptions, expectations)"

    integration_message_count = fields.Integer(
        string="Integration messages", compute="_compute_integration_counts"
    )
    integration_exception_count = fields.Integer(
        string="Open integration exceptions", compute="_compute_integration_counts"
    )
    integration_expectation_count = fields.Integer(
        string="Replies expected", compute="_compute_integration_counts"
    )

    # -- what belongs to the record (channels may widen the message domain) --------

    def _integration_message_domain(self):
        self.ensure_one()
        return [("res_model", "=", self._name), ("res_id", "=", self.id)]

    def _integration_exception_domain(self):
        self.ensure_one()
        return [
            ("state", "in", OPEN_EXCEPTION_STATES),
            "|",
            "&",
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
            ("message_id", "any", self._integration_message_domain()),
        ]

    def _integration_expectation_domain(self):
        """Replies still expected about the record or about its messages (the
        acknowledgement of an order sent, say)."""
        self.ensure_one()
        return [
            ("state", "in", WAITING_STATES),
            "|",
            "&",
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
            ("message_id", "any", self._integration_message_domain()),
        ]

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_integration_counts(self):
        # People without the integration screens (a buyer) see no counts.
        allowed = self.env.user.has_group(USER_GROUP)
        for record in self:
            if not allowed or not record.id:
                record.integration_message_count = 0
                record.integration_exception_count = 0
                record.integration_expectation_count = 0
                continue
            record.integration_message_count = self.env[
                "integration.message"
            ].search_count(record._integration_message_domain())
            record.integration_exception_count = self.env[
                "integration.exception"
            ].search_count(record._integration_exception_domain())
            record.integration_expectation_count = self.env[
                "integration.expectation"
            ].search_count(record._integration_expectation_domain())

    def _integration_action(self, xmlid, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        # A list of exactly what was counted: no default filter, no dashboard.
        views = [(view, kind) for view, kind in action["views"] if kind in LIST_FORM]
        action.update(
            name=name,
            domain=domain,
            context={"create": False},
            views=views,
            view_mode=",".join(kind for _view, kind in views),
        )
        return action

    @entry_point("read", groups=USER_GROUP)
    def action_open_integration_messages(self):
        """The messages counted on the record."""
        self.ensure_one()
        return self._integration_action(
            "distribution_integration_base.integration_message_action",
            self._integration_message_domain(),
            _("Messages of %s", self.display_name),
        )

    @entry_point("read", groups=USER_GROUP)
    def action_open_integration_exceptions(self):
        """The open exceptions counted on the record."""
        self.ensure_one()
        return self._integration_action(
            "distribution_integration_base.integration_exception_action",
            self._integration_exception_domain(),
            _("Open exceptions of %s", self.display_name),
        )

    @entry_point("read", groups=USER_GROUP)
    def action_open_integration_expectations(self):
        """The replies still expected, counted on the record."""
        self.ensure_one()
        return self._integration_action(
            "distribution_integration_base.integration_expectation_action",
            self._integration_expectation_domain(),
            _("Replies expected for %s", self.display_name),
        )

    # -- the smart buttons ---------------------------------------------------------

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type != "form":
            return arch, view
        box = arch.xpath("//div[@name='button_box']")
        if not box or box[0].xpath(f"./button[@name='{BUTTONS[0][0]}']"):
            return arch, view
        for method, count, icon, label in BUTTONS:
            button = etree.SubElement(
                box[0],
                "button",
                {
                    "name": method,
                    "type": "object",
                    "class": "oe_stat_button",
                    "icon": icon,
                    "groups": USER_GROUP,
                    "invisible": f"not {count}",
                },
            )
            etree.SubElement(
                button,
                "field",
                {"name": count, "widget": "statinfo", "string": label},
            )
        return arch, view
