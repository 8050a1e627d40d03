import re

from odoo import _, api, models
from odoo.exceptions import ValidationError

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class IntegrationCodeMixin(models.AbstractModel):
    """A unique technical ``code`` used in URLs, job channels and channel code."""

    _name = "integration.code.mixin"
    _description = "Integration Code Mixin"
    # Fields copied into per-worker caches (``_dispatch_profile``): writing one
    # clears the caches of every worker (Odoo signals it through the registry).
    _dispatch_cached_fields = frozenset()

    @api.constrains("code")
    def _check_code(self):
        for record in self:
            if not CODE_PATTERN.match(record.code or ""):
                raise ValidationError(
                    _(
                        "%(model)s code %(code)r is not valid: use lowercase letters, "
                        "digits, '-' and '_' (at most 63 characters).",
                        model=self._description,
                        code=record.code,
                    )
                )

    def copy_data(self, default=None):
        # Codes are unique: a duplicate gets a free "-copy-N" code to edit.
        vals_list = super().copy_data(default=default)
        if default and "code" in default:
            return vals_list
        for record, vals in zip(self, vals_list, strict=True):
            suffix = 1
            while self.with_context(active_test=False).search_count(
                [("code", "=", f"{record.code}-copy-{suffix}")]
            ):
                suffix += 1
            vals["code"] = f"{record.code}-copy-{suffix}"
            vals["name"] = _("%s (copy)", record.name)
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        # integration.dispatch._id_for_code, _dispatch_profile
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if "code" in vals or self._dispatch_cached_fields.intersection(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
