"""Every public method of the suite is an RPC entry point: call each one over
JSON-RPC as people who may and may not change its records.

The methods are found, not listed: every function without a leading underscore
defined in a class of an installed ``distribution_*`` addon (ORM methods the
suite overrides, such as ``write``, are left to the ORM's own checks). A method
added later is called here too, and fails this test until it declares what it
needs with :func:`~..models.entry_point.entry_point`.
"""

import inspect
import json
import os
import socket
from unittest.mock import patch

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config

from ..kernel import crypto, errors
from ..models.entry_point import ATTRIBUTE, _as_records
from .loopback import LoopbackPeersMixin

SUITE_MODULE_PREFIX = "odoo.addons.distribution_"
MANAGER = "distribution_integration_base.group_integration_manager"
USER = "distribution_integration_base.group_integration_user"
# Rights of the people who use the channels' screens, when those apps are here.
BUSINESS_GROUPS = (
    "purchase.group_purchase_manager",
    "stock.group_stock_manager",
    "account.group_account_manager",
    "sales_team.group_sale_manager",
)
# JSON-RPC error names that say "refused" and "a clean business refusal".
ACCESS_ERRORS = ("odoo.exceptions.AccessError",)
CLEAN_ERRORS = (
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.RedirectWarning",
)


def suite_public_methods(env):
    """``{(model, method): [function, ...]}`` for every public method defined
    in a class of the suite's addons, most derived definition first."""
    found = {}
    for model_name in sorted(env.registry):
        for klass in type(env[model_name]).mro():
            if not (klass.__module__ or "").startswith(SUITE_MODULE_PREFIX):
                continue
            if ".tests." in klass.__module__:
                continue
            for name, value in vars(klass).items():
                if (
                    name.startswith("_")
                    or not inspect.isfunction(value)
                    or hasattr(models.BaseModel, name)
                ):
                    continue
                found.setdefault((model_name, name), []).append(value)
    return found


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestRpcEntryPoints(LoopbackPeersMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not (
            config.get(crypto.MASTER_KEY_OPTION)
            or os.environ.get(crypto.MASTER_KEY_ENV)
        ):
            cls.startClassPatcher(
                patch.dict(
                    config.options,
                    {crypto.MASTER_KEY_OPTION: crypto.generate_master_key()},
                )
            )
        env = cls.env
        cls.company = env.ref("base.main_company")
        cls.other_company = env["res.company"].create({"name": "Other Co (RPC)"})
        # Nothing called here may reach the network: every endpoint points at a
        # port nobody listens on (refused at once).
        dead_url = f"http://127.0.0.1:{closed_port()}"
        env["integration.endpoint"].with_context(active_test=False).search([]).write(
            {"base_url": dead_url, "connect_timeout": 1.0, "read_timeout": 1.0}
        )
        business = ",".join(
            group for group in BUSINESS_GROUPS if env.ref(group, False) is not None
        )
        cls.users = {
            "portal": new_test_user(env, "rpc_portal", groups="base.group_portal"),
            "internal": new_test_user(env, "rpc_internal", groups="base.group_user"),
            "integration user": new_test_user(
                env, "rpc_integration_user", groups=f"base.group_user,{USER}"
            ),
            "integration manager": new_test_user(
                env,
                "rpc_integration_manager",
                groups=",".join(filter(None, ["base.group_user", MANAGER, business])),
            ),
            "other company manager": new_test_user(
                env,
                "rpc_other_company",
                groups=",".join(filter(None, ["base.group_user", MANAGER, business])),
                company_id=cls.other_company.id,
                company_ids=[cls.other_company.id],
            ),
        }
        cls.targets = cls._kernel_targets()

    @classmethod
    def _kernel_targets(cls):
        """Records of the kernel's models in the main company, in the states
        their buttons act on (a pending rotation, an open circuit, a failed
        message with an open exception)."""
        env = cls.env
        endpoint = env["integration.endpoint"].create(
            {
                "name": "RPC matrix partner",
                "code": "rpc-matrix",
                "kind": "other",
                "base_url": f"http://127.0.0.1:{closed_port()}",
                "company_id": cls.company.id,
                "circuit_state": "open",
            }
        )
        credential = env["integration.credential"].create(
            {"name": "Key", "endpoint_id": endpoint.id, "secret": "first"}
        )
        credential.secret = "second"  # a rotation waiting for confirmation
        flow = env["integration.flow"].create(
            {
                "name": "RPC matrix batch",
                "code": "rpc-matrix-batch",
                "direction": "outbound",
                "mode": "batch",
                "handler": "integration.handler.http_json",
                "company_id": cls.company.id,
                "endpoint_ids": [(6, 0, endpoint.ids)],
            }
        )
        message = env["integration.dispatch"]._send(
            flow, endpoint, {"order": "RPC-1"}, content_type="application/json"
        )
        message._record_failure(
            errors.PermanentError("The partner refused RPC-1.", category="validation")
        )
        exception = message.exception_ids[:1]
        expectation = env["integration.expectation"]._expect(
            message,
            "acknowledgement",
            message.create_date,
            message=message,
            category="acknowledgement",
        )
        manager = cls.users["integration manager"]
        wizard = (
            env["integration.payload.edit"]
            .with_user(manager)
            .create(
                {
                    "exception_id": exception.id,
                    "payload": '{"order": "RPC-1", "fixed": true}',
                    "reason": "RPC matrix",
                }
            )
        )
        resolve = (
            env["integration.exception.resolve"]
            .with_user(cls.users["integration manager"])
            .create(
                {
                    "exception_ids": [(6, 0, exception.ids)],
                    "resolution_note": "RPC matrix",
                }
            )
        )
        return {
            "integration.endpoint": endpoint,
            "integration.credential": credential,
            "integration.exception.resolve": resolve.sudo(),
            "integration.flow": flow,
            "integration.message": message,
            "integration.exception": exception,
            "integration.expectation": expectation,
            "integration.payload.edit": wizard.sudo(),
        }

    # -- helpers ---------------------------------------------------------------

    def target(self, model, method_name=""):
        """One record of ``model`` in the main company to call a method on."""
        if model in self.targets:
            return self.targets[model]
        records = self.env[model].sudo().with_context(active_test=False)
        domain = []
        field = records._fields.get("company_id")
        if field is not None and field.store:
            domain = [("company_id", "=", self.company.id)]
        # Odoo's delivery providers name methods after their type
        # (``<type>_send_shipping``): call them on a carrier of that type.
        kind = records._fields.get("delivery_type")
        if kind is not None:
            for value, _label in kind._description_selection(self.env):
                if method_name.startswith(f"{value}_"):
                    domain = [("delivery_type", "=", value)]
        found = records.search(domain, limit=1, order="id")
        self.assertTrue(
            found,
            f"No {model} record to call {method_name} on: add one to the demo "
            "data or to this test's fixtures.",
        )
        return found

    def rpc(self, user, model, method, ids, args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    user.id,
                    user.login,  # new_test_user's password
                    model,
                    method,
                    [ids, *args],
                    {},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, f"{model}.{method}")
        body = response.json()
        error = body.get("error")
        if not error:
            return None
        return error.get("data", {}).get("name") or error.get("message")

    def expected_allowed(self, user, record, declaration, arguments):
        record = record.with_user(user)
        if not record.has_access(declaration["operation"]):
            return False
        if declaration["groups"] and not any(
            user.has_group(group) for group in declaration["groups"]
        ):
            return False
        return all(
            value.with_user(user).has_access(operation)
            for value, operation in arguments
        )

    # -- tests -----------------------------------------------------------------

    def test_every_public_method_declares_its_entry_point(self):
        methods = suite_public_methods(self.env)
        self.assertIn(("integration.credential", "action_confirm_rotation"), methods)
        undeclared = sorted(
            f"{model}.{name} ({function.__module__})"
            for (model, name), functions in methods.items()
            for function in functions
            if not hasattr(function, ATTRIBUTE)
        )
        self.assertFalse(
            undeclared,
            "Public methods that do not check their caller (decorate them with "
            "entry_point):\n" + "\n".join(undeclared),
        )

    def test_refusals_are_worded_in_the_callers_language_without_a_warning(self):
        """A refusal is a plain function's message: translated through the
        caller's environment, not by Odoo guessing a language from the stack
        (its "no translation language detected" warning, one per refusal)."""
        message = self.target("integration.message")
        user = self.users["integration user"]
        with self.assertNoLogs("odoo.tools.translate", "WARNING"):
            with self.assertRaises(AccessError) as refused:
                message.with_user(user).action_cancel()
            self.assertIn("reserved to", str(refused.exception))
            for value in ("not ids", self.env["res.partner"]):
                with self.assertRaises(UserError):
                    _as_records(self.env, "integration.message", value, "message")

    def test_rpc_matrix(self):
        """Each public method, over JSON-RPC, as five kinds of users: refused
        (AccessError) wherever the user may not change the records, allowed
        (a result or a clean business error, never a crash) otherwise."""
        methods = suite_public_methods(self.env)
        self.assertIn(("integration.flow", "action_run_batch_now"), methods)
        problems = []
        calls = refusals = 0
        for (model, name), functions in sorted(methods.items()):
            if self.env[model]._abstract:
                # A mixin has no records: its methods are called on each model
                # that inherits it (e.g. integration.channel.account's).
                continue
            # Undeclared methods (see the test above) are held to write access.
            declaration = getattr(functions[0], ATTRIBUTE, None) or {
                "operation": "write",
                "groups": (),
                "records": {},
            }
            record = self.target(model, name)
            arguments = []  # (records, operation) of record parameters
            args = []
            for parameter in list(inspect.signature(functions[0]).parameters)[1:]:
                spec = declaration["records"].get(parameter)
                if spec is None:
                    continue
                value = self.target(spec[0])
                arguments.append((value, spec[1]))
                args.append(value.ids)
            for label, user in self.users.items():
                allowed = self.expected_allowed(user, record, declaration, arguments)
                savepoint = self.env.cr.savepoint(flush=False)
                try:
                    error = self.rpc(user, model, name, record.ids, args)
                finally:
                    savepoint.close(rollback=True)
                    self.env.invalidate_all()
                calls += 1
                if not allowed:
                    refusals += 1
                    if error not in ACCESS_ERRORS:
                        problems.append(
                            f"{model}.{name} as {label}: expected AccessError, "
                            f"got {error or 'success'}"
                        )
                elif error and error not in CLEAN_ERRORS:
                    problems.append(
                        f"{model}.{name} as {label}: allowed, but failed with {error}"
                    )
        self.assertFalse(problems, "\n".join(problems))
        # Every kind of user was refused somewhere and allowed somewhere.
        self.assertGreater(refusals, 0)
        self.assertLess(refusals, calls)
