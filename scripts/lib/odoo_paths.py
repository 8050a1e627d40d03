"""Print where the running Python finds Odoo and OCA queue_job, as KEY=VALUE lines.

Run with the Python that runs Odoo. Nothing is imported beyond the ``odoo`` package
itself: an addon cannot be imported before Odoo has read its configuration.
"""

import importlib.util
import os
import sys


def _has_addons(directory):
    """Tell whether a folder holds an Odoo addon (a manifest one level down)."""
    if not os.path.isdir(directory):
        return False
    return any(
        os.path.isfile(os.path.join(directory, name, "__manifest__.py"))
        for name in os.listdir(directory)
    )


def main():
    """Print ODOO_VERSION, ODOO_ADDONS_PATH and QUEUE_JOB_DIR (empty when missing)."""
    import odoo
    import odoo.release

    package_dir = os.path.dirname(os.path.abspath(odoo.__file__))
    # `<package>/addons` holds base and web; a source checkout keeps the other
    # standard addons beside the package, a packaged install has them all inside.
    candidates = [
        os.path.join(package_dir, "addons"),
        os.path.join(os.path.dirname(package_dir), "addons"),
    ]
    addons_path = [path for path in candidates if _has_addons(path)]

    spec = importlib.util.find_spec("odoo.addons.queue_job")
    queue_job_dir = ""
    if spec and spec.submodule_search_locations:
        queue_job_dir = os.path.dirname(list(spec.submodule_search_locations)[0])

    print(f"ODOO_VERSION={odoo.release.version_info[0]}")
    print(f"ODOO_ADDONS_PATH={','.join(addons_path)}")
    print(f"QUEUE_JOB_DIR={queue_job_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
