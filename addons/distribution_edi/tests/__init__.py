from . import test_edi_outbound
from . import test_edi_cycle
from . import test_edi_files
from . import test_edi_gateway
from . import test_edi_receipts
from . import test_edi_answers
from . import test_edi_screens
from . import test_edi_profile
