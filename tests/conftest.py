"""Make the plain-Python kernel importable as ``kernel`` in pytest."""

import sys
from pathlib import Path

ADDON_DIR = (
    Path(__file__).resolve().parent.parent / "addons" / "distribution_integration_base"
)

if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))

# Test-only Odoo addons (the skeleton channel): Odoo runs their tests, not pytest.
collect_ignore = ["addons"]
