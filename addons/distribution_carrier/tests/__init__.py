from . import test_carrier_karrio
from . import test_carrier_ltl
