"""Print what scripts/test.sh needs to know about one Odoo, as KEY=VALUE lines.

Run with the Python that runs Odoo. Only the ``odoo`` package itself and
``odoo.api`` are imported: an addon cannot be imported before Odoo has read its
configuration.

The OCA queue_job to test with is the newest that loads on this Odoo. Its
releases follow Odoo 18.0's API, so what this Odoo defines decides:

- no ``odoo.api.private``: 18.0.1.7.0 (later releases import it);
- ``odoo.api.private`` but no ``odoo.tests.common.SETATTR_SOURCES``:
  18.0.3.1.2 (18.0.3.1.3.1 and later import it in their tests);
- both: the latest 18.0 release.
"""

import ast
import importlib.metadata
import importlib.util
import os
import re
import sys

QUEUE_JOB_WITHOUT_API_PRIVATE = "18.0.1.7.0"
QUEUE_JOB_WITHOUT_SETATTR_SOURCES = "18.0.3.1.2"
QUEUE_JOB_LATEST = ">=18.0.3.1.3,<18.1"


def _has_addons(directory):
    """Tell whether a folder holds an Odoo addon (a manifest one level down)."""
    if not os.path.isdir(directory):
        return False
    return any(
        os.path.isfile(os.path.join(directory, name, "__manifest__.py"))
        for name in os.listdir(directory)
    )


def _addon_dir(name):
    """The folder holding addon ``name`` importable as odoo.addons.<name>, or ''."""
    spec = importlib.util.find_spec(f"odoo.addons.{name}")
    if spec and spec.submodule_search_locations:
        return os.path.dirname(list(spec.submodule_search_locations)[0])
    return ""


def _addon_version(addons_dir, name):
    if not addons_dir:
        return ""
    with open(os.path.join(addons_dir, name, "__manifest__.py"), encoding="utf-8") as f:
        return ast.literal_eval(f.read()).get("version", "")


def _version_key(version):
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def queue_job_requirement(has_api_private, has_setattr_sources, installed):
    """Return (pip requirement, whether the installed version is the one wanted).

    >>> queue_job_requirement(False, False, "18.0.1.7.0")
    ('odoo-addon-queue-job==18.0.1.7.0', True)
    >>> queue_job_requirement(True, False, "18.0.1.7.0")
    ('odoo-addon-queue-job==18.0.3.1.2', False)
    >>> queue_job_requirement(True, True, "18.0.4.2.1")
    ('odoo-addon-queue-job>=18.0.3.1.3,<18.1', True)
    >>> queue_job_requirement(True, True, "")
    ('odoo-addon-queue-job>=18.0.3.1.3,<18.1', False)
    """
    if not has_api_private:
        wanted = QUEUE_JOB_WITHOUT_API_PRIVATE
    elif not has_setattr_sources:
        wanted = QUEUE_JOB_WITHOUT_SETATTR_SOURCES
    else:
        ok = bool(installed) and (
            _version_key("18.0.3.1.3") <= _version_key(installed) < _version_key("18.1")
        )
        return f"odoo-addon-queue-job{QUEUE_JOB_LATEST}", ok
    return f"odoo-addon-queue-job=={wanted}", installed == wanted


def main():
    """Print ODOO_VERSION, ODOO_LABEL, ODOO_ADDONS_PATH, QUEUE_JOB_* lines."""
    import odoo
    import odoo.api
    import odoo.release

    package_dir = os.path.dirname(os.path.abspath(odoo.__file__))
    # `<package>/addons` holds base and web; a source checkout keeps the other
    # standard addons beside the package, a packaged install has them all inside.
    candidates = [
        os.path.join(package_dir, "addons"),
        os.path.join(os.path.dirname(package_dir), "addons"),
    ]
    addons_path = [path for path in candidates if _has_addons(path)]

    try:
        # A packaged nightly names its build (18.0.post20250925); a checkout does not.
        distribution = importlib.metadata.version("odoo")
    except importlib.metadata.PackageNotFoundError:
        distribution = odoo.release.version
    # Read, not imported: importing the test framework outside a test run logs an error.
    common = os.path.join(package_dir, "tests", "common.py")
    with open(common, encoding="utf-8") as source:
        has_setattr_sources = bool(
            re.search(r"^SETATTR_SOURCES\b", source.read(), re.MULTILINE)
        )
    has_api_private = hasattr(odoo.api, "private")

    queue_job_dir = _addon_dir("queue_job")
    queue_job_version = _addon_version(queue_job_dir, "queue_job")
    requirement, satisfied = queue_job_requirement(
        has_api_private, has_setattr_sources, queue_job_version
    )
    print(f"ODOO_VERSION={odoo.release.version_info[0]}")
    print(f"ODOO_LABEL=Odoo {distribution}")
    print(f"ODOO_PACKAGE={package_dir}")
    print(f"ODOO_ADDONS_PATH={','.join(addons_path)}")
    print(f"QUEUE_JOB_DIR={queue_job_dir}")
    print(f"QUEUE_JOB_VERSION={queue_job_version}")
    print(f"QUEUE_JOB_REQUIREMENT={requirement}")
    print(f"QUEUE_JOB_SATISFIED={int(satisfied)}")
    print(f"DELIVERY_STATE_DIR={_addon_dir('delivery_state')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
