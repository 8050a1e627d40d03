from . import integration_payload_edit
from . import integration_exception_resolve
