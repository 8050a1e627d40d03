from . import test_tpl_channel
