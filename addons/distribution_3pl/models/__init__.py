from . import tpl_warehouse_account
from . import tpl_handlers
from . import stock_picking
from . import stock_picking_receipt
from . import tpl_warehouse_account_receipt
from . import tpl_receipt
