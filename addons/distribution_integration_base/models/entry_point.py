"""Public methods are RPC entry points: check the caller before anything else.

Odoo lets any logged-in user call any method whose name does not start with an
underscore, on any ids, over JSON-RPC and XML-RPC. A button method that then
works with ``sudo()`` would do for a portal user what only a manager may do.
:func:`entry_point` declares what a public method needs and checks it as the
caller before the method body (and so before any ``sudo()``) runs.
"""

import functools
import inspect

from odoo import models
from odoo.exceptions import AccessError, UserError

# The declaration, kept on the method for tests that enumerate entry points.
ATTRIBUTE = "_integration_entry_point"


def entry_point(operation="write", *, groups=None, records=None):
    """Declare a public model method an RPC entry point and check its caller.

    Before the method runs, unless the environment is superuser:

    - the caller must be allowed ``operation`` (``"read"`` or ``"write"``) on
      the records it is called on: access rights and record rules, the latter
      carrying the multi-company rules;
    - when ``groups`` is given (XML ids, comma-separated), the caller must
      belong to one of them;
    - ``records`` maps parameter names to ``(model, operation)``: the argument
      must be records of that model (ids sent over RPC are turned into
      records) on which the caller is allowed ``operation``.

    Navigation methods (returning a window action) declare ``"read"``; any
    method that changes something declares ``"write"``.
    """
    if operation not in ("read", "write"):
        raise ValueError(f"Unknown operation {operation!r}")
    declaration = {
        "operation": operation,
        "groups": tuple(g.strip() for g in groups.split(",")) if groups else (),
        "records": dict(records or {}),
    }

    def decorate(method):
        signature = inspect.signature(method)
        for name in declaration["records"]:
            if name not in signature.parameters:
                raise TypeError(f"{method.__qualname__} has no parameter {name!r}")

        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            if declaration["records"]:
                bound = signature.bind(self, *args, **kwargs)
                _check_caller(self, declaration)
                for name, (model, arg_operation) in declaration["records"].items():
                    if name not in bound.arguments:
                        continue
                    value = _as_records(self.env, model, bound.arguments[name], name)
                    if not self.env.su:
                        value.check_access(arg_operation)
                    bound.arguments[name] = value
                return method(*bound.args, **bound.kwargs)
            _check_caller(self, declaration)
            return method(self, *args, **kwargs)

        setattr(checked, ATTRIBUTE, declaration)
        return checked

    return decorate


def _check_caller(records, declaration):
    if records.env.su:
        return
    records.check_access(declaration["operation"])
    groups = declaration["groups"]
    if groups and not any(records.env.user.has_group(group) for group in groups):
        # ``env._``: a plain function, nothing in its frame tells ``_`` the
        # caller's language.
        raise AccessError(
            records.env._(
                "You are not allowed to do this on %(model)s: it is reserved to "
                "%(groups)s.",
                model=records._description,
                groups=", ".join(
                    records.env.ref(group).sudo().full_name for group in groups
                ),
            )
        )


def _as_records(env, model, value, name):
    """``value`` as records of ``model``: records pass, ids become records."""
    if isinstance(value, models.BaseModel):
        if value._name != model:
            raise UserError(
                env._("%(name)s must be %(model)s records.", name=name, model=model)
            )
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list | tuple) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        return env[model].browse(value)
    raise UserError(
        env._("%(name)s must be ids of %(model)s records.", name=name, model=model)
    )
