from . import test_tpl_channel
from . import test_tpl_receipts
from . import test_tpl_reconciliation
from . import test_tpl_json
from . import test_tpl_release
from . import test_tpl_overview
from . import test_tpl_packages
from . import test_tpl_units
