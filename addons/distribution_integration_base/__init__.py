from . import kernel
from . import models
from . import controllers
from . import wizards
from . import cli
