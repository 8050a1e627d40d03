from . import test_carrier_account
from . import test_carrier_karrio
from . import test_carrier_ltl
