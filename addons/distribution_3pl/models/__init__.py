from . import tpl_warehouse_account
from . import tpl_handlers
from . import stock_picking
from . import tpl_reconciliation
from . import tpl_warehouse_account_reconcile
from . import tpl_csv_handler
