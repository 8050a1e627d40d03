from . import carrier_account
from . import delivery_carrier
from . import stock_package_type
from . import carrier_shipment_package
from . import carrier_tracking_event
from . import stock_picking
from . import handlers
from . import stock_return_picking
