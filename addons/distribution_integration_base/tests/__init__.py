from . import test_configuration
from . import test_credentials
from . import test_dispatch
from . import test_exceptions
from . import test_gateway
from . import test_gateway_hardening
