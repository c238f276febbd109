from . import test_demo
from . import test_security
from . import test_ticket
