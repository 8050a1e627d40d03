from . import integration_payload_edit
