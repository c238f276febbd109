from . import helpdesk_form
from . import portal
from . import rating
