from . import noop
