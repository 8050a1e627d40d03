from . import edi_uom_code
from . import edi_trading_partner
from . import edi_document
from . import purchase_order
from . import stock_picking
from . import account_move
from . import res_partner
from . import handlers
