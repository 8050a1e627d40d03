from . import test_tpl_channel
from . import test_tpl_release
from . import test_tpl_overview
