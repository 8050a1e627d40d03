from . import skeleton_account
from . import skeleton_handlers
from . import res_partner
