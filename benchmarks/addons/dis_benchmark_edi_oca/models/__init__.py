from . import edi_backend
from . import x12_850_handlers
