from . import rekey
