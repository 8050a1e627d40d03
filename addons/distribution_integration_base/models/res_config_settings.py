import os

from odoo import _, api, fields, models
from odoo.tools import config

PARAM_PREFIX = "distribution_integration_base."


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    integration_master_key_configured = fields.Boolean(
        compute="_compute_integration_master_key"
    )
    integration_master_key_id = fields.Char(compute="_compute_integration_master_key")
    integration_master_key_message = fields.Char(
        compute="_compute_integration_master_key"
    )
    integration_foreign_key_count = fields.Integer(
        compute="_compute_integration_master_key",
        help="Credentials encrypted under another master key: run integration-rekey.",
    )
    integration_default_sla_minutes = fields.Integer(
        config_parameter=PARAM_PREFIX + "default_sla_minutes", default=60
    )
    integration_default_retry_max_attempts = fields.Integer(
        config_parameter=PARAM_PREFIX + "default_retry_max_attempts", default=5
    )
    integration_default_payload_retention_days = fields.Integer(
        config_parameter=PARAM_PREFIX + "default_payload_retention_days", default=30
    )
    integration_default_metadata_retention_days = fields.Integer(
        config_parameter=PARAM_PREFIX + "default_metadata_retention_days", default=365
    )
    integration_payload_database_max_kb = fields.Integer(
        string="Payloads Kept in the Database up to (KB)",
        config_parameter=PARAM_PREFIX + "payload_database_max_kb",
        default=64,
        help="Payloads up to this size are kept in the database with their message "
        "(written in the same transaction, no file per message); larger ones in "
        "the filestore. 0: every payload in the filestore.",
    )
    integration_stuck_minutes = fields.Integer(
        config_parameter=PARAM_PREFIX + "stuck_minutes", default=15
    )
    integration_root_channel_capacity = fields.Integer(
        config_parameter=PARAM_PREFIX + "root_channel_capacity", default=4
    )
    integration_job_channels = fields.Char(compute="_compute_integration_job_channels")
    integration_running_job_channels = fields.Char(
        compute="_compute_integration_job_channels",
        help="The channels option this server was started with.",
    )
    integration_job_channels_differ = fields.Boolean(
        compute="_compute_integration_job_channels"
    )
    integration_fallback_user_id = fields.Many2one(
        related="company_id.integration_fallback_user_id", readonly=False
    )
    integration_job_runner = fields.Char(compute="_compute_integration_job_runner")

    @api.depends("company_id")
    def _compute_integration_master_key(self):
        status = self.env["integration.credential"]._master_key_status()
        for settings in self:
            (
                settings.integration_master_key_configured,
                settings.integration_master_key_id,
                settings.integration_master_key_message,
                settings.integration_foreign_key_count,
            ) = status

    @api.depends("integration_root_channel_capacity")
    def _compute_integration_job_channels(self):
        channels = self.env["integration.endpoint"]._job_channels_option()
        running = _running_job_channels()
        for settings in self:
            settings.integration_job_channels = channels
            settings.integration_running_job_channels = running or _("(not set)")
            settings.integration_job_channels_differ = _channel_set(
                running
            ) != _channel_set(channels)

    def _compute_integration_job_runner(self):
        runner = self.env["queue.job"]._integration_active_runner()
        if runner:
            text = _(
                "%(name)s (database connection %(pid)s from %(address)s), active "
                "since %(since)s",
                name=runner["application_name"] or "?",
                pid=runner["pid"],
                address=runner["client_addr"] or "a local socket",
                since=fields.Datetime.to_string(runner["since"]),
            )
        else:
            text = _(
                "None: no runner holds the lock, so no job starts. Check that a "
                "node runs with workers and queue_job in server_wide_modules."
            )
        for settings in self:
            settings.integration_job_runner = text


def _running_job_channels():
    """The queue_job ``channels`` option as the job runner reads it (environment
    variable first, then the ``[queue_job]`` section of the configuration file)."""
    return (
        os.environ.get("ODOO_QUEUE_JOB_CHANNELS")
        or (config.misc.get("queue_job") or {}).get("channels")
        or ""
    ).strip()


def _channel_set(option):
    return {part.strip() for part in (option or "").split(",") if part.strip()}
