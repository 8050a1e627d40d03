from . import tpl_warehouse_account
from . import tpl_handlers
from . import stock_picking
from . import res_config_settings
